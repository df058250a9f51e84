//! Connecting to SQLite (embedded default) or PostgreSQL, and applying migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr};
use std::time::Duration;

/// Opens the database named by `url`, creating a SQLite file (and its folder) when needed.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut url = url.to_string();
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or_default();
        if !path.is_empty() && path != ":memory:" {
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
                }
            }
        }
        if !url.contains("mode=") {
            url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
    }
    let sqlite = url.starts_with("sqlite:");
    let memory = url.contains(":memory:");
    let mut opts = ConnectOptions::new(url);
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(10));
    if sqlite {
        // One connection for an in-memory database (each connection would see its own), a few readers otherwise.
        opts.max_connections(if memory { 1 } else { pool_size(8) }).min_connections(1);
        // Per-connection settings must be set on every pooled connection, not once.
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(pool_size(20)).min_connections(2);
    }
    Database::connect(opts).await
}

/// Connections in the pool: `DATABASE_POOL_SIZE` when set, else `default`.
fn pool_size(default: u32) -> u32 {
    std::env::var("DATABASE_POOL_SIZE").ok().and_then(|v| v.trim().parse().ok()).filter(|&n| n > 0).unwrap_or(default)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A cheap query that proves the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// The `i`-th (1-based) bind placeholder of a raw statement: `$i` on PostgreSQL, `?` on SQLite.
pub fn placeholder(backend: DatabaseBackend, i: usize) -> String {
    if backend == DatabaseBackend::Postgres {
        format!("${i}")
    } else {
        "?".into()
    }
}
