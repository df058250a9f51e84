//! Duplicate detection: the blocking keys of each live contact (`contact_keys`, indexed on `key`
//! so check-on-create is one equality lookup per key) and the pairs found with their review
//! status (`duplicate_pairs`, `a_id < b_id`, one row per pair so an ignored pair stays ignored).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/duplicates.sqlite.sql"), include_str!("sql/duplicates.postgres.sql"))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/duplicates.down.sql"), include_str!("sql/duplicates.down.sql")).await
    }
}
