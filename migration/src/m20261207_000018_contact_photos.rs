//! Contact photos (issue 20): one picture per contact, in its own table so that contact lists and
//! searches never read image bytes.
//!
//! * `contact_photos`: the bytes as sent (sniffed type in `media_type`, `bytes` their length, so a
//!   size can be read without the data). The row goes with its contact (`ON DELETE CASCADE`); a
//!   trashed contact keeps its photo, so a restore brings it back.
//! * `import_id` / `merge_id`: the import or merge that put the photo there, `NULL` once a person
//!   or a phone set it. Undoing that import or merge removes the photo only while it is still the
//!   one it added, so a photo chosen later is never lost to an undo.
//!
//! No `dav_changes` trigger here: every photo write also touches `contacts.updated_at` in its
//! transaction, and the triggers on `contacts` number that change (`m20261206_000017_carddav.rs`).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "
CREATE TABLE contact_photos (
    contact_id BIGINT PRIMARY KEY NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    media_type TEXT NOT NULL,
    data BLOB NOT NULL,
    bytes INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    import_id BIGINT,
    merge_id BIGINT
);
";

const POSTGRES: &str = "
CREATE TABLE contact_photos (
    contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    media_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    bytes INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    import_id BIGINT,
    merge_id BIGINT
);
";

const DOWN: &str = "DROP TABLE IF EXISTS contact_photos;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQLITE, POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN, DOWN).await
    }
}
