//! Merging duplicate contacts, and undoing a merge exactly.
//!
//! A merge is one transaction: the survivor takes the chosen value per field (or every distinct
//! phone and e-mail), the tags, groups, card scans and history of the others move to it, the
//! others are kept as "merged into" the survivor (hidden from lists, search and matching, not
//! deleted), and the pairs among them become `merged`. Every contact's `version` is checked: a
//! contact edited since the client read it gets 409 and nothing changes.
//!
//! Before changing anything the merge stores a full snapshot of every row it touches in
//! `contact_merges` (see [`Snapshot`]); undo writes those rows back as they were. Undo is refused
//! (409) once the survivor or a merged contact has changed after the merge.

use crate::dto::{
    self, Contact, ContactField, ContactMerges, ContactSummary, MergeFieldChoice, MergeInput, MergeRecord, MergeResult,
    MERGE_FIELDS,
};
use crate::{contacts, platform::audit, platform::settings, Actor, AppError, AppResult, Services};
use chrono::Utc;
use dedup::merge_plan::{self, Choice, Record, Value as PlanValue};
use entity::{
    audit_log, card_scan, contact, contact_group_member, contact_key, contact_merge, contact_tag, duplicate_pair, user,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use snapshot::{take_snapshot, Snapshot};

mod snapshot;
use std::collections::{BTreeMap, HashSet};

/// At most this many contacts in one merge.
pub const MAX_MERGE: usize = 20;

/// What the survivor becomes: its fields as a contact input, and where each field came from.
struct Plan {
    survivor: i64,
    merged: Vec<i64>,
    input: dto::ContactInput,
    sources: BTreeMap<String, Vec<i64>>,
}

fn list_choice(
    field: &str,
    choice: Option<&MergeFieldChoice>,
    keep_all: Option<bool>,
    ids: &[i64],
) -> AppResult<Option<i64>> {
    match choice {
        Some(MergeFieldChoice::From(id)) if ids.contains(id) => Ok(Some(*id)),
        Some(MergeFieldChoice::From(id)) => {
            Err(AppError::validation(format!("fields.{field}"), format!("contact {id} is not being merged")))
        }
        Some(MergeFieldChoice::Value(_)) => Err(AppError::validation(
            format!("fields.{field}"),
            format!("choose the contact whose {field} to keep, or keep_all_{field}"),
        )),
        None if keep_all.unwrap_or(true) => Ok(None),
        None => Ok(Some(ids[0])),
    }
}

/// Chooses the survivor's values (pure). `contacts` are in the order of the request.
fn plan(contacts: &[Contact], input: &MergeInput) -> AppResult<Plan> {
    let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    for name in input.fields.keys() {
        if !MERGE_FIELDS.contains(&name.as_str()) {
            return Err(AppError::validation(
                format!("fields.{name}"),
                format!("is not a field a merge can choose; use {}", MERGE_FIELDS.join(", ")),
            ));
        }
    }
    let records: Vec<Record> = contacts
        .iter()
        .map(|c| Record {
            id: c.id,
            updated_at: Some(c.updated_at.timestamp_micros()),
            fields: ContactField::ALL
                .iter()
                .map(|f| (f.name().to_string(), PlanValue::Text(f.of(c).to_string())))
                .collect(),
        })
        .collect();
    let mut choices: BTreeMap<String, Choice> = BTreeMap::new();
    for (name, choice) in &input.fields {
        if ContactField::parse(name).is_none() {
            continue;
        }
        let c = match choice {
            MergeFieldChoice::From(id) if ids.contains(id) => Choice::From(*id),
            MergeFieldChoice::From(id) => {
                return Err(AppError::validation(format!("fields.{name}"), format!("contact {id} is not being merged")))
            }
            MergeFieldChoice::Value(v) => Choice::Value(PlanValue::Text(v.clone())),
        };
        choices.insert(name.clone(), c);
    }
    if let Some(s) = input.survivor_id {
        if !ids.contains(&s) {
            return Err(AppError::validation("survivor_id", format!("contact {s} is not being merged")));
        }
    }
    let p = merge_plan::plan(&records, &choices, input.survivor_id, &dedup::Settings::default())
        .map_err(|e| AppError::validation("ids", e.to_string()))?;
    let survivor = p.survivor;
    let text = |f: &str| p.fields.get(f).map(PlanValue::as_text).unwrap_or_default();
    let mut sources = p.sources.clone();
    let mut full_name = text("full_name");
    let has_parts = !(text("first_name").is_empty() && text("last_name").is_empty());
    if !input.fields.contains_key("full_name") && has_parts {
        // Derived from the chosen name parts, so the name reads as chosen.
        full_name = String::new();
        sources.insert("full_name".into(), Vec::new());
    }
    // Survivor first, then the others in the order given.
    let mut ordered: Vec<&Contact> = contacts.iter().filter(|c| c.id == survivor).collect();
    ordered.extend(contacts.iter().filter(|c| c.id != survivor));
    let order_ids: Vec<i64> = ordered.iter().map(|c| c.id).collect();

    let phones_from = list_choice("phones", input.fields.get("phones"), input.keep_all_phones, &order_ids)?;
    let mut phones: Vec<dto::PhoneInput> = Vec::new();
    let mut phone_keys: Vec<String> = Vec::new();
    let mut phone_src: Vec<i64> = Vec::new();
    for c in ordered.iter().filter(|c| phones_from.is_none_or(|id| id == c.id)) {
        for p in &c.phones {
            let key = p.e164.clone().unwrap_or_else(|| crate::platform::text::digits(&p.number));
            if phone_keys.contains(&key) {
                continue;
            }
            phone_keys.push(key);
            phones.push(dto::PhoneInput { kind: p.kind.clone(), number: p.number.clone() });
            if !phone_src.contains(&c.id) {
                phone_src.push(c.id);
            }
        }
    }
    sources.insert("phones".into(), phones_from.map(|id| vec![id]).unwrap_or(phone_src));

    let emails_from = list_choice("emails", input.fields.get("emails"), input.keep_all_emails, &order_ids)?;
    let mut emails: Vec<dto::EmailInput> = Vec::new();
    let mut email_keys: Vec<String> = Vec::new();
    let mut email_src: Vec<i64> = Vec::new();
    for c in ordered.iter().filter(|c| emails_from.is_none_or(|id| id == c.id)) {
        for e in &c.emails {
            let key = crate::platform::text::email_key(&e.address);
            if email_keys.contains(&key) {
                continue;
            }
            email_keys.push(key);
            emails.push(dto::EmailInput { kind: e.kind.clone(), address: e.address.clone() });
            if !email_src.contains(&c.id) {
                email_src.push(c.id);
            }
        }
    }
    sources.insert("emails".into(), emails_from.map(|id| vec![id]).unwrap_or(email_src));

    let mut tags: Vec<dto::NameRef> = Vec::new();
    let mut groups: Vec<dto::NameRef> = Vec::new();
    for c in &ordered {
        for t in &c.tags {
            if !tags.iter().any(|x| x.name().eq_ignore_ascii_case(&t.name)) {
                tags.push(dto::NameRef::Name(t.name.clone()));
            }
        }
        for g in &c.groups {
            if !groups.iter().any(|x| x.name().eq_ignore_ascii_case(&g.name)) {
                groups.push(dto::NameRef::Name(g.name.clone()));
            }
        }
    }
    let surv = ordered[0];
    let mut input = dto::ContactInput {
        phones,
        emails,
        tags,
        groups,
        source: Some(surv.source.clone()),
        version: Some(surv.version),
        ..Default::default()
    };
    for f in ContactField::ALL {
        f.set(&mut input, text(f.name()));
    }
    input.full_name = full_name;
    Ok(Plan { survivor, merged: order_ids[1..].to_vec(), input, sources })
}

fn check_ids(ids: &[i64]) -> AppResult<()> {
    if ids.len() < 2 {
        return Err(AppError::validation("ids", "name at least two contacts to merge"));
    }
    if ids.len() > MAX_MERGE {
        return Err(AppError::validation("ids", format!("at most {MAX_MERGE} contacts in one merge")));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(*id) {
            return Err(AppError::validation("ids", format!("contact {id} is named twice")));
        }
    }
    Ok(())
}

/// Loads the contacts of a merge in the order given; 404 names a missing one, 409 one in the
/// trash or already merged.
async fn load_for_merge<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<Contact>> {
    let rows = contact::Entity::find().filter(contact::Column::Id.is_in(ids.to_vec())).all(db).await?;
    for id in ids {
        let Some(r) = rows.iter().find(|r| r.id == *id) else {
            return Err(AppError::NotFound(format!("contact {id} not found")));
        };
        if r.deleted_at.is_some() {
            return Err(AppError::Conflict(format!("contact {id} is in the trash; restore it before merging")));
        }
        if let Some(into) = r.merged_into_id {
            return Err(AppError::Conflict(format!("contact {id} was already merged into contact {into}")));
        }
    }
    let mut loaded = contacts::load_many(db, rows).await?;
    loaded.sort_by_key(|c| ids.iter().position(|i| *i == c.id));
    Ok(loaded)
}

fn stale(id: i64, now: i32, sent: i32) -> AppError {
    AppError::Conflict(format!(
        "contact {id} was changed by someone else (version {now} now, you sent {sent}); reload it and review the merge again"
    ))
}

/// Merges `input.ids` into one contact, or with `dry_run` shows what that would give.
pub async fn merge(svc: &Services, actor: &Actor, input: MergeInput) -> AppResult<MergeResult> {
    check_ids(&input.ids)?;
    if !input.dry_run {
        for id in &input.ids {
            if !input.versions.contains_key(id) {
                return Err(AppError::validation(
                    format!("versions.{id}"),
                    "is required: send the version of each contact as you last read it",
                ));
            }
        }
    }
    let region = settings::default_region(svc).await?;
    let match_settings = crate::contacts::matching::match_settings(svc).await?;
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let loaded = load_for_merge(&txn, &input.ids).await?;
    for c in &loaded {
        if let Some(sent) = input.versions.get(&c.id) {
            if *sent != c.version {
                return Err(stale(c.id, c.version, *sent));
            }
        }
    }
    let p = plan(&loaded, &input)?;
    let clean = contacts::clean(p.input.clone(), &region)?;
    let before = loaded.iter().find(|c| c.id == p.survivor).cloned().ok_or_else(|| AppError::not_found("survivor"))?;

    if input.dry_run {
        let mut preview = before.clone();
        let i = &clean.input;
        for f in ContactField::ALL {
            *f.of_mut(&mut preview) = f.of_input(i).to_string();
        }
        preview.phones = clean.phones.clone();
        preview.emails = clean
            .emails
            .iter()
            .map(|(kind, address, _)| dto::Email { kind: kind.clone(), address: address.clone() })
            .collect();
        let mut tags: Vec<dto::TagRef> = Vec::new();
        let mut groups: Vec<dto::GroupRef> = Vec::new();
        for c in &loaded {
            tags.extend(c.tags.iter().filter(|t| !tags.iter().any(|x| x.id == t.id)).cloned().collect::<Vec<_>>());
            groups
                .extend(c.groups.iter().filter(|g| !groups.iter().any(|x| x.id == g.id)).cloned().collect::<Vec<_>>());
        }
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        preview.tags = tags;
        preview.groups = groups;
        preview.has_photo = loaded.iter().any(|c| c.has_photo);
        return Ok(MergeResult {
            merge_id: None,
            dry_run: true,
            survivor: preview,
            merged_ids: p.merged,
            sources: p.sources,
        });
    }

    let all: Vec<i64> = loaded.iter().map(|c| c.id).collect();
    let mut snapshot = take_snapshot(&txn, &all, &p.merged).await?;
    let now = Utc::now();

    // The survivor: chosen fields, children, tags and groups (the union); version guarded.
    let res = contacts::write_fields(&txn, p.survivor, &clean, before.version, now).await?;
    if res == 0 {
        let now_v = contact::Entity::find_by_id(p.survivor).one(&txn).await?.map(|r| r.version).unwrap_or_default();
        return Err(stale(p.survivor, now_v, before.version));
    }
    contacts::write_children(&txn, p.survivor, &clean).await?;

    // The others: marked merged into the survivor, their links moved, their keys gone.
    for c in loaded.iter().filter(|c| c.id != p.survivor) {
        let res = contact::Entity::update_many()
            .col_expr(contact::Column::MergedIntoId, Expr::value(Some(p.survivor)))
            .col_expr(contact::Column::Version, Expr::col(contact::Column::Version).add(1))
            .col_expr(contact::Column::UpdatedAt, Expr::value(now))
            .filter(contact::Column::Id.eq(c.id))
            .filter(contact::Column::Version.eq(c.version))
            .filter(contact::Column::MergedIntoId.is_null())
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            let now_v = contact::Entity::find_by_id(c.id).one(&txn).await?.map(|r| r.version).unwrap_or_default();
            return Err(stale(c.id, now_v, c.version));
        }
    }
    let losers = p.merged.clone();
    contact_tag::Entity::delete_many().filter(contact_tag::Column::ContactId.is_in(losers.clone())).exec(&txn).await?;
    contact_group_member::Entity::delete_many()
        .filter(contact_group_member::Column::ContactId.is_in(losers.clone()))
        .exec(&txn)
        .await?;
    contact_key::Entity::delete_many().filter(contact_key::Column::ContactId.is_in(losers.clone())).exec(&txn).await?;
    card_scan::Entity::update_many()
        .col_expr(card_scan::Column::ContactId, Expr::value(Some(p.survivor)))
        .filter(card_scan::Column::ContactId.is_in(losers.clone()))
        .exec(&txn)
        .await?;
    audit_log::Entity::update_many()
        .col_expr(audit_log::Column::ContactId, Expr::value(Some(p.survivor)))
        .filter(audit_log::Column::ContactId.is_in(losers.clone()))
        .exec(&txn)
        .await?;
    duplicate_pair::Entity::update_many()
        .col_expr(duplicate_pair::Column::Status, Expr::value("merged"))
        .col_expr(duplicate_pair::Column::UpdatedAt, Expr::value(now))
        .filter(duplicate_pair::Column::AId.is_in(all.clone()))
        .filter(duplicate_pair::Column::BId.is_in(all.clone()))
        .exec(&txn)
        .await?;

    let after = contacts::load_one(&txn, p.survivor).await?;
    crate::contacts::matching::sync_keys(&txn, &after, &match_settings).await?;
    crate::contacts::matching::record_pairs(&txn, &after, &match_settings).await?;

    for (id, v) in contact::Entity::find()
        .select_only()
        .column(contact::Column::Id)
        .column(contact::Column::Version)
        .filter(contact::Column::Id.is_in(all.clone()))
        .into_tuple::<(i64, i32)>()
        .all(&txn)
        .await?
    {
        snapshot.versions_after.insert(id, v);
    }
    let snapshot_text = serde_json::to_string(&snapshot).map_err(|e| AppError::Internal(e.to_string()))?;
    let record = contact_merge::ActiveModel {
        survivor_id: Set(p.survivor),
        merged_ids: Set(serde_json::to_string(&losers).unwrap_or_else(|_| "[]".into())),
        snapshot: Set(snapshot_text),
        survivor_version: Set(after.version),
        user_id: Set(Some(actor.user_id)),
        created_at: Set(now),
        undone_at: Set(None),
        undone_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let mut changes = audit::diff(&contacts::snapshot(&before), &contacts::snapshot(&after));
    changes.push(dto::FieldChange { field: "merged".into(), from: json!([]), to: json!(losers) });
    // The survivor keeps its photo; without one it gets a copy of the first merged contact's (that
    // contact keeps its own, for an undo). Undoing the merge removes the copy.
    let mut copied = false;
    if !before.has_photo {
        let donor = losers.iter().copied().find(|id| loaded.iter().any(|c| c.id == *id && c.has_photo));
        if let Some(donor) = donor {
            if let Some(to) = crate::contacts::photos::copy_in(&txn, donor, p.survivor, record.id).await? {
                changes.push(dto::FieldChange { field: "photo".into(), from: json!(""), to: json!(to) });
                copied = true;
            }
        }
    }
    // The survivor as it is now (a copied photo touched its row).
    let after = if copied { contacts::load_one(&txn, p.survivor).await? } else { after };
    audit::record(
        &txn,
        Some(actor.user_id),
        Some(p.survivor),
        "contact",
        "merge",
        json!({"merge": record.id, "merged_ids": losers, "sources": p.sources, "changes": changes}),
    )
    .await?;
    for id in &losers {
        audit::record(
            &txn,
            Some(actor.user_id),
            Some(*id),
            "contact",
            "merged",
            json!({"merge": record.id, "merged_into": p.survivor,
                   "changes": [{"field": "merged_into", "from": null, "to": p.survivor}]}),
        )
        .await?;
    }
    txn.commit().await?;
    svc.contacts_changed();
    metrics::gauge!("contacts_total").decrement(losers.len() as f64);
    metrics::counter!("duplicate_merges_total").increment(1);
    Ok(MergeResult {
        merge_id: Some(record.id),
        dry_run: false,
        survivor: after,
        merged_ids: losers,
        sources: p.sources,
    })
}

/// Why an undo of `m` would be refused now, if it would.
async fn undo_blocked<C: ConnectionTrait>(db: &C, m: &contact_merge::Model) -> AppResult<Option<String>> {
    if let Some(at) = m.undone_at {
        return Ok(Some(format!("this merge was already undone on {}", at.format("%Y-%m-%d %H:%M UTC"))));
    }
    let snapshot: Snapshot = serde_json::from_str(&m.snapshot)
        .map_err(|e| AppError::Internal(format!("merge {} has an unreadable snapshot: {e}", m.id)))?;
    let ids: Vec<i64> = snapshot.contacts.iter().map(|c| c.id).collect();
    let rows = contact::Entity::find().filter(contact::Column::Id.is_in(ids.clone())).all(db).await?;
    for id in &ids {
        let Some(r) = rows.iter().find(|r| r.id == *id) else {
            return Ok(Some(format!("contact {id} no longer exists")));
        };
        let expected = snapshot.versions_after.get(id).copied().unwrap_or(m.survivor_version);
        if *id == m.survivor_id {
            if let Some(into) = r.merged_into_id {
                return Ok(Some(format!(
                    "contact {id} (the survivor) has since been merged into contact {into}; undo that merge first"
                )));
            }
            if r.version != expected {
                return Ok(Some(format!(
                    "contact {id} (the survivor) was edited after the merge (version {} now, {expected} right after \
                     the merge); undoing would lose those changes",
                    r.version
                )));
            }
        } else if r.merged_into_id != Some(m.survivor_id) || r.version != expected {
            return Ok(Some(format!(
                "contact {id} changed after the merge (version {} now, {expected} then)",
                r.version
            )));
        }
    }
    Ok(None)
}

/// Undoes a merge: every row it changed is written back as it was. 409 when the survivor (or a
/// merged contact) changed after the merge, or the merge was already undone.
pub async fn undo(svc: &Services, actor: &Actor, merge_id: i64) -> AppResult<ContactMerges> {
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let m = contact_merge::Entity::find_by_id(merge_id).one(&txn).await?.ok_or_else(|| AppError::not_found("merge"))?;
    if let Some(why) = undo_blocked(&txn, &m).await? {
        return Err(AppError::Conflict(format!("cannot undo merge {merge_id}: {why}")));
    }
    let snapshot: Snapshot =
        serde_json::from_str(&m.snapshot).map_err(|e| AppError::Internal(format!("unreadable snapshot: {e}")))?;
    let ids: Vec<i64> = snapshot.contacts.iter().map(|c| c.id).collect();

    snapshot::restore(&txn, &snapshot, &ids).await?;
    // A photo the merge copied to the survivor goes (while it is still that copy).
    let origin = crate::contacts::photos::Origin::Merge(merge_id);
    crate::contacts::photos::remove_in(&txn, Some(actor.user_id), m.survivor_id, Some(origin)).await?;
    let now = Utc::now();
    contact_merge::Entity::update_many()
        .col_expr(contact_merge::Column::UndoneAt, Expr::value(Some(now)))
        .col_expr(contact_merge::Column::UndoneBy, Expr::value(Some(actor.user_id)))
        .filter(contact_merge::Column::Id.eq(merge_id))
        .exec(&txn)
        .await?;
    let losers: Vec<i64> = ids.iter().copied().filter(|id| *id != m.survivor_id).collect();
    audit::record(
        &txn,
        Some(actor.user_id),
        Some(m.survivor_id),
        "contact",
        "unmerge",
        json!({"merge": merge_id, "changes": [{"field": "merged", "from": losers, "to": []}]}),
    )
    .await?;
    for id in &losers {
        audit::record(
            &txn,
            Some(actor.user_id),
            Some(*id),
            "contact",
            "unmerge",
            json!({"merge": merge_id, "changes": [{"field": "merged_into", "from": m.survivor_id, "to": null}]}),
        )
        .await?;
    }
    txn.commit().await?;
    svc.contacts_changed();
    metrics::gauge!("contacts_total").increment(losers.len() as f64);
    for_contact(svc, actor, m.survivor_id).await
}

fn summary(c: &contact::Model) -> ContactSummary {
    ContactSummary { id: c.id, full_name: c.full_name.clone(), company: c.company.clone(), phone: None, email: None }
}

/// The merges a contact took part in (newest first), and what it was merged into, if anything.
pub async fn for_contact(svc: &Services, _actor: &Actor, contact_id: i64) -> AppResult<ContactMerges> {
    let db = &svc.db;
    let c = contact::Entity::find_by_id(contact_id).one(db).await?.ok_or_else(|| AppError::not_found("contact"))?;
    let merged_into = match c.merged_into_id {
        Some(id) => contact::Entity::find_by_id(id).one(db).await?.map(|m| summary(&m)),
        None => None,
    };
    let mut survivors = vec![contact_id];
    if let Some(id) = c.merged_into_id {
        survivors.push(id);
    }
    let rows = contact_merge::Entity::find()
        .filter(contact_merge::Column::SurvivorId.is_in(survivors))
        .order_by_desc(contact_merge::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.user_id).collect();
    let names: BTreeMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut merges = Vec::new();
    for r in rows {
        let merged_ids: Vec<i64> = serde_json::from_str(&r.merged_ids).unwrap_or_default();
        if r.survivor_id != contact_id && !merged_ids.contains(&contact_id) {
            continue;
        }
        let blocked = undo_blocked(db, &r).await?;
        merges.push(MergeRecord {
            id: r.id,
            survivor_id: r.survivor_id,
            merged_ids,
            user: r.user_id.and_then(|id| names.get(&id).cloned()),
            created_at: r.created_at,
            undone_at: r.undone_at,
            can_undo: blocked.is_none(),
            undo_blocked: blocked,
        });
    }
    Ok(ContactMerges { merged_into, merges })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: i64, first: &str, company: &str, phones: &[&str], emails: &[&str]) -> Contact {
        let now = Utc::now();
        Contact {
            id,
            uid: format!("u{id}"),
            sequence_number: id,
            prefix: String::new(),
            first_name: first.into(),
            middle_name: String::new(),
            last_name: "Petrova".into(),
            full_name: format!("{first} Petrova"),
            company: company.into(),
            position: String::new(),
            department: String::new(),
            phones: phones
                .iter()
                .map(|p| dto::Phone { kind: "work".into(), number: p.to_string(), e164: Some(p.replace(' ', "")) })
                .collect(),
            emails: emails.iter().map(|e| dto::Email { kind: "work".into(), address: e.to_string() }).collect(),
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
        }
    }

    #[test]
    fn choices_per_field_and_phones_kept_from_all() {
        let a = contact(1, "Anna", "Acme", &["+7 916 1234567"], &["anna@acme.com"]);
        let b = contact(2, "Ann", "Acme Inc", &["+7916 1234567", "+1 212 5550142"], &["ANNA@acme.com"]);
        let mut input = MergeInput { ids: vec![1, 2], survivor_id: Some(1), ..Default::default() };
        input.fields.insert("company".into(), MergeFieldChoice::From(2));
        input.fields.insert("first_name".into(), MergeFieldChoice::From(1));
        let p = plan(&[a.clone(), b.clone()], &input).expect("plan");
        assert_eq!(p.survivor, 1);
        assert_eq!(p.merged, vec![2]);
        assert_eq!(p.input.company, "Acme Inc");
        assert_eq!(p.input.first_name, "Anna");
        assert_eq!(p.input.full_name, "", "derived from the chosen parts when saved");
        let phones: Vec<&str> = p.input.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(phones, vec!["+7 916 1234567", "+1 212 5550142"]);
        assert_eq!(p.input.emails.len(), 1, "the same address in another case is one e-mail");

        input.fields.insert("phones".into(), MergeFieldChoice::From(1));
        let p = plan(&[a.clone(), b.clone()], &input).expect("plan");
        assert_eq!(p.input.phones.len(), 1);
        assert_eq!(p.sources["phones"], vec![1]);
    }

    #[test]
    fn bad_choices_name_the_field() {
        let a = contact(1, "Anna", "Acme", &[], &[]);
        let b = contact(2, "Ann", "Acme", &[], &[]);
        let mut input = MergeInput { ids: vec![1, 2], ..Default::default() };
        input.fields.insert("company".into(), MergeFieldChoice::From(9));
        assert!(
            matches!(plan(&[a.clone(), b.clone()], &input), Err(AppError::Validation { field, .. }) if field == "fields.company")
        );
        let mut input = MergeInput { ids: vec![1, 2], ..Default::default() };
        input.fields.insert("shoe_size".into(), MergeFieldChoice::Value("42".into()));
        assert!(
            matches!(plan(&[a.clone(), b.clone()], &input), Err(AppError::Validation { field, .. }) if field == "fields.shoe_size")
        );
        let mut input = MergeInput { ids: vec![1, 2], ..Default::default() };
        input.fields.insert("phones".into(), MergeFieldChoice::Value("+1 555".into()));
        assert!(
            matches!(plan(&[a.clone(), b.clone()], &input), Err(AppError::Validation { field, .. }) if field == "fields.phones")
        );
        let input = MergeInput { ids: vec![1, 2], survivor_id: Some(5), ..Default::default() };
        assert!(matches!(plan(&[a, b], &input), Err(AppError::Validation { field, .. }) if field == "survivor_id"));
        assert!(check_ids(&[1]).is_err());
        assert!(check_ids(&[1, 1]).is_err());
    }
}
