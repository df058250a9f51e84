//! CardDAV: app passwords, and the change numbers `sync-collection` (RFC 6578) reads.
//!
//! * `app_passwords`: a user's CardDAV passwords, stored as the SHA-256 of the random token.
//! * `dav_changes`: one row per contact ever written, holding the number of its latest change
//!   (`seq`, growing across the whole table). Database triggers write it on every insert, update
//!   and delete of `contacts`, on every change to a contact's tags or groups (`contact_tags`,
//!   `contact_group_members`), and when a tag or group is renamed, so every write path — the
//!   service's, an import's bulk insert, a merge, raw SQL — moves the sync state without having
//!   to remember to. A sync token is a `seq`; "what changed since token t" is the rows with
//!   `seq > t`. One row per contact (an upsert), not a log, so the table never grows past the
//!   number of contacts and needs no pruning.
//! * `dav_names`: the resource name a CardDAV client chose when it created a contact with `PUT`,
//!   so the contact stays reachable under that name; other contacts are `<uid>.vcf`.
//!
//! The numbers must be committed in the order they are given, or a reader could take token 11
//! while 10 is still uncommitted and never see 10. SQLite has one writer at a time, so this holds
//! by itself. On PostgreSQL a statement-level `BEFORE` trigger on each of those tables takes a
//! transaction-scoped advisory lock before any row is touched: writers of contacts take turns
//! from their first such statement to their commit, and each new number is `MAX(seq) + 1` read
//! under the lock. Taking it before the rows are locked keeps writers from deadlocking on it.
//! PostgreSQL numbers each statement's rows at once (statement triggers with transition tables:
//! one `INSERT … SELECT` per statement, so a bulk insert costs little more); SQLite, which has no
//! statement triggers, numbers row by row.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "
CREATE TABLE app_passwords (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
-- split
CREATE INDEX idx_app_passwords_user ON app_passwords(user_id);
-- split
CREATE TABLE dav_changes (
    contact_id BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);
-- split
CREATE INDEX idx_dav_changes_seq ON dav_changes(seq);
-- split
CREATE TABLE dav_names (
    contact_id BIGINT PRIMARY KEY NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE
);
-- split
INSERT INTO dav_changes (contact_id, seq) SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM contacts;
-- split
CREATE TRIGGER contacts_dav_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (NEW.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contacts_dav_au AFTER UPDATE ON contacts BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (NEW.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contacts_dav_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (OLD.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contact_tags_dav_ai AFTER INSERT ON contact_tags BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (NEW.contact_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contact_tags_dav_ad AFTER DELETE ON contact_tags BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (OLD.contact_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contact_group_members_dav_ai AFTER INSERT ON contact_group_members BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (NEW.contact_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contact_group_members_dav_ad AFTER DELETE ON contact_group_members BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (OLD.contact_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER tags_dav_au AFTER UPDATE OF name ON tags WHEN OLD.name <> NEW.name BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        SELECT ct.contact_id, (SELECT COALESCE(MAX(seq), 0) FROM dav_changes) + ROW_NUMBER() OVER (ORDER BY ct.contact_id)
        FROM contact_tags ct WHERE ct.tag_id = NEW.id
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
-- split
CREATE TRIGGER contact_groups_dav_au AFTER UPDATE OF name ON contact_groups WHEN OLD.name <> NEW.name BEGIN
    INSERT INTO dav_changes (contact_id, seq)
        SELECT m.contact_id, (SELECT COALESCE(MAX(seq), 0) FROM dav_changes) + ROW_NUMBER() OVER (ORDER BY m.contact_id)
        FROM contact_group_members m WHERE m.group_id = NEW.id
        ON CONFLICT (contact_id) DO UPDATE SET seq = excluded.seq;
END;
";

const POSTGRES: &str = "
CREATE TABLE app_passwords (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
-- split
CREATE INDEX idx_app_passwords_user ON app_passwords(user_id);
-- split
CREATE TABLE dav_changes (
    contact_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
-- split
CREATE INDEX idx_dav_changes_seq ON dav_changes(seq);
-- split
CREATE TABLE dav_names (
    contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE
);
-- split
INSERT INTO dav_changes (contact_id, seq) SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM contacts;
-- split
CREATE FUNCTION dav_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4849873243938783553);
    RETURN NULL;
END $$;
-- split
CREATE FUNCTION dav_touch(cid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4849873243938783553);
    INSERT INTO dav_changes (contact_id, seq)
        VALUES (cid, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dav_changes))
        ON CONFLICT (contact_id) DO UPDATE SET seq = EXCLUDED.seq;
END $$;
-- split
CREATE FUNCTION dav_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE base BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(4849873243938783553);
    SELECT COALESCE(MAX(seq), 0) INTO base FROM dav_changes;
    IF TG_ARGV[0] = 'new_id' THEN
        INSERT INTO dav_changes (contact_id, seq)
            SELECT cid, base + ROW_NUMBER() OVER (ORDER BY cid) FROM (SELECT DISTINCT id AS cid FROM new_rows) t
            ON CONFLICT (contact_id) DO UPDATE SET seq = EXCLUDED.seq;
    ELSIF TG_ARGV[0] = 'old_id' THEN
        INSERT INTO dav_changes (contact_id, seq)
            SELECT cid, base + ROW_NUMBER() OVER (ORDER BY cid) FROM (SELECT DISTINCT id AS cid FROM old_rows) t
            ON CONFLICT (contact_id) DO UPDATE SET seq = EXCLUDED.seq;
    ELSIF TG_ARGV[0] = 'new_contact_id' THEN
        INSERT INTO dav_changes (contact_id, seq)
            SELECT cid, base + ROW_NUMBER() OVER (ORDER BY cid) FROM (SELECT DISTINCT contact_id AS cid FROM new_rows) t
            ON CONFLICT (contact_id) DO UPDATE SET seq = EXCLUDED.seq;
    ELSE
        INSERT INTO dav_changes (contact_id, seq)
            SELECT cid, base + ROW_NUMBER() OVER (ORDER BY cid) FROM (SELECT DISTINCT contact_id AS cid FROM old_rows) t
            ON CONFLICT (contact_id) DO UPDATE SET seq = EXCLUDED.seq;
    END IF;
    RETURN NULL;
END $$;
-- split
CREATE FUNCTION dav_tag_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE cid BIGINT;
BEGIN
    FOR cid IN SELECT contact_id FROM contact_tags WHERE tag_id = NEW.id ORDER BY contact_id LOOP
        PERFORM dav_touch(cid);
    END LOOP;
    RETURN NULL;
END $$;
-- split
CREATE FUNCTION dav_group_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE cid BIGINT;
BEGIN
    FOR cid IN SELECT contact_id FROM contact_group_members WHERE group_id = NEW.id ORDER BY contact_id LOOP
        PERFORM dav_touch(cid);
    END LOOP;
    RETURN NULL;
END $$;
-- split
CREATE TRIGGER contacts_dav_lock BEFORE INSERT OR UPDATE OR DELETE ON contacts
    FOR EACH STATEMENT EXECUTE FUNCTION dav_lock();
-- split
CREATE TRIGGER contacts_dav_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('new_id');
-- split
CREATE TRIGGER contacts_dav_upd AFTER UPDATE ON contacts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('new_id');
-- split
CREATE TRIGGER contacts_dav_del AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('old_id');
-- split
CREATE TRIGGER contact_tags_dav_lock BEFORE INSERT OR DELETE ON contact_tags
    FOR EACH STATEMENT EXECUTE FUNCTION dav_lock();
-- split
CREATE TRIGGER contact_tags_dav_ins AFTER INSERT ON contact_tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('new_contact_id');
-- split
CREATE TRIGGER contact_tags_dav_del AFTER DELETE ON contact_tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('old_contact_id');
-- split
CREATE TRIGGER contact_group_members_dav_lock BEFORE INSERT OR DELETE ON contact_group_members
    FOR EACH STATEMENT EXECUTE FUNCTION dav_lock();
-- split
CREATE TRIGGER contact_group_members_dav_ins AFTER INSERT ON contact_group_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('new_contact_id');
-- split
CREATE TRIGGER contact_group_members_dav_del AFTER DELETE ON contact_group_members REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dav_rows_changed('old_contact_id');
-- split
CREATE TRIGGER tags_dav_lock BEFORE UPDATE OF name ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION dav_lock();
-- split
CREATE TRIGGER tags_dav AFTER UPDATE OF name ON tags
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION dav_tag_renamed();
-- split
CREATE TRIGGER contact_groups_dav_lock BEFORE UPDATE OF name ON contact_groups
    FOR EACH STATEMENT EXECUTE FUNCTION dav_lock();
-- split
CREATE TRIGGER contact_groups_dav AFTER UPDATE OF name ON contact_groups
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION dav_group_renamed();
";

const DOWN_SQLITE: &str = "
DROP TRIGGER IF EXISTS contacts_dav_ai;
-- split
DROP TRIGGER IF EXISTS contacts_dav_au;
-- split
DROP TRIGGER IF EXISTS contacts_dav_ad;
-- split
DROP TRIGGER IF EXISTS contact_tags_dav_ai;
-- split
DROP TRIGGER IF EXISTS contact_tags_dav_ad;
-- split
DROP TRIGGER IF EXISTS contact_group_members_dav_ai;
-- split
DROP TRIGGER IF EXISTS contact_group_members_dav_ad;
-- split
DROP TRIGGER IF EXISTS tags_dav_au;
-- split
DROP TRIGGER IF EXISTS contact_groups_dav_au;
-- split
DROP TABLE IF EXISTS dav_names;
-- split
DROP TABLE IF EXISTS dav_changes;
-- split
DROP TABLE IF EXISTS app_passwords;
";

const DOWN_POSTGRES: &str = "
DROP TRIGGER IF EXISTS contacts_dav_lock ON contacts;
-- split
DROP TRIGGER IF EXISTS contacts_dav_ins ON contacts;
-- split
DROP TRIGGER IF EXISTS contacts_dav_upd ON contacts;
-- split
DROP TRIGGER IF EXISTS contacts_dav_del ON contacts;
-- split
DROP TRIGGER IF EXISTS contact_tags_dav_lock ON contact_tags;
-- split
DROP TRIGGER IF EXISTS contact_tags_dav_ins ON contact_tags;
-- split
DROP TRIGGER IF EXISTS contact_tags_dav_del ON contact_tags;
-- split
DROP TRIGGER IF EXISTS contact_group_members_dav_lock ON contact_group_members;
-- split
DROP TRIGGER IF EXISTS contact_group_members_dav_ins ON contact_group_members;
-- split
DROP TRIGGER IF EXISTS contact_group_members_dav_del ON contact_group_members;
-- split
DROP TRIGGER IF EXISTS tags_dav_lock ON tags;
-- split
DROP TRIGGER IF EXISTS tags_dav ON tags;
-- split
DROP TRIGGER IF EXISTS contact_groups_dav_lock ON contact_groups;
-- split
DROP TRIGGER IF EXISTS contact_groups_dav ON contact_groups;
-- split
DROP FUNCTION IF EXISTS dav_group_renamed();
-- split
DROP FUNCTION IF EXISTS dav_tag_renamed();
-- split
DROP FUNCTION IF EXISTS dav_rows_changed();
-- split
DROP FUNCTION IF EXISTS dav_touch(BIGINT);
-- split
DROP FUNCTION IF EXISTS dav_lock();
-- split
DROP TABLE IF EXISTS dav_names;
-- split
DROP TABLE IF EXISTS dav_changes;
-- split
DROP TABLE IF EXISTS app_passwords;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, SQLITE, POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN_SQLITE, DOWN_POSTGRES).await
    }
}
