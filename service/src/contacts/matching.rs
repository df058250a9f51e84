//! The duplicate matcher's view of the contacts, kept by every contact write: each live contact's
//! blocking keys (`contact_keys`), the pending pairs (`duplicate_pairs`) a new or changed contact
//! makes, and the matching settings they are computed with. Here, under `contacts`, because a
//! contact write keeps them in the same transaction; reviewing pairs, scans and merges are the
//! `duplicates` domain above (`crate::duplicates`), which reads them from here.
//!
//! The matching itself is the pure `dedup` crate: `normalize` → `blocking_keys` (each key one
//! indexed equality lookup, capped by `blocking::lookup_limit`) → `candidates` (scored, explained).
//! Never compares all pairs. A deleted contact has no keys, so it is never a candidate.

use crate::dto::{self, Contact, ContactSummary, DuplicateSettings, MatchField};
use crate::platform::db::placeholder;
use crate::platform::settings;
use crate::Services;
use crate::{AppError, AppResult};
use chrono::Utc;
use entity::contact_key;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Set, Statement, Value};
use std::collections::{BTreeMap, HashMap};

/// The `settings` row whose JSON value overrides [`dedup::Settings::default`] (partial JSON is fine).
pub const SETTINGS_KEY: &str = "duplicate_settings";

/// Parses a `duplicate_settings` value; a 422 on `value` whose message names what is wrong.
pub fn parse_settings(value: &serde_json::Value) -> AppResult<dedup::Settings> {
    let invalid = |message: String| AppError::validation("value", message);
    if !value.is_object() {
        return Err(invalid("must be a JSON object of dedup settings".into()));
    }
    let s: dedup::Settings = serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
    check_thresholds(s.threshold, s.candidate_threshold)
        .map_err(|(name, message)| invalid(format!("{name} {message}")))?;
    for (name, w) in settings_view(&s).weights {
        if !w.is_finite() || w.abs() > dto::MAX_WEIGHT {
            return Err(invalid(format!("weights.{name} must be a number between -{0} and {0}", dto::MAX_WEIGHT)));
        }
    }
    Ok(s)
}

/// The stored settings without weights saved for an older matcher. The settings page saves every
/// weight, so a CRM whose administrator once saved the form holds a full copy of the hand-set
/// constants of its day; mixed with this matcher's learnt weights (Fellegi–Sunter, `dedup`
/// `Weights::default`) they would score nonsense. Weights saved since carry `matcher_version`.
pub fn without_stale_weights(mut raw: serde_json::Value) -> serde_json::Value {
    if raw.get(MATCHER_VERSION).and_then(|v| v.as_u64()) != Some(u64::from(dedup::KEYS_VERSION)) {
        if let Some(o) = raw.as_object_mut() {
            o.remove("weights");
        }
    }
    raw
}

/// The field of the stored settings naming the matcher version its weights were saved for.
pub(crate) const MATCHER_VERSION: &str = "matcher_version";

/// Both thresholds inside their sane ranges ([`dto::THRESHOLD_RANGE`],
/// [`dto::CANDIDATE_THRESHOLD_RANGE`]); else the field and what is wrong.
pub(crate) fn check_thresholds(threshold: f32, candidate: f32) -> Result<(), (&'static str, String)> {
    for (name, v, (lo, hi)) in [
        ("threshold", threshold, dto::THRESHOLD_RANGE),
        ("candidate_threshold", candidate, dto::CANDIDATE_THRESHOLD_RANGE),
    ] {
        if !v.is_finite() || !(lo..=hi).contains(&v) {
            return Err((name, format!("must be a number between {lo} and {hi}")));
        }
    }
    Ok(())
}

/// The matching settings: the defaults, overridden by the `duplicate_settings` row. Phones are
/// read in the CRM's default region unless the row names one.
pub async fn match_settings(svc: &Services) -> AppResult<dedup::Settings> {
    Ok(settings_and_region(svc).await?.0)
}

/// [`match_settings`] and the CRM's default phone region (as `settings::default_region`), from the
/// in-memory settings snapshot (`settings::all`: no query while it is fresh).
pub(crate) async fn settings_and_region(svc: &Services) -> AppResult<(dedup::Settings, String)> {
    let raw = settings::get(svc, SETTINGS_KEY).await?.map(without_stale_weights);
    let region = settings::default_region(svc).await?;
    let mut s = match raw.as_ref().map(parse_settings) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "ignoring invalid duplicate_settings; using the defaults");
            dedup::Settings::default()
        }
        None => dedup::Settings::default(),
    };
    if raw.as_ref().and_then(|v| v.get("default_region")).is_none() {
        s.default_region = region.clone();
    }
    Ok((s, region))
}

