//! PostgreSQL: `contact_search` (the search's narrow copy of each contact, see
//! `sql/search_table.postgres.sql`) is kept in step with `contacts` by statement-level triggers
//! for inserts and deletes instead of row-level ones. A multi-row insert (an import writes
//! thousands of contacts a statement) now copies its rows with one `INSERT … SELECT` from the
//! statement's transition table rather than one PL/pgSQL call and one single-row upsert per
//! contact; a bulk delete (emptying the trash) likewise removes its rows with one `DELETE … USING`.
//!
//! Updates keep their row-level trigger: its `WHEN` clause already skips, without calling
//! anything, every update that leaves the search text, the trash and the merge alone (most of
//! them: a photo or tag change only touches `updated_at`), and PostgreSQL allows no transition
//! tables on a trigger limited to some columns (`UPDATE OF …`), so a statement-level update
//! trigger would have to run for every update of a contact.
//!
//! What the triggers guarantee is unchanged: after any statement on `contacts` — the service's,
//! an import's, a merge's, raw SQL — `contact_search` holds exactly the contacts with their
//! current search text and state. SQLite has no statement-level triggers; its search index
//! (`contacts_fts`) keeps its row-level triggers.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &str = "
CREATE FUNCTION contact_search_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_search (id, state, search_text)
            SELECT id, contact_search_state(deleted_at, merged_into_id), search_text FROM new_rows
            ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, search_text = EXCLUDED.search_text;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM contact_search s USING old_rows o WHERE s.id = o.id;
    END IF;
    RETURN NULL;
END
$$;
-- split
DROP TRIGGER IF EXISTS contact_search_insert ON contacts;
-- split
DROP TRIGGER IF EXISTS contact_search_delete ON contacts;
-- split
CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contact_search_rows();
-- split
CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contact_search_rows();
";

const DOWN_POSTGRES: &str = "
DROP TRIGGER IF EXISTS contact_search_insert ON contacts;
-- split
DROP TRIGGER IF EXISTS contact_search_delete ON contacts;
-- split
DROP FUNCTION IF EXISTS contact_search_rows();
-- split
CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts
    FOR EACH ROW EXECUTE FUNCTION contact_search_sync();
-- split
CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contact_search_sync();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "", POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "", DOWN_POSTGRES).await
    }
}
