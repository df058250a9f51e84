//! PostgreSQL: the search reads a narrow table of its own (`contact_search`: id, state, search
//! text) kept by triggers, with the trigram index, and the contacts lose their unused tsvector
//! column and their own text indexes. See `sql/search_table.postgres.sql`. SQLite's search index
//! (`contacts_fts`) is already a table of its own; nothing changes there.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "", include_str!("sql/search_table.postgres.sql")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "", include_str!("sql/search_table.down.postgres.sql")).await
    }
}
