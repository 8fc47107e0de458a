use sea_orm::entity::prelude::*;

/// An admin's settings for one reporting year: which phase's targets apply, and its dates.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_years")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub phase: String,
    pub period_from: Date,
    pub period_to: Date,
    pub cutoff: Date,
    pub deadline: Date,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
