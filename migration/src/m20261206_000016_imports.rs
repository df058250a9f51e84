//! Import jobs. `imports` is the job and its progress (any instance can poll it, as with duplicate
//! scans); `import_files` keeps the uploaded bytes while a preview waits to be applied (removed
//! once applied, or after a day); `import_rows` is what happened to each row (or would, in a
//! preview): the action, the contact written or matched, and for an update the contact as it was
//! before, so the import can be undone.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT,
    status TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    on_duplicate TEXT NOT NULL,
    all_or_nothing BOOLEAN NOT NULL DEFAULT 0,
    tag TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    file_bytes BIGINT NOT NULL DEFAULT 0,
    format TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '{}',
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    undone_at TEXT
);
-- split
CREATE INDEX idx_imports_user ON imports(user_id, id);
-- split
CREATE TABLE import_files (
    import_id BIGINT PRIMARY KEY,
    bytes BLOB NOT NULL
);
-- split
CREATE TABLE import_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id BIGINT NOT NULL,
    line BIGINT NOT NULL,
    action TEXT NOT NULL,
    contact_id BIGINT,
    match_id BIGINT,
    name TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    before TEXT,
    version_after INTEGER
);
-- split
CREATE INDEX idx_import_rows_import ON import_rows(import_id, id);
";

const POSTGRES: &str = "
CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT,
    status TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    on_duplicate TEXT NOT NULL,
    all_or_nothing BOOLEAN NOT NULL DEFAULT FALSE,
    tag TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    file_bytes BIGINT NOT NULL DEFAULT 0,
    format TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '{}',
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    undone_at TIMESTAMPTZ
);
-- split
CREATE INDEX idx_imports_user ON imports(user_id, id);
-- split
CREATE TABLE import_files (
    import_id BIGINT PRIMARY KEY,
    bytes BYTEA NOT NULL
);
-- split
CREATE TABLE import_rows (
    id BIGSERIAL PRIMARY KEY,
    import_id BIGINT NOT NULL,
    line BIGINT NOT NULL,
    action TEXT NOT NULL,
    contact_id BIGINT,
    match_id BIGINT,
    name TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    before TEXT,
    version_after INTEGER
);
-- split
CREATE INDEX idx_import_rows_import ON import_rows(import_id, id);
";

const DOWN: &str = "DROP TABLE IF EXISTS import_rows;
-- split
DROP TABLE IF EXISTS import_files;
-- split
DROP TABLE IF EXISTS imports";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQLITE, POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN, DOWN).await
    }
}