/// The dedup crate's view of a contact. Phones are given in E.164 where the CRM could parse them.
fn dedup_input(id: i64, c: &dto::ContactInput, phones: &[dto::Phone], emails: Vec<String>) -> dedup::ContactInput {
    dedup::ContactInput {
        id,
        first_name: c.first_name.clone(),
        middle_name: c.middle_name.clone(),
        last_name: c.last_name.clone(),
        full_name: c.full_name.clone(),
        company: c.company.clone(),
        position: c.position.clone(),
        emails,
        phones: phones.iter().map(|p| p.e164.clone().unwrap_or_else(|| p.number.clone())).collect(),
        website: c.website.clone(),
        address: c.address.clone(),
    }
}

/// The per-field evidence of a match as stored in `duplicate_pairs.match_fields`.
pub(crate) fn fields_json(m: &dedup::Match) -> String {
    serde_json::to_string(&match_fields(m)).unwrap_or_else(|_| "[]".into())
}

fn normalize_contact(c: &Contact, s: &dedup::Settings) -> dedup::Normalized {
    let input = dto::ContactInput::from(c);
    let emails = c.emails.iter().map(|e| e.address.clone()).collect();
    dedup::normalize(&dedup_input(c.id, &input, &c.phones, emails), s)
}

pub(crate) fn normalize_draft(id: i64, c: &super::Clean, s: &dedup::Settings) -> dedup::Normalized {
    let emails = c.emails.iter().map(|e| e.1.clone()).collect();
    dedup::normalize(&dedup_input(id, &c.input, &c.phones, emails), s)
}

/// The blocking keys of a contact (none for a contact in the trash or merged into another).
pub fn keys_for(c: &Contact, s: &dedup::Settings) -> Vec<String> {
    if c.deleted_at.is_some() {
        return Vec::new();
    }
    dedup::blocking_keys(&normalize_contact(c, s))
}

