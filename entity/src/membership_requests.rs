use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: Uuid,
    pub from_unit_id: Option<i32>,
    pub unit_id: i32,
    /// JSON array of category codes.
    #[sea_orm(column_type = "Text")]
    pub add_categories: String,
    /// JSON array of category codes.
    #[sea_orm(column_type = "Text")]
    pub remove_categories: String,
    pub admitted_on: Option<Date>,
    /// `pending`, `approved`, `rejected` or `superseded`.
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
