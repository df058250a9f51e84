//! The before-snapshot of a merge: every row the merge changes, as it was (stored as JSON in
//! `contact_merges.snapshot`), and writing it back exactly on undo.

use crate::AppResult;
use chrono::{DateTime, Utc};
use entity::{
    audit_log, card_scan, contact, contact_email, contact_group, contact_group_member, contact_key, contact_phone,
    contact_tag, duplicate_pair, tag,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A contact row as it was, every column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ContactRow {
    pub(super) id: i64,
    pub(super) uid: String,
    pub(super) sequence_number: i64,
    pub(super) prefix: String,
    pub(super) first_name: String,
    pub(super) middle_name: String,
    pub(super) last_name: String,
    pub(super) full_name: String,
    pub(super) company: String,
    pub(super) position: String,
    pub(super) department: String,
    pub(super) website: String,
    pub(super) address: String,
    pub(super) notes: String,
    pub(super) source: String,
    pub(super) search_text: String,
    pub(super) version: i32,
    pub(super) owner_id: Option<i64>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) deleted_at: Option<DateTime<Utc>>,
    pub(super) merged_into_id: Option<i64>,
}

impl From<contact::Model> for ContactRow {
    fn from(m: contact::Model) -> Self {
        ContactRow {
            id: m.id,
            uid: m.uid,
            sequence_number: m.sequence_number,
            prefix: m.prefix,
            first_name: m.first_name,
            middle_name: m.middle_name,
            last_name: m.last_name,
            full_name: m.full_name,
            company: m.company,
            position: m.position,
            department: m.department,
            website: m.website,
            address: m.address,
            notes: m.notes,
            source: m.source,
            search_text: m.search_text,
            version: m.version,
            owner_id: m.owner_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            deleted_at: m.deleted_at,
            merged_into_id: m.merged_into_id,
        }
    }
}