/// Replaces the stored keys of `c` (call inside the transaction that changed it).
pub(crate) async fn sync_keys<C: ConnectionTrait>(db: &C, c: &Contact, s: &dedup::Settings) -> AppResult<()> {
    contact_key::Entity::delete_many().filter(contact_key::Column::ContactId.eq(c.id)).exec(db).await?;
    let keys = keys_for(c, s);
    if !keys.is_empty() {
        contact_key::Entity::insert_many(
            keys.into_iter().map(|key| contact_key::ActiveModel { contact_id: Set(c.id), key: Set(key) }),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

/// What matching needs of a stored contact: its dedup input and the summary a candidate shows.
pub(crate) struct Light {
    pub(crate) input: dedup::ContactInput,
    pub(crate) summary: ContactSummary,
}

/// Loads, in ONE query, the live contacts whose ids `ids_sql` selects (a `SELECT` of one id column
/// named `id`, with its bound `values`), with only the columns matching uses and their phones and
/// e-mails (no tags, groups or notes), in id order. Phones are given in E.164 where the CRM could
/// parse them, as everywhere else matching reads a contact.
pub(crate) async fn load_light<C: ConnectionTrait>(
    db: &C,
    ids_sql: &str,
    values: Vec<Value>,
    exclude: Option<i64>,
) -> AppResult<Vec<Light>> {
    let backend = db.get_database_backend();
    let mut values = values;
    let exclude_sql = match exclude {
        Some(id) => {
            values.push(id.into());
            format!(" AND c.id <> {}", placeholder(backend, values.len()))
        }
        None => String::new(),
    };
    let contacts = contacts_by_id(backend);
    // part 0: the contact; 1: a phone (number, e164); 2: an e-mail (address). `pos`, `rid`: child order.
    let sql = format!(
        "WITH ids AS ({ids_sql}) \
         SELECT 0 AS part, c.id AS id, 0 AS pos, 0 AS rid, c.first_name AS t1, c.middle_name AS t2, \
                c.last_name AS t3, c.full_name AS t4, c.company AS t5, c.position AS t6, c.website AS t7, \
                c.address AS t8 \
           FROM {contacts} WHERE c.id IN (SELECT id FROM ids) AND c.deleted_at IS NULL \
                AND c.merged_into_id IS NULL{exclude_sql} \
         UNION ALL \
         SELECT 1, p.contact_id, p.position, p.id, p.number, p.e164, NULL, NULL, NULL, NULL, NULL, NULL \
           FROM contact_phones p WHERE p.contact_id IN (SELECT id FROM ids) \
         UNION ALL \
         SELECT 2, e.contact_id, e.position, e.id, e.address, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
           FROM contact_emails e WHERE e.contact_id IN (SELECT id FROM ids) \
         ORDER BY 2, 1, 3, 4"
    );
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut out: Vec<Light> = Vec::new();
    let text = |r: &sea_orm::QueryResult, i: usize| -> AppResult<String> {
        Ok(r.try_get_by_index::<Option<String>>(i)?.unwrap_or_default())
    };
    for r in &rows {
        let part: i32 = r.try_get_by_index(0)?;
        let id: i64 = r.try_get_by_index(1)?;
        if part == 0 {
            let company = text(r, 8)?;
            let full_name = text(r, 7)?;
            out.push(Light {
                input: dedup::ContactInput {
                    id,
                    first_name: text(r, 4)?,
                    middle_name: text(r, 5)?,
                    last_name: text(r, 6)?,
                    full_name: full_name.clone(),
                    company: company.clone(),
                    position: text(r, 9)?,
                    emails: Vec::new(),
                    phones: Vec::new(),
                    website: text(r, 10)?,
                    address: text(r, 11)?,
                },
                summary: ContactSummary { id, full_name, company, phone: None, email: None },
            });
            continue;
        }
        // A child of a contact that is not live (or is excluded) has no part-0 row before it.
        let Some(l) = out.last_mut().filter(|l| l.input.id == id) else { continue };
        let value = text(r, 4)?;
        if part == 1 {
            let e164: Option<String> = r.try_get_by_index(5)?;
            l.summary.phone.get_or_insert_with(|| value.clone());
            l.input.phones.push(e164.unwrap_or(value));
        } else {
            l.summary.email.get_or_insert_with(|| value.clone());
            l.input.emails.push(value);
        }
    }
    Ok(out)
}

/// `contacts c` for a query that reaches contacts by id (a lookup or an id range). On SQLite
/// `NOT INDEXED`: without statistics its planner prefers any index whose leading columns match
/// `deleted_at IS NULL AND merged_into_id IS NULL` (the list indexes) and would walk every live
/// contact for each query; the rowid lookups and ranges stay available.
pub(crate) fn contacts_by_id(backend: DatabaseBackend) -> &'static str {
    if backend == DatabaseBackend::Sqlite {
        "contacts c NOT INDEXED"
    } else {
        "contacts c"
    }
}

/// Live contacts sharing a key with `draft`, scored, best first; only those at or above
/// `candidate_threshold`. Two statements' worth of work in ONE query: every key's capped equality
/// lookup (`LIMIT lookup_limit(key)` each, on the `(key, contact_id)` index) and the light load
/// of the contacts found.
pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    draft: &dedup::Normalized,
    exclude: Option<i64>,
    s: &dedup::Settings,
) -> AppResult<Vec<(ContactSummary, dedup::Match)>> {
    let keys = dedup::blocking_keys(draft);
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(keys.len() + 1);
    let mut arms: Vec<String> = Vec::with_capacity(keys.len());
    for (i, key) in keys.into_iter().enumerate() {
        let limit = dedup::blocking::lookup_limit(&key, s);
        values.push(key.into());
        arms.push(format!(
            "SELECT contact_id AS id FROM (SELECT contact_id FROM contact_keys WHERE key = {} LIMIT {limit}) AS k{i}",
            placeholder(backend, values.len())
        ));
    }
    let loaded = load_light(db, &arms.join(" UNION "), values, exclude).await?;
    let norm: Vec<dedup::Normalized> = loaded.iter().map(|l| dedup::normalize(&l.input, s)).collect();
    let mut by_id: HashMap<i64, ContactSummary> = loaded.into_iter().map(|l| (l.input.id, l.summary)).collect();
    Ok(dedup::candidates(draft, norm.iter(), s)
        .into_iter()
        .filter_map(|(id, m)| by_id.remove(&id).map(|c| (c, m)))
        .collect())
}

pub(crate) fn match_fields(m: &dedup::Match) -> Vec<MatchField> {
    m.match_fields.iter().map(|f| MatchField { field: f.field.clone(), score: f.score, weight: f.weight }).collect()
}

/// After creating `created`: record a pending pair for each contact it matches at or above
/// `threshold`. An existing pair (pending, reviewed, merged or ignored) is left as it is, so an
/// ignored pair never comes back.
pub(crate) async fn record_pairs<C: ConnectionTrait>(db: &C, created: &Contact, s: &dedup::Settings) -> AppResult<u64> {
    if created.deleted_at.is_some() {
        return Ok(0);
    }
    let draft = normalize_contact(created, s);
    let mut n = 0;
    for (other, m) in find(db, &draft, Some(created.id), s).await? {
        if m.score < s.threshold {
            continue;
        }
        n += insert_pair(db, created.id, other.id, &m).await?;
    }
    Ok(n)
}

/// Records a pending pair of two contacts (in either order) unless the pair is stored already
/// (whatever its status). Returns 1 if it was new.
pub(crate) async fn insert_pair<C: ConnectionTrait>(db: &C, x: i64, y: i64, m: &dedup::Match) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let sql = format!(
        "INSERT INTO duplicate_pairs (a_id, b_id, score, match_fields, status, created_at, updated_at) \
         VALUES ({}, {}, {}, {}, 'pending', {}, {}) ON CONFLICT (a_id, b_id) DO NOTHING",
        placeholder(backend, 1),
        placeholder(backend, 2),
        placeholder(backend, 3),
        placeholder(backend, 4),
        placeholder(backend, 5),
        placeholder(backend, 6),
    );
    let (a, b) = if x < y { (x, y) } else { (y, x) };
    let fields = serde_json::to_string(&match_fields(m)).unwrap_or_else(|_| "[]".into());
    let now = Utc::now();
    let values: Vec<Value> = vec![a.into(), b.into(), m.score.into(), fields.into(), now.into(), now.into()];
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected())
}

