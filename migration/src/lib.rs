//! Schema migrations. One file a migration; a landed migration is never edited (see
//! `helpers` for the one exception: the shared statement builders).

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261128_000001_units_and_accounts;
mod m20261128_000002_banks_attempts_courses;
mod m20261128_000003_contests;
mod m20261130_000001_accounts_hardening;
mod m20261130_000002_banks_contests_hardening;
mod m20261130_000003_attempts_hardening;
mod m20261130_000004_certificates;
mod m20261130_000005_rosters_indicators;
mod m20261130_000006_content_validity;
mod m20261201_000001_attempts_hot_saves;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_units_and_accounts::Migration),
            Box::new(m20261128_000002_banks_attempts_courses::Migration),
            Box::new(m20261128_000003_contests::Migration),
            Box::new(m20261130_000001_accounts_hardening::Migration),
            Box::new(m20261130_000002_banks_contests_hardening::Migration),
            Box::new(m20261130_000003_attempts_hardening::Migration),
            Box::new(m20261130_000004_certificates::Migration),
            Box::new(m20261130_000005_rosters_indicators::Migration),
            Box::new(m20261130_000006_content_validity::Migration),
            Box::new(m20261201_000001_attempts_hot_saves::Migration),
        ]
    }
}
