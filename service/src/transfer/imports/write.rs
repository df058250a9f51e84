//! Writing a chunk in one transaction: multi-row inserts of the contacts and their phones, e-mails,
//! tags, groups, keys, audit entries and pairs, and the rows' outcomes.

use super::*;
use crate::contacts::labels::{self, Groups, Label, Tags};

fn row_model(import_id: i64, o: &Outcome, plan: &Plan) -> import_row::ActiveModel {
    let contact_id = o.contact_id.or_else(|| o.slot.and_then(|s| plan.slots[s].contact_id));
    import_row::ActiveModel {
        import_id: Set(import_id),
        line: Set(o.line),
        action: Set(o.action.to_string()),
        contact_id: Set(contact_id),
        match_id: Set(o.match_id),
        name: Set(o.name.chars().take(200).collect()),
        detail: Set(o.detail.chars().take(1000).collect()),
        before: Set(o.before.clone()),
        version_after: Set(o.version_after),
        ..Default::default()
    }
}

pub(super) async fn write_outcomes<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    outcomes: &[Outcome],
    plan: &Plan,
) -> AppResult<()> {
    for part in outcomes.chunks(OUTCOMES_PER_INSERT) {
        import_row::Entity::insert_many(part.iter().map(|o| row_model(import_id, o, plan))).exec(db).await?;
    }
    Ok(())
}

