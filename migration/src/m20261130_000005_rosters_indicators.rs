//! Rosters and indicators: the members each unit counts (registered here or not), the years'
//! phases and periods, indicators added by admins, the courses each indicator counts, and the
//! figures units report once a year.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_table, drop_tables, fk, index, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            m,
            Table::create()
                .table(Members::Table)
                .col(pk_auto(Members::Id))
                // The unit that counts the person; moved with a merge.
                .col(integer(Members::UnitId))
                .col(string_len(Members::FullName, 128))
                .col(date_null(Members::BirthDate))
                // E.164; at most one live member a phone (kept by the roster service).
                .col(string_len_null(Members::Phone, 16))
                // One bit a category, in `Category::ALL` order: counting groups by the mask
                // counts each person once however many categories they hold.
                .col(integer(Members::CategoryMask))
                .col(date_null(Members::AdmittedOn))
                // The account matched by phone; counted only once the person confirmed it.
                .col(uuid_null(Members::UserId))
                .col(timestamp_with_time_zone_null(Members::ConfirmedAt))
                // `roster` (an upload) or `organizer` (an approved membership request).
                .col(string_len(Members::Source, 16))
                .col(date_null(Members::LeftOn))
                .col(text_null(Members::LeftReason))
                .col(timestamp_with_time_zone(Members::CreatedAt))
                .col(timestamp_with_time_zone(Members::UpdatedAt))
                .col(uuid_null(Members::UpdatedBy))
                .foreign_key(&mut fk(
                    Members::Table,
                    Members::UnitId,
                    Units::Table,
                    Units::Id,
                )),
        )
        .await?;
        index(m, "idx_members_unit", Members::Table, &[Members::UnitId]).await?;
        index(m, "idx_members_phone", Members::Table, &[Members::Phone]).await?;
        index(m, "idx_members_user", Members::Table, &[Members::UserId]).await?;

        create_table(
            m,
            Table::create()
                .table(IndicatorYears::Table)
                .col(integer(IndicatorYears::Year).primary_key())
                .col(string_len(IndicatorYears::Phase, 16))
                .col(date(IndicatorYears::PeriodFrom))
                .col(date(IndicatorYears::PeriodTo))
                .col(date(IndicatorYears::Cutoff))
                .col(date(IndicatorYears::Deadline))
                .col(uuid_null(IndicatorYears::UpdatedBy))
                .col(timestamp_with_time_zone(IndicatorYears::UpdatedAt)),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(IndicatorDefinitions::Table)
                .col(string_len(IndicatorDefinitions::Key, 64).primary_key())
                // The indicator as JSON, validated like the shipped catalogue.
                .col(text(IndicatorDefinitions::Definition))
                .col(uuid_null(IndicatorDefinitions::CreatedBy))
                .col(timestamp_with_time_zone(IndicatorDefinitions::CreatedAt))
                .col(timestamp_with_time_zone(IndicatorDefinitions::UpdatedAt)),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(IndicatorCourses::Table)
                .col(string_len(IndicatorCourses::IndicatorKey, 64))
                .col(integer(IndicatorCourses::CourseId))
                .col(uuid_null(IndicatorCourses::CreatedBy))
                .col(timestamp_with_time_zone(IndicatorCourses::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IndicatorCourses::IndicatorKey)
                        .col(IndicatorCourses::CourseId),
                )
                .foreign_key(&mut fk(
                    IndicatorCourses::Table,
                    IndicatorCourses::CourseId,
                    Courses::Table,
                    Courses::Id,
                )),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(IndicatorReports::Table)
                .col(pk_auto(IndicatorReports::Id))
                .col(integer(IndicatorReports::UnitId))
                .col(integer(IndicatorReports::Year))
                // The reported figures as JSON (indicator, group, numerator, denominator,
                // evidence).
                .col(text(IndicatorReports::Figures))
                .col(timestamp_with_time_zone(IndicatorReports::SubmittedAt))
                .col(uuid(IndicatorReports::SubmittedBy))
                .col(timestamp_with_time_zone(IndicatorReports::UpdatedAt))
                // An admin's unlock: editable through this day although the deadline passed.
                .col(date_null(IndicatorReports::UnlockedUntil))
                .foreign_key(&mut fk(
                    IndicatorReports::Table,
                    IndicatorReports::UnitId,
                    Units::Table,
                    Units::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_indicator_reports_unit_year",
            IndicatorReports::Table,
            &[IndicatorReports::UnitId, IndicatorReports::Year],
        )
        .await?;
        // The measured indicators' numerators, kept in the transactions that change them: one
        // row per completion and confirmed member record of its account, with the member's
        // unit, categories and dates copied, so that a report counts without a join.
        create_table(
            m,
            Table::create()
                .table(CompletionFacts::Table)
                .col(integer(CompletionFacts::CompletionId))
                .col(integer(CompletionFacts::MemberId))
                .col(uuid(CompletionFacts::UserId))
                .col(integer(CompletionFacts::CourseId))
                .col(timestamp_with_time_zone(CompletionFacts::CompletedAt))
                .col(integer(CompletionFacts::UnitId))
                .col(integer(CompletionFacts::CategoryMask))
                .col(date_null(CompletionFacts::AdmittedOn))
                .col(date_null(CompletionFacts::LeftOn))
                .primary_key(
                    Index::create()
                        .col(CompletionFacts::CompletionId)
                        .col(CompletionFacts::MemberId),
                ),
        )
        .await?;
        // A unit's facts of a course in a period, with what the count needs: a small subtree's
        // report reads this index alone.
        index(
            m,
            "idx_completion_facts_unit",
            CompletionFacts::Table,
            &[
                CompletionFacts::UnitId,
                CompletionFacts::CourseId,
                CompletionFacts::CompletedAt,
                CompletionFacts::CategoryMask,
                CompletionFacts::LeftOn,
                CompletionFacts::AdmittedOn,
            ],
        )
        .await?;
        index(
            m,
            "idx_completion_facts_member",
            CompletionFacts::Table,
            &[CompletionFacts::MemberId],
        )
        .await?;
        index(
            m,
            "idx_completion_facts_user",
            CompletionFacts::Table,
            &[CompletionFacts::UserId],
        )
        .await?;
        // Completions in a period, by course: the measured indicators' numerators.
        index(
            m,
            "idx_course_completions_course_completed",
            CourseCompletions::Table,
            &[CourseCompletions::CourseId, CourseCompletions::CompletedAt],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_course_completions_course_completed")
                .table(CourseCompletions::Table)
                .to_owned(),
        )
        .await?;
        drop_tables(
            m,
            vec![
                CompletionFacts::Table.into_iden(),
                IndicatorReports::Table.into_iden(),
                IndicatorCourses::Table.into_iden(),
                IndicatorDefinitions::Table.into_iden(),
                IndicatorYears::Table.into_iden(),
                Members::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
    UnitId,
    FullName,
    BirthDate,
    Phone,
    CategoryMask,
    AdmittedOn,
    UserId,
    ConfirmedAt,
    Source,
    LeftOn,
    LeftReason,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum IndicatorYears {
    Table,
    Year,
    Phase,
    PeriodFrom,
    PeriodTo,
    Cutoff,
    Deadline,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IndicatorDefinitions {
    Table,
    Key,
    Definition,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IndicatorCourses {
    Table,
    IndicatorKey,
    CourseId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IndicatorReports {
    Table,
    Id,
    UnitId,
    Year,
    Figures,
    SubmittedAt,
    SubmittedBy,
    UpdatedAt,
    UnlockedUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Courses {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum CourseCompletions {
    Table,
    CourseId,
    CompletedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CompletionFacts {
    Table,
    CompletionId,
    MemberId,
    UserId,
    CourseId,
    CompletedAt,
    UnitId,
    CategoryMask,
    AdmittedOn,
    LeftOn,
}
