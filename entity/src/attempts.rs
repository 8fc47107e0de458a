use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub quiz_id: i32,
    pub user_id: Uuid,
    pub attempt_no: i32,
    pub state: String,
    pub unit_id: Option<i32>,
    pub started_at: DateTimeUtc,
    pub deadline: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub paper: String,
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub revision: i32,
    pub submitted_at: Option<DateTimeUtc>,
    pub closed_by: Option<String>,
    pub correct: Option<i32>,
    pub total: i32,
    pub duration_ms: Option<i64>,
    pub passed: Option<bool>,
    pub idempotency_key: Option<String>,
    pub prediction: Option<i64>,
    /// Taken by someone who can read the keys: never ranked, never on a board.
    pub practice: bool,
    pub updated_at: DateTimeUtc,
    /// The attempt has ended but what follows (progress, the board) is not yet recorded.
    pub effects_pending: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
