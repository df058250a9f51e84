//! Merging duplicates and scanning for them: `contact_merges` keeps, per merge, the full
//! before-snapshot of every contact involved (fields, phones, e-mails, tag/group links, scan
//! links, keys, pair statuses, history links) so the merge can be undone exactly;
//! `duplicate_scans` is the durable row of a full duplicate scan (the job and its progress).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/merges.sqlite.sql"), include_str!("sql/merges.postgres.sql")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/merges.down.sql"), include_str!("sql/merges.down.sql")).await
    }
}
