//! Banks belong to a unit and have a purpose (`contest` or `practice`; unset until first use);
//! attempts by people who can read a round's keys are practice attempts, never ranked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column a statement.
        m.alter_table(
            Table::alter()
                .table(QuestionBanks::Table)
                .add_column(integer_null(QuestionBanks::UnitId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(QuestionBanks::Table)
                .add_column(string_len_null(QuestionBanks::Purpose, 16))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Attempts::Table)
                .add_column(boolean(Attempts::Practice).default(false))
                .to_owned(),
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
        m.create_index(
            Index::create()
                .name("ix_question_banks_unit")
                .table(QuestionBanks::Table)
                .col(QuestionBanks::UnitId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_question_banks_unit")
                .table(QuestionBanks::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Attempts::Table)
                .drop_column(Attempts::Practice)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(QuestionBanks::Table)
                .drop_column(QuestionBanks::Purpose)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(QuestionBanks::Table)
                .drop_column(QuestionBanks::UnitId)
                .to_owned(),
        )
        .await
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
