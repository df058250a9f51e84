//! Check-on-create looks every blocking key up with `key = ? LIMIT n` and wants only the
//! `contact_id`: an index on `(key, contact_id)` answers that from the index alone (SQLite and
//! PostgreSQL index-only scans), where the old index on `key` needed a table lookup per row found.
//! It replaces that index (its prefix), so writes keep the same number of indexes.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = include_str!("sql/contact_keys_cover.sql");
        crate::run_sql(manager, sql, sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = include_str!("sql/contact_keys_cover.down.sql");
        crate::run_sql(manager, sql, sql).await
    }
}
