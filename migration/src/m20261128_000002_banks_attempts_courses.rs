//! Question banks with versioned questions, quizzes and attempts, courses with lessons,
//! progress, completions, and the event outbox later features read.

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
                .table(QuestionBanks::Table)
                .col(pk_auto(QuestionBanks::Id))
                .col(string_len(QuestionBanks::Slug, 64).unique_key())
                .col(string_len(QuestionBanks::Title, 200))
                .col(text(QuestionBanks::Description))
                .col(string_len(QuestionBanks::Origin, 255))
                // Bumped whenever a question is added, edited or retired: the in-process pool
                // cache is keyed by it.
                .col(integer(QuestionBanks::Version).default(1))
                .col(timestamp_with_time_zone(QuestionBanks::CreatedAt))
                .col(timestamp_with_time_zone(QuestionBanks::UpdatedAt)),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(Questions::Table)
                .col(pk_auto(Questions::Id))
                .col(integer(Questions::BankId))
                .col(string_len(Questions::Key, 64))
                .col(integer_null(Questions::CurrentVersionId))
                .col(timestamp_with_time_zone_null(Questions::RetiredAt))
                .col(timestamp_with_time_zone(Questions::CreatedAt))
                .foreign_key(&mut fk(
                    Questions::Table,
                    Questions::BankId,
                    QuestionBanks::Table,
                    QuestionBanks::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_questions_bank_key",
            Questions::Table,
            &[Questions::BankId, Questions::Key],
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(QuestionVersions::Table)
                .col(pk_auto(QuestionVersions::Id))
                .col(integer(QuestionVersions::QuestionId))
                .col(integer(QuestionVersions::Version))
                .col(string_len(QuestionVersions::Kind, 16))
                .col(text(QuestionVersions::Stem))
                // JSON [{id, text, correct}]: the key never leaves the server with it.
                .col(text(QuestionVersions::Options))
                .col(text(QuestionVersions::Explanation))
                .col(text(QuestionVersions::Source))
                .col(text(QuestionVersions::Tags))
                .col(small_integer(QuestionVersions::Difficulty))
                .col(string_len(QuestionVersions::ContentHash, 64))
                .col(timestamp_with_time_zone(QuestionVersions::CreatedAt))
                .foreign_key(&mut fk(
                    QuestionVersions::Table,
                    QuestionVersions::QuestionId,
                    Questions::Table,
                    Questions::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_question_versions",
            QuestionVersions::Table,
            &[QuestionVersions::QuestionId, QuestionVersions::Version],
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(Quizzes::Table)
                .col(pk_auto(Quizzes::Id))
                .col(string_len(Quizzes::Title, 200))
                .col(string_len(Quizzes::Kind, 16))
                .col(integer_null(Quizzes::CourseId))
                .col(text(Quizzes::DrawRules))
                .col(integer(Quizzes::TimeLimitSecs))
                .col(integer(Quizzes::PassMark))
                .col(integer(Quizzes::AttemptsAllowed))
                .col(string_len(Quizzes::Review, 16))
                .col(timestamp_with_time_zone(Quizzes::CreatedAt))
                .col(timestamp_with_time_zone(Quizzes::UpdatedAt)),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(Attempts::Table)
                .col(uuid(Attempts::Id).primary_key())
                .col(integer(Attempts::QuizId))
                .col(uuid(Attempts::UserId))
                .col(integer(Attempts::AttemptNo))
                .col(string_len(Attempts::State, 16))
                .col(integer_null(Attempts::UnitId))
                .col(timestamp_with_time_zone(Attempts::StartedAt))
                .col(timestamp_with_time_zone(Attempts::Deadline))
                // The frozen paper, JSON [{v: version id, o: shown option order}].
                .col(text(Attempts::Paper))
                .col(text(Attempts::Answers))
                .col(integer(Attempts::Revision).default(0))
                .col(timestamp_with_time_zone_null(Attempts::SubmittedAt))
                .col(string_len_null(Attempts::ClosedBy, 16))
                .col(integer_null(Attempts::Correct))
                .col(integer(Attempts::Total))
                .col(big_integer_null(Attempts::DurationMs))
                .col(boolean_null(Attempts::Passed))
                .col(string_len_null(Attempts::IdempotencyKey, 200))
                .col(timestamp_with_time_zone(Attempts::UpdatedAt))
                .foreign_key(&mut fk(
                    Attempts::Table,
                    Attempts::QuizId,
                    Quizzes::Table,
                    Quizzes::Id,
                ))
                .foreign_key(&mut fk(
                    Attempts::Table,
                    Attempts::UserId,
                    Users::Table,
                    Users::Id,
                )),
        )
        .await?;
        // A double tap cannot make two attempts, and a race cannot exceed the cap.
        unique(
            m,
            "uq_attempts_user_quiz_no",
            Attempts::Table,
            &[Attempts::UserId, Attempts::QuizId, Attempts::AttemptNo],
        )
        .await?;
        index(
            m,
            "idx_attempts_open_deadline",
            Attempts::Table,
            &[Attempts::State, Attempts::Deadline],
        )
        .await?;
        index(m, "idx_attempts_quiz", Attempts::Table, &[Attempts::QuizId]).await?;

        create_table(
            m,
            Table::create()
                .table(Courses::Table)
                .col(pk_auto(Courses::Id))
                .col(string_len(Courses::Slug, 64).unique_key())
                .col(string_len(Courses::Title, 200))
                .col(text(Courses::Description))
                .col(text(Courses::AudienceCategories))
                .col(text(Courses::AudienceUnits))
                .col(integer_null(Courses::FinalTestId))
                .col(string_len(Courses::Origin, 255))
                .col(uuid_null(Courses::CreatedBy))
                .col(timestamp_with_time_zone(Courses::CreatedAt))
                .col(timestamp_with_time_zone(Courses::UpdatedAt))
                .foreign_key(&mut fk(
                    Courses::Table,
                    Courses::FinalTestId,
                    Quizzes::Table,
                    Quizzes::Id,
                )),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(Lessons::Table)
                .col(pk_auto(Lessons::Id))
                .col(integer(Lessons::CourseId))
                .col(string_len(Lessons::Slug, 64))
                .col(integer(Lessons::Position))
                .col(string_len(Lessons::Title, 200))
                .col(text(Lessons::Body))
                .col(text(Lessons::Media))
                .col(integer(Lessons::EstimatedMinutes))
                .col(boolean(Lessons::Required).default(true))
                .col(string_len_null(Lessons::EditableBy, 32))
                .col(integer_null(Lessons::QuizId))
                .foreign_key(&mut fk(
                    Lessons::Table,
                    Lessons::CourseId,
                    Courses::Table,
                    Courses::Id,
                ))
                .foreign_key(&mut fk(
                    Lessons::Table,
                    Lessons::QuizId,
                    Quizzes::Table,
                    Quizzes::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_lessons_course_slug",
            Lessons::Table,
            &[Lessons::CourseId, Lessons::Slug],
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(LessonProgress::Table)
                .col(uuid(LessonProgress::UserId))
                .col(integer(LessonProgress::LessonId))
                .col(timestamp_with_time_zone(LessonProgress::CompletedAt))
                .col(uuid_null(LessonProgress::AttemptId))
                .primary_key(
                    Index::create()
                        .col(LessonProgress::UserId)
                        .col(LessonProgress::LessonId),
                )
                .foreign_key(&mut fk(
                    LessonProgress::Table,
                    LessonProgress::LessonId,
                    Lessons::Table,
                    Lessons::Id,
                ))
                .foreign_key(&mut fk(
                    LessonProgress::Table,
                    LessonProgress::UserId,
                    Users::Table,
                    Users::Id,
                )),
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(CourseCompletions::Table)
                .col(pk_auto(CourseCompletions::Id))
                .col(uuid(CourseCompletions::UserId))
                .col(integer(CourseCompletions::CourseId))
                .col(timestamp_with_time_zone(CourseCompletions::CompletedAt))
                // The unit at completion time, id and name, so renames and merges later do
                // not rewrite history.
                .col(integer_null(CourseCompletions::UnitId))
                .col(string_len_null(CourseCompletions::UnitName, 200))
                .col(uuid_null(CourseCompletions::FinalAttemptId))
                .foreign_key(&mut fk(
                    CourseCompletions::Table,
                    CourseCompletions::CourseId,
                    Courses::Table,
                    Courses::Id,
                ))
                .foreign_key(&mut fk(
                    CourseCompletions::Table,
                    CourseCompletions::UserId,
                    Users::Table,
                    Users::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_course_completions",
            CourseCompletions::Table,
            &[CourseCompletions::UserId, CourseCompletions::CourseId],
        )
        .await?;

        create_table(
            m,
            Table::create()
                .table(Events::Table)
                .col(big_pk_auto(Events::Id))
                .col(string_len(Events::Kind, 64))
                .col(text(Events::Payload))
                .col(timestamp_with_time_zone(Events::CreatedAt))
                .col(timestamp_with_time_zone_null(Events::ProcessedAt)),
        )
        .await?;
        index(
            m,
            "idx_events_pending",
            Events::Table,
            &[Events::ProcessedAt, Events::Kind],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            vec![
                Events::Table.into_iden(),
                CourseCompletions::Table.into_iden(),
                LessonProgress::Table.into_iden(),
                Lessons::Table.into_iden(),
                Courses::Table.into_iden(),
                Attempts::Table.into_iden(),
                Quizzes::Table.into_iden(),
                QuestionVersions::Table.into_iden(),
                Questions::Table.into_iden(),
                QuestionBanks::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum QuestionBanks {
    Table,
    Id,
    Slug,
    Title,
    Description,
    Origin,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Questions {
    Table,
    Id,
    BankId,
    Key,
    CurrentVersionId,
    RetiredAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum QuestionVersions {
    Table,
    Id,
    QuestionId,
    Version,
    Kind,
    Stem,
    Options,
    Explanation,
    Source,
    Tags,
    Difficulty,
    ContentHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Quizzes {
    Table,
    Id,
    Title,
    Kind,
    CourseId,
    DrawRules,
    TimeLimitSecs,
    PassMark,
    AttemptsAllowed,
    Review,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attempts {
    Table,
    Id,
    QuizId,
    UserId,
    AttemptNo,
    State,
    UnitId,
    StartedAt,
    Deadline,
    Paper,
    Answers,
    Revision,
    SubmittedAt,
    ClosedBy,
    Correct,
    Total,
    DurationMs,
    Passed,
    IdempotencyKey,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Courses {
    Table,
    Id,
    Slug,
    Title,
    Description,
    AudienceCategories,
    AudienceUnits,
    FinalTestId,
    Origin,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Lessons {
    Table,
    Id,
    CourseId,
    Slug,
    Position,
    Title,
    Body,
    Media,
    EstimatedMinutes,
    Required,
    EditableBy,
    QuizId,
}

#[derive(DeriveIden, Clone, Copy)]
enum LessonProgress {
    Table,
    UserId,
    LessonId,
    CompletedAt,
    AttemptId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CourseCompletions {
    Table,
    Id,
    UserId,
    CourseId,
    CompletedAt,
    UnitId,
    UnitName,
    FinalAttemptId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    Kind,
    Payload,
    CreatedAt,
    ProcessedAt,
}
