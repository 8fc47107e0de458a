//! An autosave changes only an open attempt's answers, revision and `updated_at`. The
//! effects-pending index held `updated_at`, so on PostgreSQL every save wrote a new entry in
//! each of the attempts' five indexes instead of a heap-only (HOT) update in its page. The
//! index is now partial: only the few ended attempts whose effects are still to be done, keyed
//! by a column a save never writes; the sweeper sorts those few by `updated_at` itself. On
//! PostgreSQL the table also leaves a quarter of each page free, so that the new version of a
//! saved row fits beside the old one.

use sea_orm_migration::prelude::*;

use crate::helpers::drop_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PARTIAL: &str = "CREATE INDEX IF NOT EXISTS idx_attempts_effects_pending_partial \
                       ON attempts (effects_pending) WHERE effects_pending";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(PARTIAL).await?;
        drop_index(m, "idx_attempts_effects_pending", Attempts::Table).await?;
        if db.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("ALTER TABLE attempts SET (fillfactor = 75)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("ALTER TABLE attempts RESET (fillfactor)")
                .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_attempts_effects_pending")
                .table(Attempts::Table)
                .col(Attempts::EffectsPending)
                .col(Attempts::UpdatedAt)
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_attempts_effects_pending_partial")
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Attempts {
    Table,
    EffectsPending,
    UpdatedAt,
}
