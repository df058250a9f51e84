//! Duplicates: the check-on-create lookup (a draft → the existing contacts it looks like), the
//! stored pairs (`duplicate_pairs`) with their review status, the matching settings as an
//! administrator edits them, whole-CRM scans ([`duplicate_scans`]) and merges ([`merges`]).
//!
//! The keys and pending pairs every contact write keeps, and the matching settings they are
//! computed with, are one level down in [`crate::contacts::matching`] (a contact write keeps them
//! in its own transaction); this domain reads them from there.

pub mod duplicate_scans;
pub mod merges;

use crate::contacts::matching::{
    check_thresholds, find, match_fields, match_settings, normalize_draft, parse_settings, settings_and_region,
    settings_view, MATCHER_VERSION, SETTINGS_KEY,
};
use crate::dto::{
    self, CheckDuplicatesInput, Contact, DuplicateCandidate, DuplicatePair, DuplicateQuery, DuplicateSettings, Page,
    DUPLICATE_STATUSES,
};
use crate::platform::db::placeholder;
use crate::{contacts, platform::audit, platform::settings, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{contact, duplicate_pair};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement, Value};
use serde_json::json;
use std::collections::HashMap;

/// Check-on-create: the existing contacts a draft looks like, best first. The draft is validated
/// as for saving (422 naming the field); `exclude_id` (the contact being edited) must exist.
pub async fn check(svc: &Services, _actor: &Actor, input: CheckDuplicatesInput) -> AppResult<Vec<DuplicateCandidate>> {
    if let Some(id) = input.exclude_id {
        contact::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("contact"))?;
    }
    let (s, region) = settings_and_region(svc).await?;
    let clean = contacts::clean(input.draft, &region)?;
    let draft = normalize_draft(input.exclude_id.unwrap_or(0), &clean, &s);
    let found = find(&svc.db, &draft, input.exclude_id, &s).await?;
    Ok(found
        .into_iter()
        .map(|(c, m)| DuplicateCandidate { contact: c, score: m.score, match_fields: match_fields(&m) })
        .collect())
}

fn check_status(status: &str, field: &str) -> AppResult<()> {
    if DUPLICATE_STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(AppError::validation(field, format!("must be one of {}", DUPLICATE_STATUSES.join(", "))))
    }
}

async fn load_pairs<C: ConnectionTrait>(db: &C, rows: Vec<duplicate_pair::Model>) -> AppResult<Vec<DuplicatePair>> {
    let mut ids: Vec<i64> = rows.iter().flat_map(|p| [p.a_id, p.b_id]).collect();
    ids.sort_unstable();
    ids.dedup();
    let contacts_rows = contact::Entity::find().filter(contact::Column::Id.is_in(ids)).all(db).await?;
    let mut by_id: HashMap<i64, Contact> =
        contacts::load_many(db, contacts_rows).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        let (Some(a), Some(b)) = (by_id.get(&p.a_id).cloned(), by_id.get(&p.b_id).cloned()) else { continue };
        out.push(DuplicatePair {
            id: p.id,
            score: p.score,
            match_fields: serde_json::from_str(&p.match_fields).unwrap_or_default(),
            status: p.status,
            a,
            b,
            created_at: p.created_at,
            updated_at: p.updated_at,
        });
    }
    by_id.clear();
    Ok(out)
}

