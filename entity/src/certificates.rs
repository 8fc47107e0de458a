use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The code in canonical form (14 Crockford base-32 symbols).
    pub code: String,
    /// What the certificate is for, per person: `course:{id}:{user}` or `round:{id}:{user}`.
    pub achievement: String,
    /// 1 for the first issue of an achievement, then one more per re-issue.
    pub seq: i32,
    pub kind: CertificateKind,
    pub user_id: Uuid,
    pub course_id: Option<i32>,
    pub round_id: Option<i32>,
    /// The holder's unit at issuance.
    pub unit_id: Option<i32>,
    pub issuer_unit_id: Option<i32>,
    /// Public output masks the holder's name: a minor at issuance, or a holder who erased
    /// their account.
    pub masked: bool,
    /// RFC 8785 canonical JSON of the signed facts: exactly the bytes signed.
    #[sea_orm(column_type = "Text")]
    pub facts: String,
    /// Ed25519 signature over `facts`, base64url.
    pub signature: String,
    pub key_id: String,
    pub issued_at: DateTimeUtc,
    /// The organizer who issued it by hand or re-issued it; `None` when automatic.
    pub issued_by: Option<Uuid>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
    pub revoked_by: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
    pub superseded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a certificate is for, stored as its code.
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
pub enum CertificateKind {
    #[sea_orm(string_value = "course")]
    Course,
    #[sea_orm(string_value = "contest_award")]
    ContestAward,
}
