//! Accounts hardening: a per-user token generation (bumped by logout, password change and
//! erasure, it ends every access token at once) and membership change requests (a change of
//! unit or of a staff-assigned category waits for an organizer of the receiving unit).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::TokenGeneration).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MembershipRequests::Table)
                    .if_not_exists()
                    .col(pk_auto(MembershipRequests::Id))
                    .col(uuid(MembershipRequests::UserId))
                    .col(integer_null(MembershipRequests::FromUnitId))
                    // The receiving unit: its organizers (and those above) decide.
                    .col(integer(MembershipRequests::UnitId))
                    // JSON arrays of category codes.
                    .col(text(MembershipRequests::AddCategories))
                    .col(text(MembershipRequests::RemoveCategories))
                    .col(date_null(MembershipRequests::AdmittedOn))
                    .col(string_len(MembershipRequests::Status, 16))
                    .col(text_null(MembershipRequests::Reason))
                    .col(uuid_null(MembershipRequests::DecidedBy))
                    .col(timestamp_with_time_zone(MembershipRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(MembershipRequests::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MembershipRequests::Table, MembershipRequests::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MembershipRequests::Table, MembershipRequests::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_requests_user")
                    .table(MembershipRequests::Table)
                    .col(MembershipRequests::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_requests_unit_status")
                    .table(MembershipRequests::Table)
                    .col(MembershipRequests::UnitId)
                    .col(MembershipRequests::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MembershipRequests::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::TokenGeneration)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TokenGeneration,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MembershipRequests {
    Table,
    Id,
    UserId,
    FromUnitId,
    UnitId,
    AddCategories,
    RemoveCategories,
    AdmittedOn,
    Status,
    Reason,
    DecidedBy,
    CreatedAt,
    DecidedAt,
}