impl ContactRow {
    fn active(&self) -> contact::ActiveModel {
        contact::ActiveModel {
            id: Set(self.id),
            uid: Set(self.uid.clone()),
            sequence_number: Set(self.sequence_number),
            prefix: Set(self.prefix.clone()),
            first_name: Set(self.first_name.clone()),
            middle_name: Set(self.middle_name.clone()),
            last_name: Set(self.last_name.clone()),
            full_name: Set(self.full_name.clone()),
            company: Set(self.company.clone()),
            position: Set(self.position.clone()),
            department: Set(self.department.clone()),
            website: Set(self.website.clone()),
            address: Set(self.address.clone()),
            notes: Set(self.notes.clone()),
            source: Set(self.source.clone()),
            search_text: Set(self.search_text.clone()),
            version: Set(self.version),
            owner_id: Set(self.owner_id),
            created_at: Set(self.created_at),
            updated_at: Set(self.updated_at),
            deleted_at: Set(self.deleted_at),
            merged_into_id: Set(self.merged_into_id),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PhoneRow {
    id: i64,
    contact_id: i64,
    kind: String,
    number: String,
    e164: Option<String>,
    position: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct EmailRow {
    id: i64,
    contact_id: i64,
    kind: String,
    address: String,
    normalized: String,
    position: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PairRow {
    id: i64,
    a_id: i64,
    b_id: i64,
    score: f32,
    match_fields: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Everything a merge changes, as it was before: undo writes it back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Snapshot {
    pub(super) contacts: Vec<ContactRow>,
    pub(super) phones: Vec<PhoneRow>,
    pub(super) emails: Vec<EmailRow>,
    /// (contact_id, tag_id)
    pub(super) tags: Vec<(i64, i64)>,
    /// (contact_id, group_id)
    pub(super) groups: Vec<(i64, i64)>,
    /// (contact_id, key)
    pub(super) keys: Vec<(i64, String)>,
    /// (card_scan id, contact_id)
    pub(super) scans: Vec<(i64, i64)>,
    /// Every pair with one of the contacts on either side.
    pub(super) pairs: Vec<PairRow>,
    /// (audit_log id, contact_id) of the merged contacts' history, which moves to the survivor.
    pub(super) history: Vec<(i64, i64)>,
    /// Each contact's version right after the merge: undo is refused once one has moved on.
    pub(super) versions_after: BTreeMap<i64, i32>,
}

pub(super) async fn take_snapshot<C: ConnectionTrait>(db: &C, ids: &[i64], losers: &[i64]) -> AppResult<Snapshot> {
    let ids_v = ids.to_vec();
    let mut s = Snapshot::default();
    s.contacts = contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids_v.clone()))
        .order_by_asc(contact::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(ContactRow::from)
        .collect();
    s.phones = contact_phone::Entity::find()
        .filter(contact_phone::Column::ContactId.is_in(ids_v.clone()))
        .order_by_asc(contact_phone::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| PhoneRow {
            id: p.id,
            contact_id: p.contact_id,
            kind: p.kind,
            number: p.number,
            e164: p.e164,
            position: p.position,
        })
        .collect();
    s.emails = contact_email::Entity::find()
        .filter(contact_email::Column::ContactId.is_in(ids_v.clone()))
        .order_by_asc(contact_email::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EmailRow {
            id: e.id,
            contact_id: e.contact_id,
            kind: e.kind,
            address: e.address,
            normalized: e.normalized,
            position: e.position,
        })
        .collect();
    s.tags = contact_tag::Entity::find()
        .filter(contact_tag::Column::ContactId.is_in(ids_v.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.contact_id, t.tag_id))
        .collect();
    s.groups = contact_group_member::Entity::find()
        .filter(contact_group_member::Column::ContactId.is_in(ids_v.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.contact_id, g.group_id))
        .collect();
    s.keys = contact_key::Entity::find()
        .filter(contact_key::Column::ContactId.is_in(ids_v.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.contact_id, k.key))
        .collect();
    s.scans = card_scan::Entity::find()
        .select_only()
        .column(card_scan::Column::Id)
        .column(card_scan::Column::ContactId)
        .filter(card_scan::Column::ContactId.is_in(ids_v.clone()))
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?;
    s.pairs = duplicate_pair::Entity::find()
        .filter(
            Condition::any()
                .add(duplicate_pair::Column::AId.is_in(ids_v.clone()))
                .add(duplicate_pair::Column::BId.is_in(ids_v.clone())),
        )
        .order_by_asc(duplicate_pair::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| PairRow {
            id: p.id,
            a_id: p.a_id,
            b_id: p.b_id,
            score: p.score,
            match_fields: p.match_fields,
            status: p.status,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
        .collect();
    s.history = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .column(audit_log::Column::ContactId)
        .filter(audit_log::Column::ContactId.is_in(losers.to_vec()))
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?;
    Ok(s)
}

/// Writes every row of `snapshot` back as it was (contacts `ids` and everything linked to them).
pub(super) async fn restore<C: ConnectionTrait>(txn: &C, snapshot: &Snapshot, ids: &[i64]) -> AppResult<()> {
    let ids = ids.to_vec();
    for row in &snapshot.contacts {
        row.active().update(txn).await?;
    }
    contact_phone::Entity::delete_many().filter(contact_phone::Column::ContactId.is_in(ids.clone())).exec(txn).await?;
    if !snapshot.phones.is_empty() {
        contact_phone::Entity::insert_many(snapshot.phones.iter().map(|p| contact_phone::ActiveModel {
            id: Set(p.id),
            contact_id: Set(p.contact_id),
            kind: Set(p.kind.clone()),
            number: Set(p.number.clone()),
            e164: Set(p.e164.clone()),
            position: Set(p.position),
        }))
        .exec(txn)
        .await?;
    }
    contact_email::Entity::delete_many().filter(contact_email::Column::ContactId.is_in(ids.clone())).exec(txn).await?;
    if !snapshot.emails.is_empty() {
        contact_email::Entity::insert_many(snapshot.emails.iter().map(|e| contact_email::ActiveModel {
            id: Set(e.id),
            contact_id: Set(e.contact_id),
            kind: Set(e.kind.clone()),
            address: Set(e.address.clone()),
            normalized: Set(e.normalized.clone()),
            position: Set(e.position),
        }))
        .exec(txn)
        .await?;
    }
    // Tags and groups deleted since the merge cannot be linked again.
    contact_tag::Entity::delete_many().filter(contact_tag::Column::ContactId.is_in(ids.clone())).exec(txn).await?;
    let tag_ids: Vec<i64> = snapshot.tags.iter().map(|t| t.1).collect();
    let live_tags: HashSet<i64> = tag::Entity::find()
        .select_only()
        .column(tag::Column::Id)
        .filter(tag::Column::Id.is_in(tag_ids))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let tags: Vec<_> = snapshot.tags.iter().filter(|t| live_tags.contains(&t.1)).collect();
    if !tags.is_empty() {
        contact_tag::Entity::insert_many(
            tags.iter().map(|(c, t)| contact_tag::ActiveModel { contact_id: Set(*c), tag_id: Set(*t) }),
        )
        .exec(txn)
        .await?;
    }
    contact_group_member::Entity::delete_many()
        .filter(contact_group_member::Column::ContactId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    let group_ids: Vec<i64> = snapshot.groups.iter().map(|g| g.1).collect();
    let live_groups: HashSet<i64> = contact_group::Entity::find()
        .select_only()
        .column(contact_group::Column::Id)
        .filter(contact_group::Column::Id.is_in(group_ids))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let groups: Vec<_> = snapshot.groups.iter().filter(|g| live_groups.contains(&g.1)).collect();
    if !groups.is_empty() {
        contact_group_member::Entity::insert_many(
            groups.iter().map(|(c, g)| contact_group_member::ActiveModel { contact_id: Set(*c), group_id: Set(*g) }),
        )
        .exec(txn)
        .await?;
    }
    contact_key::Entity::delete_many().filter(contact_key::Column::ContactId.is_in(ids.clone())).exec(txn).await?;
    if !snapshot.keys.is_empty() {
        contact_key::Entity::insert_many(
            snapshot.keys.iter().map(|(c, k)| contact_key::ActiveModel { contact_id: Set(*c), key: Set(k.clone()) }),
        )
        .exec(txn)
        .await?;
    }
    for (scan, owner) in &snapshot.scans {
        card_scan::Entity::update_many()
            .col_expr(card_scan::Column::ContactId, Expr::value(Some(*owner)))
            .filter(card_scan::Column::Id.eq(*scan))
            .exec(txn)
            .await?;
    }
    let mut by_contact: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (entry, owner) in &snapshot.history {
        by_contact.entry(*owner).or_default().push(*entry);
    }
    for (owner, entries) in by_contact {
        for chunk in entries.chunks(500) {
            audit_log::Entity::update_many()
                .col_expr(audit_log::Column::ContactId, Expr::value(Some(owner)))
                .filter(audit_log::Column::Id.is_in(chunk.to_vec()))
                .exec(txn)
                .await?;
        }
    }
    duplicate_pair::Entity::delete_many()
        .filter(
            Condition::any()
                .add(duplicate_pair::Column::AId.is_in(ids.clone()))
                .add(duplicate_pair::Column::BId.is_in(ids.clone())),
        )
        .exec(txn)
        .await?;
    if !snapshot.pairs.is_empty() {
        duplicate_pair::Entity::insert_many(snapshot.pairs.iter().map(|p| duplicate_pair::ActiveModel {
            id: Set(p.id),
            a_id: Set(p.a_id),
            b_id: Set(p.b_id),
            score: Set(p.score),
            match_fields: Set(p.match_fields.clone()),
            status: Set(p.status.clone()),
            created_at: Set(p.created_at),
            updated_at: Set(p.updated_at),
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}
