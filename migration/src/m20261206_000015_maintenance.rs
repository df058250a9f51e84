//! Scheduled maintenance runs: one row per job and period. The row is also the claim: of several
//! instances sharing the database, the one whose insert of `(job, period)` succeeds runs the job
//! for that period (the unique key makes the others' inserts do nothing).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "
CREATE TABLE maintenance_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL DEFAULT 'running',
    removed BIGINT NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (job, period)
);
-- split
CREATE INDEX idx_maintenance_runs_job ON maintenance_runs(job, id);
";

const POSTGRES: &str = "
CREATE TABLE maintenance_runs (
    id BIGSERIAL PRIMARY KEY,
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome TEXT NOT NULL DEFAULT 'running',
    removed BIGINT NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (job, period)
);
-- split
CREATE INDEX idx_maintenance_runs_job ON maintenance_runs(job, id);
";

const DOWN: &str = "DROP TABLE IF EXISTS maintenance_runs";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQLITE, POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN, DOWN).await
    }
}
