use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub category: Category,
}

/// Who a person is in the Union's counting (design.md, People), stored as its code. A code
/// this version does not know fails the read instead of vanishing.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Cán bộ Đoàn, Hội, Đội.
    #[sea_orm(string_value = "cadre")]
    Cadre,
    /// Đoàn viên.
    #[sea_orm(string_value = "member")]
    Member,
    /// Đoàn viên mới kết nạp (with `admitted_on`).
    #[sea_orm(string_value = "new_member")]
    NewMember,
    /// Hội viên.
    #[sea_orm(string_value = "association_member")]
    AssociationMember,
    /// Thanh niên, 16–30.
    #[sea_orm(string_value = "youth")]
    Youth,
    /// Thiếu niên, nhi đồng, under 16.
    #[sea_orm(string_value = "child")]
    Child,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Cadre,
        Category::Member,
        Category::NewMember,
        Category::AssociationMember,
        Category::Youth,
        Category::Child,
    ];

    /// The stored (and JSON) code.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Cadre => "cadre",
            Category::Member => "member",
            Category::NewMember => "new_member",
            Category::AssociationMember => "association_member",
            Category::Youth => "youth",
            Category::Child => "child",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