/// The thresholds and field weights in force, as an administrator edits them.
pub fn settings_view(s: &dedup::Settings) -> DuplicateSettings {
    let weights = serde_json::to_value(&s.weights)
        .ok()
        .and_then(|v| serde_json::from_value::<BTreeMap<String, f32>>(v).ok())
        .unwrap_or_default();
    DuplicateSettings { threshold: s.threshold, candidate_threshold: s.candidate_threshold, weights }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    #[test]
    fn weights_saved_for_an_older_matcher_are_dropped_and_thresholds_kept() {
        let old = json!({"threshold": 0.8, "weights": {"prior": -4.0, "name_exact": 5.0}});
        let kept = without_stale_weights(old);
        assert!(kept.get("weights").is_none(), "{kept}");
        assert_eq!(kept["threshold"], 0.8);
        let current = json!({"threshold": 0.8, "matcher_version": dedup::KEYS_VERSION, "weights": {"prior": -1.0}});
        assert_eq!(without_stale_weights(current.clone()), current);
        let s = parse_settings(&without_stale_weights(json!({"weights": {"prior": 9.0}}))).unwrap();
        assert_eq!(s.weights.prior, dedup::Weights::default().prior);
    }

    #[test]
    fn settings_are_partial_json_and_checked() {
        let s = parse_settings(&json!({"threshold": 0.7})).expect("partial settings");
        assert_eq!(s.threshold, 0.7);
        assert_eq!(s.lookup_limit, dedup::Settings::default().lookup_limit);
        assert!(parse_settings(&json!({"threshold": 2.0})).unwrap_err().to_string().contains("threshold"));
        // 0.0 made every blocked candidate a pair; a stored value out of range is refused.
        assert!(parse_settings(&json!({"threshold": 0.0})).unwrap_err().to_string().contains("threshold"));
        assert!(parse_settings(&json!({"candidate_threshold": -0.1}))
            .unwrap_err()
            .to_string()
            .contains("candidate_threshold"));
        assert!(parse_settings(&json!({"threshold": "high"})).is_err());
        assert!(parse_settings(&json!([1, 2])).is_err());
    }

    #[test]
    fn a_contact_in_the_trash_has_no_keys() {
        let now = Utc::now();
        let mut c = Contact {
            id: 7,
            uid: "u".into(),
            sequence_number: 7,
            prefix: String::new(),
            first_name: "Анна".into(),
            middle_name: String::new(),
            last_name: "Петрова".into(),
            full_name: "Анна Петрова".into(),
            company: "Acme".into(),
            position: String::new(),
            department: String::new(),
            phones: vec![dto::Phone {
                kind: "mobile".into(),
                number: "8 916 123-45-67".into(),
                e164: Some("+79161234567".into()),
            }],
            emails: vec![],
            website: String::new(),
            address: String::new(),
            notes: String::new(),
            tags: vec![],
            groups: vec![],
            source: "manual".into(),
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            has_photo: false,
        };
        let keys = keys_for(&c, &dedup::Settings::default());
        assert!(keys.iter().any(|k| k == "p:+79161234567"), "{keys:?}");
        c.deleted_at = Some(now);
        assert!(keys_for(&c, &dedup::Settings::default()).is_empty());
    }
}
