//! The search vocabulary (`search_words`, see [`crate::search_words`]): the typo step of contact
//! search looks words up in it instead of scoring every contact that shares a trigram with the
//! query. Contact writes keep it up to date; this fills it from the contacts already stored,
//! a batch of contacts at a time, each word written once.
use crate::search_words;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            include_str!("sql/search_words.sqlite.sql"),
            include_str!("sql/search_words.postgres.sql"),
        )
        .await?;
        search_words::backfill(manager.get_connection()).await.map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = include_str!("sql/search_words.down.sql");
        crate::run_sql(manager, sql, sql).await
    }
}
