use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub question_id: i32,
    pub version: i32,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub stem: String,
    #[sea_orm(column_type = "Text")]
    pub options: String,
    #[sea_orm(column_type = "Text")]
    pub explanation: String,
    #[sea_orm(column_type = "Text")]
    pub source: String,
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    pub difficulty: i16,
    pub content_hash: String,
    pub created_at: DateTimeUtc,
    pub family: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    /// JSON list of document numbers.
    #[sea_orm(column_type = "Text")]
    pub documents: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
