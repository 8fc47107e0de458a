//! Attempts remember whether what follows their end (lesson and course progress, the board)
//! is still to be done, so that a failure there is retried until it succeeds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Attempts that ended before this column existed had their effects run (or lost).
        m.alter_table(
            Table::alter()
                .table(Attempts::Table)
                .add_column(boolean(Attempts::EffectsPending).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempts_effects_pending")
                .table(Attempts::Table)
                .col(Attempts::EffectsPending)
                .col(Attempts::UpdatedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_attempts_effects_pending")
                .table(Attempts::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Attempts::Table)
                .drop_column(Attempts::EffectsPending)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    EffectsPending,
    UpdatedAt,
}
