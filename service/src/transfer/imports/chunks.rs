//! The run: the file read and checked, then each chunk of rows matched (UID, fingerprint, the
//! duplicate matcher, earlier rows), decided and written, or only previewed (`dry_run`).

use super::rows::*;
use super::undo::*;
use super::write::*;
use super::*;

/// Runs an import (queued → running → done | failed). `actor` is whom the writes are recorded as.
pub async fn run(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let m = by_id(svc, id).await?;
    if m.status != "queued" {
        return Ok(());
    }
    let bytes = load_file(svc, id).await?;
    let mut st = stored(&m);
    // The mapping: chosen by the person, else the one resolved when the file was submitted
    // (remembered or proposed); a job stored without one gets the reader's proposal.
    let mapping = match st.mapping.clone().or_else(|| Some(st.columns.clone()).filter(|c| !c.is_empty())) {
        Some(m) => match check_mapping(&m) {
            Ok(m) => Some(m),
            Err(e) => return fail(svc, id, &e.to_string()).await,
        },
        None => None,
    };
    let (s, region) = crate::contacts::matching::settings_and_region(svc).await?;
    // Reading and checking is CPU work on the whole file: off the async threads, in one pass.
    let tag = m.tag.clone();
    let read_started = std::time::Instant::now();
    let opts = read_options(st.format.as_deref(), &m.file_name, mapping);
    let region2 = region.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<(Opened, Vec<Checked>), interchange::ImportError> {
        let reader = Reader::new(&bytes, &opts)?;
        let o = opened(&reader);
        let checked = reader.map(|item| check_row(item, &tag, &region2)).collect();
        Ok((o, checked))
    })
    .await
    .map_err(|e| AppError::Internal(format!("import reader: {e}")))?;
    let (o, checked) = match read {
        Ok(r) => r,
        Err(e) => return fail(svc, id, &e.to_string()).await,
    };
    let format = o.format;
    let encoding = o.encoding;
    st.headers = o.headers;
    st.columns = o.columns;
    st.profile = o.profile;
    let read_secs = read_started.elapsed().as_secs_f64();
    let total = checked.len() as i64;
    let invalid_lines: Vec<String> = checked
        .iter()
        .filter_map(|c| match c {
            Checked::Invalid { line, detail, .. } => Some(format!("line {line}: {detail}")),
            _ => None,
        })
        .take(3)
        .collect();
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("running"))
        .col_expr(import::Column::Format, Expr::value(format))
        .col_expr(import::Column::Encoding, Expr::value(encoding))
        .col_expr(import::Column::Options, Expr::value(serde_json::to_string(&st).unwrap_or_else(|_| "{}".into())))
        .col_expr(import::Column::Total, Expr::value(total))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    if total == 0 {
        return fail(svc, id, "the file has no contacts").await;
    }
    let all_or_nothing_failed = m.all_or_nothing && !m.dry_run && !invalid_lines.is_empty();
    let dry_run = m.dry_run || all_or_nothing_failed;
    let overrides: HashMap<i64, String> = st.overrides.iter().map(|o| (o.line, o.action.clone())).collect();
    let mut plan = Plan {
        slots: Vec::new(),
        by_key: HashMap::new(),
        by_uid: HashMap::new(),
        created: HashSet::new(),
        words_written: HashSet::new(),
        tag_ids: HashMap::new(),
        group_ids: HashMap::new(),
        counts: Counts::default(),
        times: Times { read: read_secs, ..Times::default() },
        region,
    };
    let mut done = 0i64;
    let mut next_statistics = 1000;
    let mut rows = checked.into_iter().peekable();
    let started = std::time::Instant::now();
    while rows.peek().is_some() {
        let chunk: Vec<Checked> = rows.by_ref().take(CHUNK).collect();
        let n = chunk.len() as i64;
        let result = chunk_step(svc, actor, &m, &s, &mut plan, chunk, &overrides, dry_run).await;
        if let Err(e) = result {
            let undo_note = if m.all_or_nothing && !m.dry_run && plan.counts.created + plan.counts.updated > 0 {
                // All or nothing: what earlier chunks wrote is taken back.
                import::Entity::update_many()
                    .col_expr(import::Column::Status, Expr::value("done"))
                    .col_expr(import::Column::FinishedAt, Expr::value(Some(Utc::now())))
                    .filter(import::Column::Id.eq(id))
                    .exec(&svc.db)
                    .await?;
                match undo_inner(svc, actor, id).await {
                    Ok(_) => "; what was imported before it was taken back",
                    Err(_) => "; taking back what was imported before it failed too: undo it from the import's page",
                }
            } else {
                ""
            };
            return fail(svc, id, &format!("{e}{undo_note}")).await;
        }
        done += n;
        if plan.counts.created >= next_statistics {
            postgres_upkeep(svc, "ANALYZE").await;
            next_statistics *= 2;
        }
        import::Entity::update_many()
            .col_expr(import::Column::Done, Expr::value(done))
            .col_expr(import::Column::Created, Expr::value(plan.counts.created))
            .col_expr(import::Column::Updated, Expr::value(plan.counts.updated))
            .col_expr(import::Column::Skipped, Expr::value(plan.counts.skipped))
            .col_expr(import::Column::Invalid, Expr::value(plan.counts.invalid))
            .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import::Column::Id.eq(id))
            .exec(&svc.db)
            .await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let t = plan.times;
    tracing::info!(
        import = id,
        rows = total,
        read_s = format!("{:.2}", t.read),
        lookup_s = format!("{:.2}", t.lookup),
        decide_s = format!("{:.2}", t.decide),
        write_s = format!("{:.2}", t.write),
        contacts_s = format!("{:.2}", t.write_contacts),
        children_s = format!("{:.2}", t.write_children),
        words_s = format!("{:.2}", t.write_words),
        commit_s = format!("{:.2}", t.commit),
        candidates = t.candidates,
        "import phases"
    );
    let (status, error) = if all_or_nothing_failed {
        (
            "failed",
            Some(format!(
                "nothing was imported: {} row(s) are invalid ({}{}) and all-or-nothing was asked",
                plan.counts.invalid,
                invalid_lines.join("; "),
                if plan.counts.invalid > 3 { "; …" } else { "" }
            )),
        )
    } else {
        ("done", None)
    };
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(status))
        .col_expr(import::Column::Error, Expr::value(error))
        .col_expr(import::Column::DryRun, Expr::value(m.dry_run))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(Utc::now())))
        .filter(import::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if !m.dry_run {
        drop_file(&txn, id).await?;
    }
    txn.commit().await?;
    if !dry_run {
        metrics::counter!("imports_total", "format" => m.format.clone()).increment(1);
        metrics::counter!("import_rows_total").increment(total as u64);
        if elapsed > 0.0 {
            tracing::info!(
                import = id,
                rows = total,
                seconds = elapsed,
                rows_per_s = total as f64 / elapsed,
                "import done"
            );
        }
        if plan.counts.created > 0 {
            postgres_upkeep(svc, "VACUUM ANALYZE").await;
        }
    }
    Ok(())
}

