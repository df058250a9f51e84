//! A per-user token version: every access token carries the version it was issued at, and a
//! sign-out, a password reset or a deactivation bumps it, so older access tokens are refused at
//! once instead of living out their 30 minutes.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = "ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0";
        crate::run_sql(manager, sql, sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = "ALTER TABLE users DROP COLUMN token_version";
        crate::run_sql(manager, sql, sql).await
    }
}
