//! Contests with weekly rounds, the final results of a round, the prediction on an attempt,
//! and a unit's member count (for participation rates).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Contests::Table)
                .if_not_exists()
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
                .foreign_key(
                    ForeignKey::create()
                        .from(Contests::Table, Contests::OwnerUnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Rounds::Table)
                .if_not_exists()
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
                .foreign_key(
                    ForeignKey::create()
                        .from(Rounds::Table, Rounds::ContestId)
                        .to(Contests::Table, Contests::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Rounds::Table, Rounds::QuizId)
                        .to(Quizzes::Table, Quizzes::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_rounds_contest_number")
                .table(Rounds::Table)
                .col(Rounds::ContestId)
                .col(Rounds::Number)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RoundResults::Table)
                .if_not_exists()
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
                .foreign_key(
                    ForeignKey::create()
                        .from(RoundResults::Table, RoundResults::RoundId)
                        .to(Rounds::Table, Rounds::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "uq_round_results_rank",
                [RoundResults::RoundId, RoundResults::Rank],
            ),
            (
                "uq_round_results_user",
                [RoundResults::RoundId, RoundResults::UserId],
            ),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(RoundResults::Table)
                    .col(cols[0])
                    .col(cols[1])
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }

        m.alter_table(
            Table::alter()
                .table(Attempts::Table)
                .add_column(big_integer_null(Attempts::Prediction))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Units::Table)
                .add_column(integer_null(Units::MemberCount))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Units::Table)
                .drop_column(Units::MemberCount)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Attempts::Table)
                .drop_column(Attempts::Prediction)
                .to_owned(),
        )
        .await?;
        for t in [
            RoundResults::Table.into_iden(),
            Rounds::Table.into_iden(),
            Contests::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
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