/// Ids of the named tags or groups, created when missing, remembered for the rest of the import.
async fn ensure_names<L: Label, C: ConnectionTrait>(
    db: &C,
    names: &[String],
    cache: &mut HashMap<String, i64>,
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for n in names {
        let key = n.to_lowercase();
        let id = match cache.get(&key) {
            Some(id) => *id,
            None => {
                let id = labels::ensure::<L, C>(db, std::slice::from_ref(n)).await?[0];
                cache.insert(key, id);
                id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Writes one chunk in one transaction: the new contacts and everything that goes with them, the
/// updates, the rows' outcomes.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_chunk(
    svc: &Services,
    actor: &Actor,
    import_id: i64,
    s: &dedup::Settings,
    plan: &mut Plan,
    outcomes: &mut [Outcome],
    updates: Vec<Update>,
) -> AppResult<()> {
    let region = plan.region.clone();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let backend = txn.get_database_backend();
    let cache = larger_cache(&txn).await?;
    // Everything up to the commit, so that the page cache is put back whether it succeeds or not
    // (a failed chunk rolls back, but its connection goes back to the pool all the same).
    let filled = async {
        let now = Utc::now();
        let phase = std::time::Instant::now();
        let slots: Vec<usize> = outcomes.iter().filter_map(|o| o.slot).collect();
        // UIDs must be unique: a fingerprint or a vCard UID already taken (by a contact in the trash)
        // gives way to a fresh one.
        let wanted: Vec<String> = slots.iter().map(|&i| plan.slots[i].uid.clone()).collect();
        let mut taken: HashSet<String> = HashSet::new();
        for part in wanted.chunks(500) {
            let found: Vec<String> = contact::Entity::find()
                .select_only()
                .column(contact::Column::Uid)
                .filter(contact::Column::Uid.is_in(part.to_vec()))
                .into_tuple::<String>()
                .all(&txn)
                .await?;
            taken.extend(found);
        }
        // `taken` also collects the UIDs given so far, so a UID repeated within the chunk gives way
        // too (a set: looking each one up in the list given so far was quadratic in the chunk).
        let mut uid_of: Vec<String> = Vec::with_capacity(slots.len());
        for &i in &slots {
            let u = &plan.slots[i].uid;
            if taken.contains(u) {
                uid_of.push(uuid::Uuid::new_v4().to_string());
            } else {
                taken.insert(u.clone());
                uid_of.push(u.clone());
            }
        }
        // Ids are taken up front (the write lock is held: SQLite's transaction is IMMEDIATE, and
        // PostgreSQL hands out sequence values), so each row is inserted complete, sequence number
        // included, with no read-back by uid and no second UPDATE.
        let new_ids = allocate_ids(&txn, slots.len()).await?;
        let mut words: Vec<(String, String)> = Vec::new();
        let rows: Vec<(usize, &String, i64)> =
            slots.iter().zip(&uid_of).zip(&new_ids).map(|((&i, u), &id)| (i, u, id)).collect();
        for part in rows.chunks(CONTACTS_PER_INSERT) {
            contact::Entity::insert_many(part.iter().map(|&(i, uid, id)| {
                let c = &plan.slots[i].clean;
                let text = contacts::search_text(c);
                words.extend(migration::search_words::rows(&text));
                let mut row = contacts::new_row(c, text, uid.clone(), actor.user_id, now);
                row.id = Set(id);
                row.sequence_number = Set(id);
                row
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        for (&i, &id) in slots.iter().zip(&new_ids) {
            plan.slots[i].contact_id = Some(id);
            plan.created.insert(id);
        }
        plan.times.write_contacts += phase.elapsed().as_secs_f64();
        let phase = std::time::Instant::now();
        // Children, keys, audit.
        let mut phones = Vec::new();
        let mut emails = Vec::new();
        let mut tag_links = Vec::new();
        let mut group_links = Vec::new();
        let mut keys = Vec::new();
        let mut audits = Vec::new();
        for &i in &slots {
            let id = plan.slots[i].contact_id.unwrap_or_default();
            let (tags, groups) = (plan.slots[i].clean.tags().to_vec(), plan.slots[i].clean.groups().to_vec());
            let tag_ids = ensure_names::<Tags, _>(&txn, &tags, &mut plan.tag_ids).await?;
            let group_ids = ensure_names::<Groups, _>(&txn, &groups, &mut plan.group_ids).await?;
            let slot = &plan.slots[i];
            let c = &slot.clean;
            phones.extend(c.phone_rows(id));
            emails.extend(c.email_rows(id));
            tag_links.extend(tag_ids.iter().map(|t| contact_tag::ActiveModel { contact_id: Set(id), tag_id: Set(*t) }));
            group_links.extend(
                group_ids.iter().map(|g| contact_group_member::ActiveModel { contact_id: Set(id), group_id: Set(*g) }),
            );
            // The keys of the row as it was matched (the keys do not depend on the id), unless later
            // rows of the file were folded into it: then of the contact as it is written.
            let row_keys = if slot.folded {
                dedup::blocking_keys(&crate::contacts::matching::normalize_draft(id, c, s))
            } else {
                dedup::blocking_keys(&slot.norm)
            };
            keys.extend(row_keys.into_iter().map(|key| (id, key)));
            let changes = audit::diff(&contacts::empty_snapshot(), &contacts::snapshot_of_clean(c));
            audits.push(audit_log::ActiveModel {
                user_id: Set(Some(actor.user_id)),
                contact_id: Set(Some(id)),
                entity: Set("contact".into()),
                action: Set("create".into()),
                diff: Set(json!({ "changes": changes, "import": import_id }).to_string()),
                created_at: Set(now),
                ..Default::default()
            });
        }
        insert_all(&txn, phones, CHILDREN_PER_INSERT, |p| contact_phone::Entity::insert_many(p)).await?;
        insert_all(&txn, emails, CHILDREN_PER_INSERT, |p| contact_email::Entity::insert_many(p)).await?;
        insert_all(&txn, tag_links, PAIRS_PER_INSERT, |p| contact_tag::Entity::insert_many(p)).await?;
        insert_all(&txn, group_links, PAIRS_PER_INSERT, |p| contact_group_member::Entity::insert_many(p)).await?;
        insert_keys(&txn, keys).await?;
        insert_all(&txn, audits, AUDITS_PER_INSERT, |p| audit_log::Entity::insert_many(p)).await?;
        plan.times.write_children += phase.elapsed().as_secs_f64();
        let phase = std::time::Instant::now();
        words.sort();
        words.dedup();
        words.retain(|w| !plan.words_written.contains(w));
        insert_words(&txn, backend, &words).await?;
        plan.times.write_words += phase.elapsed().as_secs_f64();
        // Pending pairs for rows created despite a match.
        for &i in &slots {
            let slot = &plan.slots[i];
            let (Some(id), Some((target, mm))) = (slot.contact_id, &slot.pair) else { continue };
            let other = match target {
                Target::Contact(o) => Some(*o),
                Target::Row(r) => plan.slots[*r].contact_id,
            };
            if let Some(other) = other.filter(|o| *o != id) {
                crate::contacts::matching::insert_pair(&txn, id, other, mm).await?;
            }
        }
        // Photos of the created contacts (each with its history entry; undo trashes the contact, and
        // the photo stays with it).
        for &i in &slots {
            let slot = &plan.slots[i];
            if let (Some(id), Some(p)) = (slot.contact_id, &slot.photo) {
                let origin = crate::contacts::photos::Origin::Import(import_id);
                crate::contacts::photos::put_in(&txn, Some(actor.user_id), id, p.media_type, &p.data, origin, true)
                    .await?;
            }
        }
        // Updates: each through the same path as an edit (history, keys), against the contact as it
        // is now inside this transaction.
        for u in updates {
            let o_idx = u.outcome;
            let mut result: AppResult<()> = Ok(());
            if let Some(input) = u.input {
                let c = contacts::clean(input, &region)?;
                let version = c.input.version.unwrap_or_default();
                result = contacts::update_in(&txn, actor, u.contact_id, &c, version, s, Some(json!(import_id)))
                    .await
                    .map(|(_, after)| outcomes[o_idx].version_after = Some(after.version));
            }
            if let (true, Some(p)) = (result.is_ok(), &u.photo) {
                let origin = crate::contacts::photos::Origin::Import(import_id);
                result = crate::contacts::photos::put_in(
                    &txn,
                    Some(actor.user_id),
                    u.contact_id,
                    p.media_type,
                    &p.data,
                    origin,
                    true,
                )
                .await
                .map(|_| ());
            }
            match result {
                Ok(()) => {}
                Err(AppError::Conflict(e)) => {
                    outcomes[o_idx].action = "skip";
                    outcomes[o_idx].detail = format!("not updated: {e}");
                    outcomes[o_idx].before = None;
                    plan.counts.updated -= 1;
                    plan.counts.skipped += 1;
                }
                Err(e) => return Err(e),
            }
        }
        write_outcomes(&txn, import_id, outcomes, plan).await?;
        Ok::<_, AppError>((words, new_ids))
    }
    .await;
    // Back to the connection's own size before it returns to the pool (the chunk's dirty pages
    // stay until the commit writes them; only clean ones are let go). A chunk's own error is the
    // one reported.
    let restored = match cache {
        Some(pages) => txn.execute_unprepared(&format!("PRAGMA cache_size = {pages}")).await.map(|_| ()),
        None => Ok(()),
    };
    let (words, new_ids) = filled?;
    restored?;
    let phase = std::time::Instant::now();
    txn.commit().await?;
    plan.times.commit += phase.elapsed().as_secs_f64();
    // Remembered only once committed (a chunk that failed wrote none of them).
    if plan.words_written.len() + words.len() <= WORDS_REMEMBERED {
        plan.words_written.extend(words);
    }
    if !new_ids.is_empty() || plan.counts.updated > 0 {
        svc.contacts_changed();
    }
    metrics::gauge!("contacts_total").increment(new_ids.len() as f64);
    metrics::counter!("contacts_created_total", "source" => "import").increment(new_ids.len() as u64);
    Ok(())
}

/// Rows per multi-row `INSERT`, each statement within SQLite's 32,766 bound values (and
/// PostgreSQL's 65,535): a chunk's contacts in two statements (22 columns), its phones, e-mails
/// (5 columns), audit entries (6) and outcomes (9) in one each, instead of 10-60 statements a
/// table. Fewer statements: fewer round trips to PostgreSQL, fewer statements to step on SQLite.
const CONTACTS_PER_INSERT: usize = 1000;
const CHILDREN_PER_INSERT: usize = 5000;
const PAIRS_PER_INSERT: usize = 10_000;
const AUDITS_PER_INSERT: usize = 2000;
const OUTCOMES_PER_INSERT: usize = 2000;
/// `(key, word)` and `(contact id, key)` rows per statement on SQLite (2 values each).
const TEXT_PAIRS_PER_INSERT: usize = 10_000;
/// The separator of the texts that carry a column to PostgreSQL's `string_to_array` (no key or
/// word holds it: they are folded letters and digits).
const SEP: &str = "\u{1f}";

/// The texts as one `SEP`-delimited text, for `string_to_array(…, chr(31))`.
fn delimited<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts.collect::<Vec<_>>().join(SEP)
}

/// Whether every text can travel in a `SEP`-delimited text (non-empty, without `SEP`):
/// `string_to_array` reads an empty text as no element at all.
fn delimitable<'a>(mut texts: impl Iterator<Item = &'a str>) -> bool {
    texts.all(|t| !t.is_empty() && !t.contains(SEP))
}

/// The duplicate keys of the chunk's new contacts. PostgreSQL: one statement whatever their
/// number, the two columns passed as two delimited texts and unnested (one bind each, one plan,
/// instead of 12 statements of 2,000 placeholders for a chunk's ~12,000 keys).
async fn insert_keys<C: ConnectionTrait>(db: &C, keys: Vec<(i64, String)>) -> AppResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres && delimitable(keys.iter().map(|(_, k)| k.as_str())) {
        let ids = keys.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(",");
        let texts = delimited(keys.iter().map(|(_, k)| k.as_str()));
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO contact_keys (contact_id, key) \
             SELECT * FROM unnest(string_to_array($1, ',')::int8[], string_to_array($2, chr(31)))",
            [ids.into(), texts.into()],
        ))
        .await?;
        return Ok(());
    }
    let models: Vec<contact_key::ActiveModel> =
        keys.into_iter().map(|(id, key)| contact_key::ActiveModel { contact_id: Set(id), key: Set(key) }).collect();
    insert_all(db, models, TEXT_PAIRS_PER_INSERT, |p| contact_key::Entity::insert_many(p)).await
}

/// New search-vocabulary rows (sorted, as `search_words::rows` gives them: concurrent writers take
/// shared rows in the same order). PostgreSQL: one `unnest` statement, as [`insert_keys`].
async fn insert_words<C: ConnectionTrait>(
    db: &C,
    backend: DatabaseBackend,
    words: &[(String, String)],
) -> AppResult<()> {
    if words.is_empty() {
        return Ok(());
    }
    if backend == DatabaseBackend::Postgres && delimitable(words.iter().flat_map(|(k, w)| [k.as_str(), w.as_str()])) {
        let keys = delimited(words.iter().map(|(k, _)| k.as_str()));
        let texts = delimited(words.iter().map(|(_, w)| w.as_str()));
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO search_words (key, word) \
             SELECT * FROM unnest(string_to_array($1, chr(31)), string_to_array($2, chr(31))) \
             ON CONFLICT DO NOTHING",
            [keys.into(), texts.into()],
        ))
        .await?;
        return Ok(());
    }
    for part in words.chunks(TEXT_PAIRS_PER_INSERT) {
        db.execute_raw(migration::search_words::insert_statement(backend, part)).await?;
    }
    Ok(())
}