/// Decides (and unless `dry_run`, writes) one chunk of rows.
#[allow(clippy::too_many_arguments)]
async fn chunk_step(
    svc: &Services,
    actor: &Actor,
    m: &import::Model,
    s: &dedup::Settings,
    plan: &mut Plan,
    chunk: Vec<Checked>,
    overrides: &HashMap<i64, String>,
    dry_run: bool,
) -> AppResult<()> {
    // 1. What the chunk's rows may match: stored contacts by UID, then, for the rows whose UID
    // is new (or seen earlier in this file), stored contacts by duplicate keys. A re-import finds
    // every row by its UID and looks up no keys.
    let phase = std::time::Instant::now();
    let uids: Vec<String> = chunk
        .iter()
        .filter_map(|c| match c {
            Checked::Ok { uid, .. } => Some(uid.clone()),
            Checked::Invalid { .. } => None,
        })
        .collect();
    let by_uid = contacts_by_uid(&svc.db, &uids).await?;
    let mut norms: Vec<Option<dedup::Normalized>> = Vec::with_capacity(chunk.len());
    let mut keys: Vec<String> = Vec::new();
    let mut seen_keys: HashSet<String> = HashSet::new();
    for c in &chunk {
        match c {
            Checked::Ok { uid, clean, .. } => {
                let n = crate::contacts::matching::normalize_draft(0, clean, s);
                if !by_uid.contains_key(uid) && !plan.by_uid.contains_key(uid) {
                    for k in dedup::blocking_keys(&n) {
                        if seen_keys.insert(k.clone()) {
                            keys.push(k);
                        }
                    }
                }
                norms.push(Some(n));
            }
            Checked::Invalid { .. } => norms.push(None),
        }
    }
    let key_hits = lookup_keys(&svc.db, &keys, s).await?;
    // Contacts this import created are matched through the file's own index (their rows are
    // there, normalised): loading them back from the database would only repeat that work.
    let mut candidate_ids: Vec<i64> =
        key_hits.values().flatten().copied().filter(|id| !plan.created.contains(id)).collect();
    candidate_ids.extend(by_uid.values().copied());
    candidate_ids.sort_unstable();
    candidate_ids.dedup();
    let light = load_light_by_ids(&svc.db, &candidate_ids).await?;
    let stored_norm: HashMap<i64, dedup::Normalized> =
        light.iter().map(|l| (l.input.id, dedup::normalize(&l.input, s))).collect();
    let names: HashMap<i64, String> = light
        .iter()
        .map(|l| {
            let n =
                if l.summary.full_name.is_empty() { l.summary.company.clone() } else { l.summary.full_name.clone() };
            (l.input.id, n)
        })
        .collect();

    plan.times.lookup += phase.elapsed().as_secs_f64();
    plan.times.candidates += light.len() as u64;
    let phase = std::time::Instant::now();
    // 2. Decide each row.
    enum Todo {
        Create { slot: usize, note: Option<String> },
        Update { contact_id: i64, found: Found, clean: Box<Clean>, photo: Option<Box<RowPhoto>> },
        Skip { found: Option<Found>, detail: String },
        Fold { slot: usize, clean: Box<Clean>, photo: Option<Box<RowPhoto>> },
        Invalid { detail: String },
    }
    let mut todo: Vec<(i64, String, Todo)> = Vec::with_capacity(chunk.len());
    for (c, norm) in chunk.into_iter().zip(norms) {
        let (line, name, uid, clean, photo) = match c {
            Checked::Invalid { line, name, detail } => {
                todo.push((line, name, Todo::Invalid { detail }));
                continue;
            }
            Checked::Ok { line, name, uid, clean, photo } => (line, name, uid, clean, photo),
        };
        let norm = norm.unwrap_or_default();
        // Same UID: stored, else an earlier row.
        let mut found: Option<Found> = if let Some(id) = by_uid.get(&uid) {
            Some(Found { target: Target::Contact(*id), same: true, why: "the same UID".into() })
        } else {
            plan.by_uid.get(&uid).map(|slot| Found {
                target: plan.slots[*slot].contact_id.map(Target::Contact).unwrap_or(Target::Row(*slot)),
                same: true,
                why: format!("the same UID as line {}", plan.slots[*slot].line),
            })
        };
        let mut best_match: Option<dedup::Match> = None;
        if found.is_none() {
            let row_keys = dedup::blocking_keys(&norm);
            // Stored contacts sharing a key.
            let mut ids: Vec<i64> = row_keys.iter().filter_map(|k| key_hits.get(k)).flatten().copied().collect();
            ids.sort_unstable();
            ids.dedup();
            let stored_best = dedup::candidates(&norm, ids.iter().filter_map(|i| stored_norm.get(i)), s)
                .into_iter()
                .find(|(_, m)| m.score >= s.threshold);
            // Earlier rows of the file sharing a key (synthetic ids: -(slot + 1)).
            let mut slots: Vec<usize> = row_keys.iter().filter_map(|k| plan.by_key.get(k)).flatten().copied().collect();
            slots.sort_unstable();
            slots.dedup();
            let row_norms: Vec<dedup::Normalized> = slots
                .iter()
                .map(|&i| dedup::Normalized { id: -(i as i64) - 1, ..plan.slots[i].norm.clone() })
                .collect();
            let row_best =
                dedup::candidates(&norm, row_norms.iter(), s).into_iter().find(|(_, m)| m.score >= s.threshold);
            let pick = match (stored_best, row_best) {
                (Some(a), Some(b)) => Some(if b.1.score > a.1.score { b } else { a }),
                (a, b) => a.or(b),
            };
            if let Some((id, mm)) = pick {
                let target = if id < 0 {
                    let slot = (-id - 1) as usize;
                    plan.slots[slot].contact_id.map(Target::Contact).unwrap_or(Target::Row(slot))
                } else {
                    Target::Contact(id)
                };
                found = Some(Found { target, same: false, why: why(&mm) });
                best_match = Some(mm);
            }
        }
        let choice = overrides.get(&line).map(String::as_str).unwrap_or(m.on_duplicate.as_str());
        let describe = |f: &Found| -> String {
            match f.target {
                Target::Contact(id) => {
                    let who = names.get(&id).cloned().unwrap_or_default();
                    if f.same {
                        format!("already in cardcrm as #{id} {who} ({})", f.why)
                    } else {
                        format!("looks like #{id} {who} ({})", f.why)
                    }
                }
                Target::Row(slot) => format!("the same person as line {} ({})", plan.slots[slot].line, f.why),
            }
        };
        let decision = match found {
            // The person skipped a row that matches nothing.
            None if overrides.get(&line).is_some_and(|o| o == "skip") => {
                todo.push((line, name, Todo::Skip { found: None, detail: "skipped by you".into() }));
                continue;
            }
            None => None,
            // The same contact again: never a second copy; with skip it stays as it is.
            Some(f) if f.same => Some(if choice == "skip" { ("skip", f) } else { ("merge", f) }),
            Some(f) => Some(match choice {
                "merge" => ("merge", f),
                "create" => ("create", f),
                _ => ("skip", f),
            }),
        };
        match decision {
            None | Some(("create", _)) => {
                let slot = plan.slots.len();
                let pair = match (&decision, best_match) {
                    (Some((_, f)), Some(mm)) => Some((f.target, mm)),
                    _ => None,
                };
                for k in dedup::blocking_keys(&norm) {
                    let list = plan.by_key.entry(k.clone()).or_default();
                    if list.len() < dedup::blocking::lookup_limit(&k, s) {
                        list.push(slot);
                    }
                }
                plan.by_uid.entry(uid.clone()).or_insert(slot);
                let note = decision.as_ref().map(|(_, f)| describe(f));
                plan.slots.push(Slot { line, uid, clean: *clean, norm, folded: false, contact_id: None, pair, photo });
                todo.push((line, name, Todo::Create { slot, note }));
            }
            Some(("merge", f)) => match f.target {
                Target::Contact(contact_id) => {
                    todo.push((line, name, Todo::Update { contact_id, found: f, clean, photo }))
                }
                Target::Row(slot) => todo.push((line, name, Todo::Fold { slot, clean, photo })),
            },
            Some((_, f)) => {
                let detail = describe(&f);
                todo.push((line, name, Todo::Skip { found: Some(f), detail }));
            }
        }
    }

    // 3. Work out updates against the stored contacts (nothing new → skip, unchanged).
    let update_ids: Vec<i64> = todo
        .iter()
        .filter_map(|t| match &t.2 {
            Todo::Update { contact_id, .. } => Some(*contact_id),
            _ => None,
        })
        .collect();
    let stored_full: HashMap<i64, Contact> = if update_ids.is_empty() {
        HashMap::new()
    } else {
        let models = contact::Entity::find().filter(contact::Column::Id.is_in(update_ids)).all(&svc.db).await?;
        contacts::load_many(&svc.db, models).await?.into_iter().map(|c| (c.id, c)).collect()
    };

    let mut outcomes: Vec<Outcome> = Vec::with_capacity(todo.len());
    let mut updates: Vec<Update> = Vec::new();
    for (line, name, t) in todo {
        let mut o = Outcome {
            line,
            action: "skip",
            contact_id: None,
            match_id: None,
            slot: None,
            name,
            detail: String::new(),
            before: None,
            version_after: None,
        };
        match t {
            Todo::Invalid { detail } => {
                o.action = "invalid";
                o.detail = detail;
                plan.counts.invalid += 1;
            }
            Todo::Create { slot, note } => {
                o.action = "create";
                o.slot = Some(slot);
                if let Some(d) = note {
                    o.detail = format!("created anyway: {d}");
                    if let Some((Target::Contact(id), _)) = &plan.slots[slot].pair {
                        o.match_id = Some(*id);
                    }
                }
                plan.counts.created += 1;
            }
            Todo::Skip { found, detail } => {
                if let Some(Found { target: Target::Contact(id), .. }) = found {
                    o.match_id = Some(id);
                }
                o.detail = detail;
                plan.counts.skipped += 1;
            }
            Todo::Fold { slot, clean, photo } => {
                let mut added = fold(&mut plan.slots[slot].clean, &clean);
                plan.slots[slot].folded = true;
                if plan.slots[slot].photo.is_none() && photo.is_some() {
                    plan.slots[slot].photo = photo;
                    added.push("photo");
                }
                o.detail = if added.is_empty() {
                    format!("the same person as line {}: nothing new", plan.slots[slot].line)
                } else {
                    format!("merged into line {}: adds {}", plan.slots[slot].line, added.join(", "))
                };
                plan.counts.skipped += 1;
            }
            Todo::Update { contact_id, found, clean, photo } => {
                o.match_id = Some(contact_id);
                let Some(current) = stored_full.get(&contact_id) else {
                    o.detail = format!("#{contact_id} is no longer there");
                    plan.counts.skipped += 1;
                    outcomes.push(o);
                    continue;
                };
                let lead = if found.same {
                    "already in cardcrm".to_string()
                } else {
                    format!("looks like #{contact_id} ({})", found.why)
                };
                // A photo is added only to a contact without one: a stored photo is never replaced.
                let photo = photo.filter(|_| !current.has_photo);
                match (merged(current, &clean), photo) {
                    (None, None) => {
                        o.detail = format!("{lead}: nothing new");
                        plan.counts.skipped += 1;
                    }
                    (fields, photo) => {
                        let mut added = fields.as_ref().map(|f| f.1.clone()).unwrap_or_default();
                        if photo.is_some() {
                            added.push("photo");
                        }
                        o.action = "update";
                        o.contact_id = Some(contact_id);
                        o.detail = format!("{lead}: adds {}", added.join(", "));
                        o.before = Some(serde_json::to_string(&ContactInput::from(current)).unwrap_or_default());
                        // A photo alone leaves the fields (and the version) as they are.
                        o.version_after = Some(current.version);
                        updates.push(Update { outcome: outcomes.len(), contact_id, input: fields.map(|f| f.0), photo });
                        plan.counts.updated += 1;
                    }
                }
            }
        }
        outcomes.push(o);
    }

    plan.times.decide += phase.elapsed().as_secs_f64();
    let phase = std::time::Instant::now();
    // 4. Write.
    if !dry_run {
        write_chunk(svc, actor, m.id, s, plan, &mut outcomes, updates).await?;
    } else {
        write_outcomes(&svc.db, m.id, &outcomes, plan).await?;
    }
    plan.times.write += phase.elapsed().as_secs_f64();
    Ok(())
}

