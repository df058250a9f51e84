//! CardDAV group books (issue 20): which contacts were ever in which group, so that a group's
//! `sync-collection` reports as removed only the changed contacts that were once in the group (a
//! member who left, or one trashed or merged away) instead of every contact the team changed.
//!
//! * `dav_group_seen (group_id, contact_id)`: a row once the contact joins the group, kept when it
//!   leaves (that is the point), gone with the group or the contact (`ON DELETE CASCADE`).
//! * Written by triggers on `contact_group_members` inserts, for the same reason as `dav_changes`
//!   (`m20261206_000017_carddav.rs`): no write path (UI, API, bots, imports, merges and their undo)
//!   has to know about it. PostgreSQL: one statement-level trigger with a transition table;
//!   SQLite: a row trigger. Existing memberships are copied in.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "
CREATE TABLE dav_group_seen (
    group_id BIGINT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
);
-- split
INSERT OR IGNORE INTO dav_group_seen (group_id, contact_id) SELECT group_id, contact_id FROM contact_group_members;
-- split
CREATE TRIGGER contact_group_members_seen_ai AFTER INSERT ON contact_group_members BEGIN
    INSERT OR IGNORE INTO dav_group_seen (group_id, contact_id) VALUES (NEW.group_id, NEW.contact_id);
END;
";

const POSTGRES: &str = "
CREATE TABLE dav_group_seen (
    group_id BIGINT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
);
-- split
INSERT INTO dav_group_seen (group_id, contact_id) SELECT group_id, contact_id FROM contact_group_members
    ON CONFLICT DO NOTHING;
-- split
CREATE FUNCTION dav_group_seen_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dav_group_seen (group_id, contact_id)
        SELECT DISTINCT group_id, contact_id FROM seen_rows
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
-- split
CREATE TRIGGER contact_group_members_seen AFTER INSERT ON contact_group_members REFERENCING NEW TABLE AS seen_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_group_seen_rows();
";

const SQLITE_DOWN: &str = "
DROP TRIGGER IF EXISTS contact_group_members_seen_ai;
-- split
DROP TABLE IF EXISTS dav_group_seen;
";

const POSTGRES_DOWN: &str = "
DROP TRIGGER IF EXISTS contact_group_members_seen ON contact_group_members;
-- split
DROP FUNCTION IF EXISTS dav_group_seen_rows();
-- split
DROP TABLE IF EXISTS dav_group_seen;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQLITE, POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQLITE_DOWN, POSTGRES_DOWN).await
    }
}
