use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quizzes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub kind: String,
    pub course_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub draw_rules: String,
    pub time_limit_secs: i32,
    pub pass_mark: i32,
    pub attempts_allowed: i32,
    pub review: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