async fn contacts_by_uid<C: ConnectionTrait>(db: &C, uids: &[String]) -> AppResult<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for part in uids.chunks(500) {
        let rows = contact::Entity::find()
            .select_only()
            .column(contact::Column::Uid)
            .column(contact::Column::Id)
            .column(contact::Column::DeletedAt)
            .column(contact::Column::MergedIntoId)
            .filter(contact::Column::Uid.is_in(part.to_vec()))
            .into_tuple::<(String, i64, Option<chrono::DateTime<Utc>>, Option<i64>)>()
            .all(db)
            .await?;
        for (uid, id, deleted, merged_into) in rows {
            // A contact in the trash is not brought back by an import; one merged into another
            // is that other contact now.
            if deleted.is_some() {
                continue;
            }
            let id = match merged_into {
                Some(into) => match survivor(db, into).await? {
                    Some(s) => s,
                    None => continue,
                },
                None => id,
            };
            out.insert(uid, id);
        }
    }
    Ok(out)
}

/// The live contact a merged one ended up in (following merges of merges), if any.
async fn survivor<C: ConnectionTrait>(db: &C, mut id: i64) -> AppResult<Option<i64>> {
    for _ in 0..16 {
        let row: Option<(Option<chrono::DateTime<Utc>>, Option<i64>)> = contact::Entity::find_by_id(id)
            .select_only()
            .column(contact::Column::DeletedAt)
            .column(contact::Column::MergedIntoId)
            .into_tuple()
            .one(db)
            .await?;
        match row {
            Some((None, None)) => return Ok(Some(id)),
            Some((None, Some(into))) => id = into,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Every key's capped equality lookup (as check-on-create does per draft), many keys per statement.
async fn lookup_keys<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
    s: &dedup::Settings,
) -> AppResult<HashMap<String, Vec<i64>>> {
    let backend = db.get_database_backend();
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    if backend == DatabaseBackend::Postgres {
        return lookup_keys_postgres(db, keys, s).await;
    }
    for part in keys.chunks(KEYS_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len());
        let mut arms: Vec<String> = Vec::with_capacity(part.len());
        // The caps are bound too, not written into the text: the statement's text then depends
        // only on how many keys it holds, so the connection's statement cache keeps one prepared
        // statement instead of preparing a new 400-arm `UNION ALL` every time (and pushing the
        // import's other cached statements out of the cache, so that they are prepared again).
        for (i, key) in part.iter().enumerate() {
            let limit = dedup::blocking::lookup_limit(key, s) as i64;
            values.push(key.clone().into());
            let key_at = placeholder(backend, values.len());
            values.push(limit.into());
            arms.push(format!(
                "SELECT {i} AS k, contact_id FROM (SELECT contact_id FROM contact_keys WHERE key = {key_at} LIMIT {}) AS k{i}",
                placeholder(backend, values.len())
            ));
        }
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, arms.join(" UNION ALL "), values)).await?;
        for r in rows {
            let k: i32 = r.try_get_by_index(0)?;
            let id: i64 = r.try_get_by_index(1)?;
            if let Some(key) = part.get(k as usize) {
                out.entry(key.clone()).or_default().push(id);
            }
        }
    }
    Ok(out)
}

