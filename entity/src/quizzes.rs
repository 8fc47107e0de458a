use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quizzes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub kind: QuizKind,
    pub course_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub draw_rules: String,
    pub time_limit_secs: i32,
    pub pass_mark: i32,
    pub attempts_allowed: i32,
    pub review: Review,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a quiz is for, stored as its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum QuizKind {
    /// The quiz that completes a lesson.
    #[sea_orm(string_value = "lesson_quiz")]
    LessonQuiz,
    /// A course's final test.
    #[sea_orm(string_value = "final_test")]
    FinalTest,
    /// The paper of a contest round.
    #[sea_orm(string_value = "contest_round")]
    ContestRound,
}

/// What a participant sees after submitting, stored as its code.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Correct answers, explanations and sources right after submission.
    #[default]
    #[sea_orm(string_value = "after_submit")]
    AfterSubmit,
    /// Only the score.
    #[sea_orm(string_value = "never")]
    Never,
}
