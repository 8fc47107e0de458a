//! Accounts hardening: a per-user token generation (bumped by logout, password change and
//! erasure, it ends every access token at once) and membership change requests (a change of
//! unit or of a staff-assigned category waits for an organizer of the receiving unit).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, create_table, drop_column, fk, index_unguarded};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Users::Table,
            integer(Users::TokenGeneration).default(0),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(MembershipRequests::Table)
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
                .foreign_key(&mut fk(
                    MembershipRequests::Table,
                    MembershipRequests::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk(
                    MembershipRequests::Table,
                    MembershipRequests::UnitId,
                    Units::Table,
                    Units::Id,
                )),
        )
        .await?;
        index_unguarded(
            manager,
            "idx_membership_requests_user",
            MembershipRequests::Table,
            &[MembershipRequests::UserId],
        )
        .await?;
        index_unguarded(
            manager,
            "idx_membership_requests_unit_status",
            MembershipRequests::Table,
            &[MembershipRequests::UnitId, MembershipRequests::Status],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MembershipRequests::Table).to_owned())
            .await?;
        drop_column(manager, Users::Table, Users::TokenGeneration).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    TokenGeneration,
}

#[derive(DeriveIden, Clone, Copy)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
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
