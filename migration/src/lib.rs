//! Database migrations. Each migration is plain SQL written twice, once for SQLite and once for
//! PostgreSQL, because the search index differs (FTS5 trigram vs tsvector + pg_trgm).

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

mod m20261125_000001_initial;
mod m20261126_000002_duplicates;
mod m20261126_000003_scans;
mod m20261127_000004_merges;
mod m20261127_000005_ocr_corrections;
mod m20261127_000006_integrations;
mod m20261127_000007_list_indexes;
mod m20261128_000010_contact_keys_cover;
mod m20261128_000011_search_words;
mod m20261129_000012_search_table;
mod m20261130_000013_search_trigram_counts;
mod m20261206_000014_token_version;
mod m20261206_000015_maintenance;
mod m20261206_000016_imports;
mod m20261206_000017_carddav;
mod m20261207_000018_contact_photos;
mod m20261207_000019_dav_group_seen;
mod m20261207_000020_search_statement_triggers;
mod m20261208_000021_photo_for_phones;
mod m20261208_000022_bot_update_scans;
pub mod search_words;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial::Migration),
            Box::new(m20261126_000002_duplicates::Migration),
            Box::new(m20261126_000003_scans::Migration),
            Box::new(m20261127_000004_merges::Migration),
            Box::new(m20261127_000005_ocr_corrections::Migration),
            Box::new(m20261127_000006_integrations::Migration),
            Box::new(m20261127_000007_list_indexes::Migration),
            Box::new(m20261128_000010_contact_keys_cover::Migration),
            Box::new(m20261128_000011_search_words::Migration),
            Box::new(m20261129_000012_search_table::Migration),
            Box::new(m20261130_000013_search_trigram_counts::Migration),
            Box::new(m20261206_000014_token_version::Migration),
            Box::new(m20261206_000015_maintenance::Migration),
            Box::new(m20261206_000016_imports::Migration),
            Box::new(m20261206_000017_carddav::Migration),
            Box::new(m20261207_000018_contact_photos::Migration),
            Box::new(m20261207_000019_dav_group_seen::Migration),
            Box::new(m20261207_000020_search_statement_triggers::Migration),
            Box::new(m20261208_000021_photo_for_phones::Migration),
            Box::new(m20261208_000022_bot_update_scans::Migration),
        ]
    }
}

/// Runs the statements of `sqlite` or `postgres` (separated by `-- split`) for the connected backend.
pub(crate) async fn run_sql(manager: &SchemaManager<'_>, sqlite: &str, postgres: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let script = match manager.get_database_backend() {
        DatabaseBackend::Sqlite => sqlite,
        DatabaseBackend::Postgres => postgres,
        other => return Err(DbErr::Migration(format!("unsupported database backend {other:?}"))),
    };
    for statement in script.split("-- split").map(str::trim).filter(|s| !s.is_empty()) {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}
