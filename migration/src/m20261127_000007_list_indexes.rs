//! Indexes the contact list can sort from while it hides trashed and merged contacts (the merge
//! migration added `merged_into_id IS NULL` to every list query).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            include_str!("sql/list_indexes.sqlite.sql"),
            include_str!("sql/list_indexes.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            include_str!("sql/list_indexes.down.sqlite.sql"),
            include_str!("sql/list_indexes.down.postgres.sql"),
        )
        .await
    }
}
