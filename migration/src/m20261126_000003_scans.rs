//! OCR scan jobs: one `card_scans` row per uploaded card image (queued → processing → done/failed).
//! The row is the job, so a crash or restart never loses a scan.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/scans.sqlite.sql"), include_str!("sql/scans.postgres.sql")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/scans.down.sql"), include_str!("sql/scans.down.sql")).await
    }
}
