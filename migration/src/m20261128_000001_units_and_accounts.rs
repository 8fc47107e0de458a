//! Units (the organisation tree), accounts, member categories, organizer grants and
//! refresh tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .if_not_exists()
                    .col(pk_auto(Units::Id))
                    .col(integer_null(Units::ParentId))
                    .col(string_len(Units::Name, 200))
                    .col(string_len(Units::Kind, 32))
                    // Materialised path "/1/4/17/": a subtree is one indexed prefix scan.
                    .col(string_len(Units::Path, 512))
                    .col(integer_null(Units::MergedIntoId))
                    .col(timestamp_with_time_zone(Units::CreatedAt))
                    .col(timestamp_with_time_zone(Units::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Units::Table, Units::ParentId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Units::Table, Units::MergedIntoId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
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

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "idx_users_unit", Users::Table, &[Users::UnitId]).await?;

        manager
            .create_table(
                Table::create()
                    .table(UserCategories::Table)
                    .if_not_exists()
                    .col(uuid(UserCategories::UserId))
                    .col(string_len(UserCategories::Category, 32))
                    .primary_key(
                        Index::create()
                            .col(UserCategories::UserId)
                            .col(UserCategories::Category),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserCategories::Table, UserCategories::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_user_categories_category",
            UserCategories::Table,
            &[UserCategories::Category],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(UnitOrganizers::Table)
                    .if_not_exists()
                    .col(integer(UnitOrganizers::UnitId))
                    .col(uuid(UnitOrganizers::UserId))
                    .col(uuid_null(UnitOrganizers::GrantedBy))
                    .col(timestamp_with_time_zone(UnitOrganizers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(UnitOrganizers::UnitId)
                            .col(UnitOrganizers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitOrganizers::Table, UnitOrganizers::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitOrganizers::Table, UnitOrganizers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_unit_organizers_user",
            UnitOrganizers::Table,
            &[UnitOrganizers::UserId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
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
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
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
        for table in [
            RefreshTokens::Table.into_iden(),
            UnitOrganizers::Table.into_iden(),
            UserCategories::Table.into_iden(),
            Users::Table.into_iden(),
            Units::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr>
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for col in cols {
        stmt.col(col.clone());
    }
    manager.create_index(stmt.to_owned()).await
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
