use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub parent_id: Option<i32>,
    pub name: String,
    pub kind: UnitKind,
    pub path: String,
    pub merged_into_id: Option<i32>,
    pub member_count: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// What a unit is, stored as its code.
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
pub enum UnitKind {
    /// Tỉnh Đoàn, Thành Đoàn trực thuộc Trung ương.
    #[sea_orm(string_value = "province")]
    Province,
    /// Huyện, thị, thành Đoàn; Đoàn khối.
    #[sea_orm(string_value = "district")]
    District,
    /// Đoàn xã.
    #[sea_orm(string_value = "commune")]
    Commune,
    /// Đoàn phường.
    #[sea_orm(string_value = "ward")]
    Ward,
    /// Đoàn thị trấn.
    #[sea_orm(string_value = "township")]
    Township,
    /// Đoàn trường học.
    #[sea_orm(string_value = "school")]
    School,
    /// Đoàn cơ quan.
    #[sea_orm(string_value = "agency")]
    Agency,
    /// Đoàn doanh nghiệp.
    #[sea_orm(string_value = "enterprise")]
    Enterprise,
    /// Đoàn lực lượng vũ trang.
    #[sea_orm(string_value = "armed_forces")]
    ArmedForces,
    #[sea_orm(string_value = "other")]
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 10] = [
        UnitKind::Province,
        UnitKind::District,
        UnitKind::Commune,
        UnitKind::Ward,
        UnitKind::Township,
        UnitKind::School,
        UnitKind::Agency,
        UnitKind::Enterprise,
        UnitKind::ArmedForces,
        UnitKind::Other,
    ];

    /// The stored (and JSON) code.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::District => "district",
            UnitKind::Commune => "commune",
            UnitKind::Ward => "ward",
            UnitKind::Township => "township",
            UnitKind::School => "school",
            UnitKind::Agency => "agency",
            UnitKind::Enterprise => "enterprise",
            UnitKind::ArmedForces => "armed_forces",
            UnitKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
