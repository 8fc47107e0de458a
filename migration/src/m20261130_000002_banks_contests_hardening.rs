//! Banks belong to a unit and have a purpose (`contest` or `practice`; unset until first use);
//! attempts by people who can read a round's keys are practice attempts, never ranked.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, drop_index, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column a statement.
        add_column(m, QuestionBanks::Table, integer_null(QuestionBanks::UnitId)).await?;
        add_column(
            m,
            QuestionBanks::Table,
            string_len_null(QuestionBanks::Purpose, 16),
        )
        .await?;
        add_column(
            m,
            Attempts::Table,
            boolean(Attempts::Practice).default(false),
        )
        .await?;
        let db = m.get_connection();
        // Existing banks belong to the root unit (the province).
        db.execute_unprepared(
            "UPDATE question_banks SET unit_id = \
             (SELECT MIN(id) FROM units WHERE parent_id IS NULL) WHERE unit_id IS NULL",
        )
        .await?;
        // A bank a round already draws from is a contest bank; one that only lessons and
        // course tests draw from is a practice bank. Draw rules are JSON written by serde
        // (`{"bank":"slug",…}`, no spaces).
        db.execute_unprepared(
            "UPDATE question_banks SET purpose = 'contest' WHERE purpose IS NULL AND EXISTS \
             (SELECT 1 FROM quizzes WHERE quizzes.kind = 'contest_round' \
              AND quizzes.draw_rules LIKE '%\"bank\":\"' || question_banks.slug || '\"%')",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE question_banks SET purpose = 'practice' WHERE purpose IS NULL AND EXISTS \
             (SELECT 1 FROM quizzes WHERE quizzes.kind <> 'contest_round' \
              AND quizzes.draw_rules LIKE '%\"bank\":\"' || question_banks.slug || '\"%')",
        )
        .await?;
        index(
            m,
            "ix_question_banks_unit",
            QuestionBanks::Table,
            &[QuestionBanks::UnitId],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "ix_question_banks_unit", QuestionBanks::Table).await?;
        drop_column(m, Attempts::Table, Attempts::Practice).await?;
        drop_column(m, QuestionBanks::Table, QuestionBanks::Purpose).await?;
        drop_column(m, QuestionBanks::Table, QuestionBanks::UnitId).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum QuestionBanks {
    Table,
    UnitId,
    Purpose,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attempts {
    Table,
    Practice,
}
