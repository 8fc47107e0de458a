//! Content that stays true: a question version may name its family (questions that give each
//! other away never share a paper), the days it may be drawn on, and the legal documents it
//! rests on.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        add_column(
            m,
            QuestionVersions::Table,
            string_null(QuestionVersions::Family),
        )
        .await?;
        add_column(
            m,
            QuestionVersions::Table,
            date_null(QuestionVersions::ValidFrom),
        )
        .await?;
        add_column(
            m,
            QuestionVersions::Table,
            date_null(QuestionVersions::ValidUntil),
        )
        .await?;
        add_column(
            m,
            QuestionVersions::Table,
            text(QuestionVersions::Documents).default("[]"),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [
            QuestionVersions::Documents,
            QuestionVersions::ValidUntil,
            QuestionVersions::ValidFrom,
            QuestionVersions::Family,
        ] {
            drop_column(m, QuestionVersions::Table, c).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum QuestionVersions {
    Table,
    Family,
    ValidFrom,
    ValidUntil,
    Documents,
}
