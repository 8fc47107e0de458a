//! Statement builders the migrations share.
//!
//! Landed migrations are never edited, with one exception made on purpose: their copied
//! helpers (table and index builders, foreign keys, column adds and drops) were moved here, and only the
//! calls changed, not what they do. Each helper builds exactly the statement the code it
//! replaced built: `index` and `unique` keep `IF NOT EXISTS`, `index_unguarded` keeps the
//! plain `CREATE INDEX` the hardening migrations wrote. The SQL every migration runs was
//! compared before and after the move (the logged statements and the SQLite and `pg_dump -s`
//! schemas were identical); a change here changes landed migrations, so keep it so.

use sea_orm_migration::prelude::*;

/// `CREATE TABLE IF NOT EXISTS …`: every table the migrations create is guarded so.
pub async fn create_table(
    m: &SchemaManager<'_>,
    table: &mut TableCreateStatement,
) -> Result<(), DbErr> {
    m.create_table(table.if_not_exists().to_owned()).await
}

/// `CREATE INDEX IF NOT EXISTS name ON table (cols…)`.
pub async fn index<C: IntoIden + Clone>(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    cols: &[C],
) -> Result<(), DbErr> {
    m.create_index(statement(name, table, cols).if_not_exists().to_owned())
        .await
}

/// `CREATE UNIQUE INDEX IF NOT EXISTS name ON table (cols…)`.
pub async fn unique<C: IntoIden + Clone>(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    cols: &[C],
) -> Result<(), DbErr> {
    m.create_index(
        statement(name, table, cols)
            .unique()
            .if_not_exists()
            .to_owned(),
    )
    .await
}

/// `CREATE INDEX name ON table (cols…)`, without `IF NOT EXISTS`, as the migrations that used
/// it were written.
pub async fn index_unguarded<C: IntoIden + Clone>(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    cols: &[C],
) -> Result<(), DbErr> {
    m.create_index(statement(name, table, cols)).await
}

fn statement<C: IntoIden + Clone>(
    name: &str,
    table: impl IntoTableRef,
    cols: &[C],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    stmt
}

/// `DROP INDEX name` (on `table` where the backend wants it).
pub async fn drop_index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

/// A foreign key `from_table.from_col → to_table.to_col`, with the backend's default actions.
pub fn fk(
    from_table: impl IntoTableRef,
    from_col: impl IntoIden,
    to_table: impl IntoTableRef,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .to_owned()
}

/// `ALTER TABLE table ADD COLUMN …` (SQLite alters one column a statement).
pub async fn add_column(
    m: &SchemaManager<'_>,
    table: impl IntoTableRef,
    col: impl IntoColumnDef,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

/// `ALTER TABLE table DROP COLUMN col`.
pub async fn drop_column(
    m: &SchemaManager<'_>,
    table: impl IntoTableRef,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
        .await
}

/// `DROP TABLE IF EXISTS` each table, in the order given (dependents first).
pub async fn drop_tables(m: &SchemaManager<'_>, tables: Vec<DynIden>) -> Result<(), DbErr> {
    for table in tables {
        m.drop_table(Table::drop().table(table).if_exists().to_owned())
            .await?;
    }
    Ok(())
}
