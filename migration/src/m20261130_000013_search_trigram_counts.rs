//! PostgreSQL: how many contacts hold each trigram of the search text, counted now and then by
//! the server's search upkeep (`service::search::search_index`). The search reads it to bound how many
//! contacts a query word can match, and looks a word that is rare by that bound up in the trigram
//! index at once instead of first walking the newest contacts. See
//! `sql/search_trigram_counts.postgres.sql`. SQLite's search index needs no such table.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "", include_str!("sql/search_trigram_counts.postgres.sql")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "", "DROP TABLE IF EXISTS search_trigram_counts").await
    }
}