/// PostgreSQL: one statement per 2,000 keys, each key looked up with its own `LIMIT` by a lateral
/// join over the keys passed as two delimited texts (a `UNION ALL` of hundreds of capped arms,
/// as SQLite gets, took PostgreSQL longer to plan than to run: 119 s of lookups for 100,000 rows
/// into an empty table).
async fn lookup_keys_postgres<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
    s: &dedup::Settings,
) -> AppResult<HashMap<String, Vec<i64>>> {
    const SEP: char = '\u{1f}';
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    // A key holding the separator cannot be stored by `dedup` (keys are folded text); skip it
    // rather than split it.
    let keys: Vec<&String> = keys.iter().filter(|k| !k.contains(SEP)).collect();
    for part in keys.chunks(2000) {
        let joined = part.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("\u{1f}");
        let limits = part.iter().map(|k| dedup::blocking::lookup_limit(k, s).to_string()).collect::<Vec<_>>().join(",");
        let sql = "SELECT (k.ord - 1)::int4 AS k, ck.contact_id \
                   FROM unnest(string_to_array($1, chr(31)), string_to_array($2, ',')::int4[]) \
                        WITH ORDINALITY AS k(key, lim, ord) \
                   CROSS JOIN LATERAL (SELECT contact_id FROM contact_keys WHERE key = k.key LIMIT k.lim) AS ck";
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                sql,
                [joined.into(), limits.into()],
            ))
            .await?;
        for r in rows {
            let k: i32 = r.try_get_by_index(0)?;
            let id: i64 = r.try_get_by_index(1)?;
            if let Some(key) = part.get(k as usize) {
                out.entry((*key).clone()).or_default().push(id);
            }
        }
    }
    Ok(out)
}

async fn load_light_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<Vec<crate::contacts::matching::Light>> {
    let backend = db.get_database_backend();
    let mut out = Vec::with_capacity(ids.len());
    for part in ids.chunks(2000) {
        let values: Vec<Value> = part.iter().map(|i| (*i).into()).collect();
        let list = (1..=part.len()).map(|i| placeholder(backend, i)).collect::<Vec<_>>().join(", ");
        out.extend(
            crate::contacts::matching::load_light(
                db,
                &format!("SELECT id FROM contacts WHERE id IN ({list})"),
                values,
                None,
            )
            .await?,
        );
    }
    Ok(out)
}
