//! Units (the organisation tree), accounts, member categories, organizer grants and
//! refresh tokens.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_table, drop_tables, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Units::Table)
                .col(pk_auto(Units::Id))
                .col(integer_null(Units::ParentId))
                .col(string_len(Units::Name, 200))
                .col(string_len(Units::Kind, 32))
                // Materialised path "/1/4/17/": a subtree is one indexed prefix scan.
                .col(string_len(Units::Path, 512))
                .col(integer_null(Units::MergedIntoId))
                .col(timestamp_with_time_zone(Units::CreatedAt))
                .col(timestamp_with_time_zone(Units::UpdatedAt))
                .foreign_key(&mut fk(
                    Units::Table,
                    Units::ParentId,
                    Units::Table,
                    Units::Id,
                ))
                .foreign_key(&mut fk(
                    Units::Table,
                    Units::MergedIntoId,
                    Units::Table,
                    Units::Id,
                )),
        )
        .await?;
        index(
            manager,
            "idx_units_parent",
            Units::Table,
            &[Units::ParentId],
        )
        .await?;
        index(manager, "idx_units_path", Units::Table, &[Units::Path]).await?;

        create_table(
            manager,
            Table::create()
                .table(Users::Table)
                .col(uuid(Users::Id).primary_key())
                .col(string_len(Users::FullName, 200))
                .col(string_len_null(Users::Phone, 20).unique_key())
                .col(string_len_null(Users::Email, 254).unique_key())
                .col(string_len_null(Users::PasswordHash, 255))
                .col(date_null(Users::BirthDate))
                .col(integer_null(Users::UnitId))
                .col(date_null(Users::AdmittedOn))
                .col(boolean(Users::GuardianConsent).default(false))
                .col(boolean(Users::IsAdmin).default(false))
                .col(timestamp_with_time_zone_null(Users::DeletedAt))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .foreign_key(&mut fk(
                    Users::Table,
                    Users::UnitId,
                    Units::Table,
                    Units::Id,
                )),
        )
        .await?;
        index(manager, "idx_users_unit", Users::Table, &[Users::UnitId]).await?;

        create_table(
            manager,
            Table::create()
                .table(UserCategories::Table)
                .col(uuid(UserCategories::UserId))
                .col(string_len(UserCategories::Category, 32))
                .primary_key(
                    Index::create()
                        .col(UserCategories::UserId)
                        .col(UserCategories::Category),
                )
                .foreign_key(
                    fk(
                        UserCategories::Table,
                        UserCategories::UserId,
                        Users::Table,
                        Users::Id,
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                ),
        )
        .await?;
        index(
            manager,
            "idx_user_categories_category",
            UserCategories::Table,
            &[UserCategories::Category],
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table(UnitOrganizers::Table)
                .col(integer(UnitOrganizers::UnitId))
                .col(uuid(UnitOrganizers::UserId))
                .col(uuid_null(UnitOrganizers::GrantedBy))
                .col(timestamp_with_time_zone(UnitOrganizers::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(UnitOrganizers::UnitId)
                        .col(UnitOrganizers::UserId),
                )
                .foreign_key(&mut fk(
                    UnitOrganizers::Table,
                    UnitOrganizers::UnitId,
                    Units::Table,
                    Units::Id,
                ))
                .foreign_key(
                    fk(
                        UnitOrganizers::Table,
                        UnitOrganizers::UserId,
                        Users::Table,
                        Users::Id,
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                ),
        )
        .await?;
        index(
            manager,
            "idx_unit_organizers_user",
            UnitOrganizers::Table,
            &[UnitOrganizers::UserId],
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table(RefreshTokens::Table)
                .col(uuid(RefreshTokens::Id).primary_key())
                .col(uuid(RefreshTokens::UserId))
                // Every rotation of one login shares a family; reuse of a spent token
                // revokes the whole family (the stolen-token signal).
                .col(uuid(RefreshTokens::FamilyId))
                .col(string_len(RefreshTokens::TokenHash, 64).unique_key())
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                .foreign_key(
                    fk(
                        RefreshTokens::Table,
                        RefreshTokens::UserId,
                        Users::Table,
                        Users::Id,
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                ),
        )
        .await?;
        index(
            manager,
            "idx_refresh_tokens_user",
            RefreshTokens::Table,
            &[RefreshTokens::UserId],
        )
        .await?;
        index(
            manager,
            "idx_refresh_tokens_family",
            RefreshTokens::Table,
            &[RefreshTokens::FamilyId],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                RefreshTokens::Table.into_iden(),
                UnitOrganizers::Table.into_iden(),
                UserCategories::Table.into_iden(),
                Users::Table.into_iden(),
                Units::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Units {
    Table,
    Id,
    ParentId,
    Name,
    Kind,
    Path,
    MergedIntoId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    FullName,
    Phone,
    Email,
    PasswordHash,
    BirthDate,
    UnitId,
    AdmittedOn,
    GuardianConsent,
    IsAdmin,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserCategories {
    Table,
    UserId,
    Category,
}

#[derive(DeriveIden, Clone, Copy)]
enum UnitOrganizers {
    Table,
    UnitId,
    UserId,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}