/// Stored pairs, best score first, both contacts in full; pairs with a contact in the trash are
/// left out, and so are open pairs with a contact merged into another one (the pairs of the
/// merge itself are listed as `merged`). All statuses unless `q.status` names one.
///
/// The pairs drive the query and each pair's two contacts are rowid lookups, so the work is linear
/// in the stored pairs whatever the data. The earlier form (`a_id IN (live ids) AND b_id IN (live
/// ids)`) let SQLite probe the `(a_id, b_id)` index with every combination of live ids: with
/// 16,000 live contacts and 2,143 pairs the count alone took 35 s of CPU, on every request.
pub async fn list(svc: &Services, _actor: &Actor, q: &DuplicateQuery) -> AppResult<Page<DuplicatePair>> {
    let (page, limit) = crate::platform::db::paging(q.page, q.limit, 25)?;
    let backend = svc.db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let mut status_sql = String::new();
    if let Some(status) = q.status.as_deref() {
        check_status(status, "status")?;
        values.push(status.into());
        status_sql = format!(" AND p.status = {}", placeholder(backend, values.len()));
    }
    let (ca, cb) = if backend == DatabaseBackend::Sqlite {
        ("contacts a NOT INDEXED", "contacts b NOT INDEXED")
    } else {
        ("contacts a", "contacts b")
    };
    let from = format!(
        "FROM duplicate_pairs p JOIN {ca} ON a.id = p.a_id JOIN {cb} ON b.id = p.b_id \
         WHERE a.deleted_at IS NULL AND b.deleted_at IS NULL \
           AND (p.status = 'merged' OR (a.merged_into_id IS NULL AND b.merged_into_id IS NULL)){status_sql}"
    );
    let count_sql = format!("SELECT COUNT(*) AS n {from}");
    let total: i64 =
        match svc.db.query_one_raw(Statement::from_sql_and_values(backend, count_sql, values.clone())).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
    // page ≤ MAX_PAGE and limit ≤ MAX_PAGE_SIZE (checked above): the offset fits an i64.
    let offset = (page - 1) * limit;
    let ids_sql = format!("SELECT p.id {from} ORDER BY p.score DESC, p.id ASC LIMIT {limit} OFFSET {offset}");
    let ids: Vec<i64> = svc
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, ids_sql, values))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    let mut rows =
        duplicate_pair::Entity::find().filter(duplicate_pair::Column::Id.is_in(ids.clone())).all(&svc.db).await?;
    let pos: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| pos.get(&r.id).copied().unwrap_or(usize::MAX));
    let items = load_pairs(&svc.db, rows).await?;
    let total = total.max(0) as u64;
    Ok(Page::numbered(items, total, page, limit))
}

/// Marks a pair pending, reviewed or ignored (merged is set by merging), with an audit entry.
pub async fn set_status(svc: &Services, actor: &Actor, id: i64, status: &str) -> AppResult<DuplicatePair> {
    let status = status.trim().to_lowercase();
    check_status(&status, "status")?;
    if status == "merged" {
        return Err(AppError::validation(
            "status",
            "merged is set by merging the contacts; use pending, reviewed or ignored",
        ));
    }
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let before =
        duplicate_pair::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("duplicate pair"))?;
    if before.status == "merged" {
        return Err(AppError::Conflict("the pair was merged; undo the merge to review it again".into()));
    }
    if before.status != status {
        duplicate_pair::Entity::update_many()
            .col_expr(duplicate_pair::Column::Status, sea_orm::sea_query::Expr::value(status.clone()))
            .col_expr(duplicate_pair::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(duplicate_pair::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            Some(actor.user_id),
            None,
            "duplicate_pair",
            "status",
            json!({"pair": id, "a_id": before.a_id, "b_id": before.b_id,
                   "changes": [{"field": "status", "from": before.status, "to": status}]}),
        )
        .await?;
    }
    let after =
        duplicate_pair::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("duplicate pair"))?;
    let mut out = load_pairs(&txn, vec![after]).await?;
    txn.commit().await?;
    out.pop().ok_or_else(|| AppError::not_found("contact of the duplicate pair"))
}

/// The matching thresholds and weights (any signed-in user may read them).
pub async fn get_settings(svc: &Services, _actor: &Actor) -> AppResult<DuplicateSettings> {
    Ok(settings_view(&match_settings(svc).await?))
}

/// Changes the thresholds and weights (administrators only); weights left out keep their value.
/// Used by check-on-create and by scans from the next call on.
pub async fn put_settings(svc: &Services, actor: &Actor, input: DuplicateSettings) -> AppResult<DuplicateSettings> {
    actor.require_admin()?;
    check_thresholds(input.threshold, input.candidate_threshold)
        .map_err(|(name, message)| AppError::validation(name, message))?;
    let current = match_settings(svc).await?;
    let mut weights = serde_json::to_value(&current.weights).unwrap_or_else(|_| json!({}));
    for (name, w) in &input.weights {
        let field = format!("weights.{name}");
        if weights.get(name).is_none() {
            let known: Vec<String> = settings_view(&current).weights.into_keys().collect();
            return Err(AppError::validation(field, format!("is not a weight; use {}", known.join(", "))));
        }
        if !w.is_finite() || w.abs() > dto::MAX_WEIGHT {
            return Err(AppError::validation(field, format!("must be a number between -{0} and {0}", dto::MAX_WEIGHT)));
        }
        weights[name.as_str()] = json!(w);
    }
    let mut raw = settings::get(svc, SETTINGS_KEY).await?.filter(|v| v.is_object()).unwrap_or_else(|| json!({}));
    raw["threshold"] = json!(input.threshold);
    raw["candidate_threshold"] = json!(input.candidate_threshold);
    raw["weights"] = weights;
    raw[MATCHER_VERSION] = json!(dedup::KEYS_VERSION);
    parse_settings(&raw)?;
    settings::set(svc, actor, SETTINGS_KEY, raw).await?;
    get_settings(svc, actor).await
}