/// The page cache, in KiB, of the SQLite connection that writes a chunk (SQLite's default is
/// 2,000 KiB). A chunk inserts ~12,000 duplicate keys, 2,000 UIDs, e-mails, phones and search
/// words at scattered places of their indexes: with the default cache most of those index pages
/// are read, evicted (spilled to the WAL while dirty) and read again within the transaction.
const WRITE_CACHE_KIB: i64 = 65_536;

/// SQLite: gives the write transaction's connection a [`WRITE_CACHE_KIB`] page cache and returns
/// the size it had (to put back before the commit). The cache only holds pages; durability and
/// what is written are unchanged. PostgreSQL: nothing (`None`).
async fn larger_cache<C: ConnectionTrait>(db: &C) -> AppResult<Option<i64>> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(None);
    }
    let row = db.query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, "PRAGMA cache_size")).await?;
    let Some(pages) = row.map(|r| r.try_get_by_index::<i64>(0)).transpose()? else {
        return Ok(None);
    };
    db.execute_unprepared(&format!("PRAGMA cache_size = -{WRITE_CACHE_KIB}")).await?;
    Ok(Some(pages))
}

/// `n` new contact ids, taken inside the caller's write transaction: on SQLite past both the
/// largest id and `sqlite_sequence` (AUTOINCREMENT never reuses an id), on PostgreSQL from the
/// table's sequence.
async fn allocate_ids<C: ConnectionTrait>(db: &C, n: usize) -> AppResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, $1)",
                [(n as i64).into()],
            ))
            .await?;
        return rows.iter().map(|r| r.try_get_by_index::<i64>(0).map_err(AppError::from)).collect();
    }
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM contacts), 0), \
                    COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contacts'), 0))",
        ))
        .await?;
    let top: i64 = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    Ok((1..=n as i64).map(|i| top + i).collect())
}

pub(super) async fn insert_all<C, A, F, I>(db: &C, rows: Vec<A>, per: usize, make: F) -> AppResult<()>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait + Clone,
    F: Fn(Vec<A>) -> I,
    I: InsertExec,
{
    for part in rows.chunks(per) {
        make(part.to_vec()).run(db).await?;
    }
    Ok(())
}

/// A multi-row insert that can be executed (lets [`insert_all`] take any entity's `insert_many`).
pub(super) trait InsertExec {
    fn run<C: ConnectionTrait>(self, db: &C) -> impl std::future::Future<Output = Result<(), sea_orm::DbErr>>;
}

impl<A> InsertExec for sea_orm::InsertMany<A>
where
    A: sea_orm::ActiveModelTrait,
{
    async fn run<C: ConnectionTrait>(self, db: &C) -> Result<(), sea_orm::DbErr> {
        self.exec_without_returning(db).await.map(|_| ())
    }
}
