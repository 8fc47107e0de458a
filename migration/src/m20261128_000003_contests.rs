//! Contests with weekly rounds, the final results of a round, the prediction on an attempt,
//! and a unit's member count (for participation rates).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, create_table, drop_column, drop_tables, fk, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            m,
            Table::create()
                .table(Contests::Table)
                .col(pk_auto(Contests::Id))
                .col(string_len(Contests::Slug, 64).unique_key())
                .col(string_len(Contests::Title, 200))
                .col(text(Contests::Description))
                .col(integer(Contests::OwnerUnitId))
                .col(text(Contests::AudienceCategories))
                .col(text(Contests::AudienceUnits))
                // JSON: the tie-break order, the time mode, what the prediction asks.
                .col(text(Contests::RankingRule))
                // JSON: prize tiers, the cap, the minimum score.
                .col(text(Contests::PrizeRule))
                .col(boolean(Contests::OnePrizePerPerson).default(false))
                .col(uuid_null(Contests::CreatedBy))
                .col(timestamp_with_time_zone(Contests::CreatedAt))
                .col(timestamp_with_time_zone(Contests::UpdatedAt))
                .foreign_key(&mut fk(
                    Contests::Table,
                    Contests::OwnerUnitId,
                    Units::Table,
                    Units::Id,
                )),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(Rounds::Table)
                .col(pk_auto(Rounds::Id))
                .col(integer(Rounds::ContestId))
                .col(integer(Rounds::Number))
                .col(string_len(Rounds::Title, 200))
                .col(timestamp_with_time_zone(Rounds::OpensAt))
                .col(timestamp_with_time_zone(Rounds::ClosesAt))
                .col(integer(Rounds::QuizId).unique_key())
                .col(text_null(Rounds::PredictionQuestion))
                // A finaliser holds the round while it computes (a lease, so a crashed one is
                // retried); `finalised_at` marks the stored results.
                .col(timestamp_with_time_zone_null(Rounds::FinaliseStartedAt))
                .col(timestamp_with_time_zone_null(Rounds::FinalisedAt))
                .col(big_integer_null(Rounds::TrueFigure))
                .col(timestamp_with_time_zone(Rounds::CreatedAt))
                .col(timestamp_with_time_zone(Rounds::UpdatedAt))
                .foreign_key(&mut fk(
                    Rounds::Table,
                    Rounds::ContestId,
                    Contests::Table,
                    Contests::Id,
                ))
                .foreign_key(&mut fk(
                    Rounds::Table,
                    Rounds::QuizId,
                    Quizzes::Table,
                    Quizzes::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_rounds_contest_number",
            Rounds::Table,
            &[Rounds::ContestId, Rounds::Number],
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(RoundResults::Table)
                .col(pk_auto(RoundResults::Id))
                .col(integer(RoundResults::RoundId))
                .col(integer(RoundResults::Rank))
                .col(uuid(RoundResults::UserId))
                .col(uuid(RoundResults::AttemptId))
                .col(integer_null(RoundResults::UnitId))
                .col(string_len_null(RoundResults::UnitName, 200))
                .col(string_len(RoundResults::DisplayName, 200))
                .col(integer(RoundResults::Correct))
                .col(integer(RoundResults::Total))
                .col(big_integer(RoundResults::DurationMs))
                .col(big_integer(RoundResults::TimeMs))
                .col(big_integer_null(RoundResults::Prediction))
                .col(big_integer_null(RoundResults::PredictionError))
                .col(integer(RoundResults::AttemptsUsed))
                .col(timestamp_with_time_zone(RoundResults::SubmittedAt))
                .col(string_len_null(RoundResults::Prize, 100))
                .foreign_key(&mut fk(
                    RoundResults::Table,
                    RoundResults::RoundId,
                    Rounds::Table,
                    Rounds::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_round_results_rank",
            RoundResults::Table,
            &[RoundResults::RoundId, RoundResults::Rank],
        )
        .await?;
        unique(
            m,
            "uq_round_results_user",
            RoundResults::Table,
            &[RoundResults::RoundId, RoundResults::UserId],
        )
        .await?;

        add_column(m, Attempts::Table, big_integer_null(Attempts::Prediction)).await?;
        add_column(m, Units::Table, integer_null(Units::MemberCount)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, Units::Table, Units::MemberCount).await?;
        drop_column(m, Attempts::Table, Attempts::Prediction).await?;
        drop_tables(
            m,
            vec![
                RoundResults::Table.into_iden(),
                Rounds::Table.into_iden(),
                Contests::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Units {
    Table,
    Id,
    MemberCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Quizzes {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attempts {
    Table,
    Prediction,
}

#[derive(DeriveIden, Clone, Copy)]
enum Contests {
    Table,
    Id,
    Slug,
    Title,
    Description,
    OwnerUnitId,
    AudienceCategories,
    AudienceUnits,
    RankingRule,
    PrizeRule,
    OnePrizePerPerson,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Rounds {
    Table,
    Id,
    ContestId,
    Number,
    Title,
    OpensAt,
    ClosesAt,
    QuizId,
    PredictionQuestion,
    FinaliseStartedAt,
    FinalisedAt,
    TrueFigure,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoundResults {
    Table,
    Id,
    RoundId,
    Rank,
    UserId,
    AttemptId,
    UnitId,
    UnitName,
    DisplayName,
    Correct,
    Total,
    DurationMs,
    TimeMs,
    Prediction,
    PredictionError,
    AttemptsUsed,
    SubmittedAt,
    Prize,
}
