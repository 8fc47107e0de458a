//! Attempts remember whether what follows their end (lesson and course progress, the board)
//! is still to be done, so that a failure there is retried until it succeeds.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, drop_index, index_unguarded};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Attempts that ended before this column existed had their effects run (or lost).
        add_column(
            m,
            Attempts::Table,
            boolean(Attempts::EffectsPending).default(false),
        )
        .await?;
        index_unguarded(
            m,
            "idx_attempts_effects_pending",
            Attempts::Table,
            &[Attempts::EffectsPending, Attempts::UpdatedAt],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "idx_attempts_effects_pending", Attempts::Table).await?;
        drop_column(m, Attempts::Table, Attempts::EffectsPending).await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Attempts {
    Table,
    EffectsPending,
    UpdatedAt,
}
