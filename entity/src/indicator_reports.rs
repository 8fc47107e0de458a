use sea_orm::entity::prelude::*;

/// A unit's self-reported figures for one year.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_id: i32,
    pub year: i32,
    /// The figures as JSON.
    #[sea_orm(column_type = "Text")]
    pub figures: String,
    pub submitted_at: DateTimeUtc,
    pub submitted_by: Uuid,
    pub updated_at: DateTimeUtc,
    /// An admin's unlock: editable through this day.
    pub unlocked_until: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
