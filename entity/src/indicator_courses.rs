use sea_orm::entity::prelude::*;

/// A course whose completions count for an indicator (beyond the catalogue's own list).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_courses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
