//! Certificates: one row per issued certificate, with the exact bytes that were signed.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_table, drop_tables, fk, index, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            m,
            Table::create()
                .table(Certificates::Table)
                .col(uuid(Certificates::Id).primary_key())
                // The code in canonical form; looked up by the verify endpoints.
                .col(string_len(Certificates::Code, 16))
                // `course:{id}:{user}` or `round:{id}:{user}`; with `seq`, unique: automatic
                // issuance inserts seq 1 once, a re-issue takes the next number.
                .col(string_len(Certificates::Achievement, 96))
                .col(integer(Certificates::Seq))
                .col(string_len(Certificates::Kind, 32))
                .col(uuid(Certificates::UserId))
                .col(integer_null(Certificates::CourseId))
                .col(integer_null(Certificates::RoundId))
                // The holder's unit at issuance: whose organizers may see and manage it.
                .col(integer_null(Certificates::UnitId))
                .col(integer_null(Certificates::IssuerUnitId))
                // Public output masks the holder's name: a minor at issuance, or a holder who
                // erased their account.
                .col(boolean(Certificates::Masked))
                // RFC 8785 canonical JSON of the facts: exactly the signed bytes.
                .col(text(Certificates::Facts))
                .col(string_len(Certificates::Signature, 128))
                .col(string_len(Certificates::KeyId, 64))
                .col(timestamp_with_time_zone(Certificates::IssuedAt))
                .col(uuid_null(Certificates::IssuedBy))
                .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                .col(text_null(Certificates::RevokedReason))
                .col(uuid_null(Certificates::RevokedBy))
                .col(uuid_null(Certificates::SupersededBy))
                .col(timestamp_with_time_zone_null(Certificates::SupersededAt))
                .foreign_key(&mut fk(
                    Certificates::Table,
                    Certificates::UserId,
                    Users::Table,
                    Users::Id,
                )),
        )
        .await?;
        unique(
            m,
            "uq_certificates_code",
            Certificates::Table,
            &[Certificates::Code],
        )
        .await?;
        unique(
            m,
            "uq_certificates_achievement_seq",
            Certificates::Table,
            &[Certificates::Achievement, Certificates::Seq],
        )
        .await?;
        index(
            m,
            "idx_certificates_user",
            Certificates::Table,
            &[Certificates::UserId],
        )
        .await?;
        index(
            m,
            "idx_certificates_round",
            Certificates::Table,
            &[Certificates::RoundId],
        )
        .await?;
        index(
            m,
            "idx_certificates_course",
            Certificates::Table,
            &[Certificates::CourseId],
        )
        .await?;
        index(
            m,
            "idx_certificates_unit",
            Certificates::Table,
            &[Certificates::UnitId],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, vec![Certificates::Table.into_iden()]).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Certificates {
    Table,
    Id,
    Code,
    Achievement,
    Seq,
    Kind,
    UserId,
    CourseId,
    RoundId,
    UnitId,
    IssuerUnitId,
    Masked,
    Facts,
    Signature,
    KeyId,
    IssuedAt,
    IssuedBy,
    RevokedAt,
    RevokedReason,
    RevokedBy,
    SupersededBy,
    SupersededAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}
