//! Connecting to SQLite (embedded default) or PostgreSQL, and applying migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
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
        opts.max_connections(if memory { 1 } else { pool_size(DatabaseBackend::Sqlite) }).min_connections(1);
        // Per-connection settings must be set on every pooled connection, not once.
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(pool_size(DatabaseBackend::Postgres)).min_connections(2);
    }
    Database::connect(opts).await
}

/// Connections in the pool: `DATABASE_POOL_SIZE` when set, else 8 for SQLite (readers; one
/// writes at a time) and, for PostgreSQL, twice this machine's cores plus two (6 on two cores).
///
/// A PostgreSQL pool much larger than the cores that run the queries costs throughput: every
/// connection is a backend process with its own caches (statement plans, catalog), and sqlx's
/// pool hands out the connection idle longest (its idle queue is first in, first out), so with 20
/// each statement ran on the backend whose caches were coldest. On two cores, the search mix ran
/// at 1,860 req/s with 20 connections against 2,060-2,270 with 6, the same searches at most six
/// at a time (BENCHMARKS.md, session 11). Set
/// it higher when PostgreSQL has more cores than this machine.
fn pool_size(backend: DatabaseBackend) -> u32 {
    let default = match backend {
        DatabaseBackend::Postgres => {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
            2 * cores + 2
        }
        _ => 8,
    };
    std::env::var("DATABASE_POOL_SIZE").ok().and_then(|v| v.trim().parse().ok()).filter(|&n| n > 0).unwrap_or(default)
}

/// How many connections `db`'s pool holds at most, as [`connect`] opened it.
pub fn pool_max(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => db.get_postgres_connection_pool().options().get_max_connections(),
        _ => db.get_sqlite_connection_pool().options().get_max_connections(),
    }
}

/// The PostgreSQL advisory lock every instance takes around its migrations ("cardcrm" in ASCII).
const MIGRATION_LOCK: i64 = 0x63_61_72_64_63_72_6d;

/// Applies every pending migration.
///
/// On PostgreSQL several instances may start together on one database (the compose file runs
/// two): each takes a session-level advisory lock on a connection it holds for the purpose, so
/// one migrates while the others wait, then find nothing left to do. SQLite is one file opened by
/// one process.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    use sea_orm::sqlx;
    let pool = db.get_postgres_connection_pool();
    let mut lock = pool.acquire().await.map_err(|e| DbErr::Custom(format!("cannot hold a connection: {e}")))?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await
        .map_err(|e| DbErr::Custom(format!("cannot take the migration lock: {e}")))?;
    let migrated = Migrator::up(db, None).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *lock).await;
    if let Err(e) = unlocked {
        // The lock goes with the session: close this connection rather than return it to the pool.
        tracing::warn!(error = %e, "could not release the migration lock; closing its connection");
        let _ = lock.detach();
    }
    migrated
}

/// Starts a transaction that will write. On SQLite it begins `IMMEDIATE`: the write lock is taken
/// at `BEGIN`, where the busy timeout makes concurrent writers wait their turn, rather than at
/// the first write after a read, where two deferred transactions deadlock and one fails at once
/// with "database is locked". On PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A cheap query that proves the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// A raw statement written with `?` placeholders, rewritten as `$1, $2…` for PostgreSQL.
pub fn statement(backend: DatabaseBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    if backend != DatabaseBackend::Postgres {
        return sea_orm::Statement::from_sql_and_values(backend, sql, values);
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    sea_orm::Statement::from_sql_and_values(backend, out, values)
}

/// The `i`-th (1-based) bind placeholder of a raw statement: `$i` on PostgreSQL, `?` on SQLite.
pub fn placeholder(backend: DatabaseBackend, i: usize) -> String {
    if backend == DatabaseBackend::Postgres {
        format!("${i}")
    } else {
        "?".into()
    }
}

/// [`crate::dto::check_paging`] as a service error (422 naming `page` or `limit`): every door that lists
/// (REST, server functions, bots) goes through it, so none can pass an overflowing offset on.
pub(crate) fn paging(page: Option<u64>, limit: Option<u64>, default_limit: u64) -> crate::AppResult<(u64, u64)> {
    crate::dto::check_paging(page, limit, default_limit, crate::dto::MAX_PAGE_SIZE)
        .map_err(|(field, message)| crate::AppError::validation(field, message))
}
