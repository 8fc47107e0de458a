use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub slug: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub owner_unit_id: i32,
    #[sea_orm(column_type = "Text")]
    pub audience_categories: String,
    #[sea_orm(column_type = "Text")]
    pub audience_units: String,
    #[sea_orm(column_type = "Text")]
    pub ranking_rule: String,
    #[sea_orm(column_type = "Text")]
    pub prize_rule: String,
    pub one_prize_per_person: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
