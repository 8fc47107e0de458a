use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "round_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub rank: i32,
    pub user_id: Uuid,
    pub attempt_id: Uuid,
    pub unit_id: Option<i32>,
    pub unit_name: Option<String>,
    pub display_name: String,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: i64,
    pub time_ms: i64,
    pub prediction: Option<i64>,
    pub prediction_error: Option<i64>,
    pub attempts_used: i32,
    pub submitted_at: DateTimeUtc,
    pub prize: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
