//! The only place that speaks sea-orm.

pub mod attempts;
pub mod banks;
pub mod certificates;
pub mod contests;
pub mod courses;
pub mod facts;
pub mod finishes;
pub mod group;
pub mod indicators;
pub mod json;
pub mod members;
pub mod saves;
pub mod scale;
pub mod starts;
pub mod stats;
pub mod tokens;
pub mod units;
pub mod users;

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, TransactionTrait};

use crate::{config::Settings, error::ApiResult};

pub type Db = DatabaseConnection;

/// One use case's transaction: begun by the service with [`begin`], passed down to every store
/// function it calls, committed once with `tx.commit().await?`. Dropped without a commit (an
/// early return, an error, a cancelled request), it rolls back: nothing is half-written.
pub type Tx = sea_orm::DatabaseTransaction;

/// What store functions read and write through: the pool (`&Db`) for a single statement, or
/// the use case's [`Tx`].
pub use sea_orm::ConnectionTrait as Conn;

/// Begins the transaction of one use case.
///
/// Fails when the database does not answer.
pub async fn begin(db: &Db) -> ApiResult<Tx> {
    Ok(db.begin().await?)
}

/// How long a request waits for a PostgreSQL connection before it fails (503). Short: when
/// the database is down every request would otherwise hang this long, and readiness with it;
/// under load a healthy pool hands a connection over in milliseconds.
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

/// A pooled PostgreSQL connection idle at least this long is pinged before it is handed out.
const PG_PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// How long opening one PostgreSQL connection may take.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens the database named by the settings.
///
/// SQLite gets exactly one connection: SQLite has one writer anyway, and one connection rules
/// out `SQLITE_BUSY` on transactions that read before they write (and keeps a `:memory:`
/// database alive for the life of the pool). Requests queue for it, so they may wait longer
/// for it than for a PostgreSQL connection; an embedded file cannot be "down". PostgreSQL gets
/// a pool sized for the machine (`DATABASE_MAX_CONNECTIONS`, a few per core) that fails fast.
///
/// Fails when the database cannot be reached or opened.
pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let mut opts = ConnectOptions::new(settings.database_url.clone());
    opts.sqlx_logging(false);
    if settings.is_sqlite() {
        opts.connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .map_sqlx_sqlite_opts(|o| {
                let memory = o.get_filename().as_os_str().is_empty()
                    || o.get_filename().to_string_lossy().contains(":memory:");
                let o = o.foreign_keys(true).busy_timeout(Duration::from_secs(5));
                if memory {
                    o
                } else {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                }
            });
    } else {
        // A liveness ping on every acquire is one more round trip per statement; a connection
        // busy a moment ago is alive, so only one idle this long is pinged first.
        opts.connect_timeout(PG_CONNECT_TIMEOUT)
            .acquire_timeout(PG_ACQUIRE_TIMEOUT)
            .max_connections(settings.database_max_connections.max(1))
            .min_connections(1)
            .test_before_acquire_if_idle_for(PG_PING_AFTER_IDLE);
    }
    Database::connect(opts).await.with_context(|| {
        format!(
            "cannot open the database ({})",
            redact(&settings.database_url)
        )
    })
}

/// The URL without its password, for logs. A URL that does not parse is not echoed past its
/// scheme when it might hold credentials: a log line must never carry a password.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => match parsed.set_password(Some("***")) {
            Ok(()) => parsed.to_string(),
            Err(()) => format!("{}://***", parsed.scheme()),
        },
        Ok(_) => url.to_owned(),
        Err(_) if url.contains('@') => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            super::redact("postgres://app:hunter2@db:5432/sd"),
            "postgres://app:***@db:5432/sd"
        );
        assert_eq!(
            super::redact("sqlite://./data/soiduong.db"),
            "sqlite://./data/soiduong.db"
        );
        assert_eq!(super::redact("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn an_encoded_at_sign_in_the_password_is_hidden_with_it() {
        assert_eq!(
            super::redact("postgres://app:p%40ss%3Aw0rd@db.internal:5432/sd?sslmode=require"),
            "postgres://app:***@db.internal:5432/sd?sslmode=require"
        );
        assert_eq!(
            super::redact("redis://:s%40cret@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
    }

    #[test]
    fn a_url_without_a_password_is_left_as_it_is() {
        assert_eq!(
            super::redact("postgres://app@db:5432/sd"),
            "postgres://app@db:5432/sd"
        );
        assert_eq!(
            super::redact("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }
}
