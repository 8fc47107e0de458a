use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A person a unit counts: from a roster upload or an organizer's confirmation, registered
/// here or not.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_id: i32,
    pub full_name: String,
    pub birth_date: Option<Date>,
    /// E.164.
    pub phone: Option<String>,
    /// One bit a category, in `Category::ALL` order.
    pub category_mask: i32,
    pub admitted_on: Option<Date>,
    pub user_id: Option<Uuid>,
    /// When the person confirmed the match with their account.
    pub confirmed_at: Option<DateTimeUtc>,
    pub source: MemberSource,
    pub left_on: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub left_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
}

/// Where a member record comes from, stored as its code.
#[derive(
    Clone,
    Copy,
    Debug,
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
pub enum MemberSource {
    /// A roster upload.
    #[sea_orm(string_value = "roster")]
    Roster,
    /// An organizer approved the person's membership request.
    #[sea_orm(string_value = "organizer")]
    Organizer,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
