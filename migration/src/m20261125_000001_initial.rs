//! Accounts, contacts with phones/e-mails/tags/groups, audit log, settings and the search index.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/initial.sqlite.sql"), include_str!("sql/initial.postgres.sql")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/initial.down.sql"), include_str!("sql/initial.down.sql")).await
    }
}
