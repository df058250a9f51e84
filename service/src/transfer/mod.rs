//! Between the service's contacts and the `interchange` crate's neutral [`ContactRecord`]: what an
//! imported row becomes ([`record_to_input`]) and what an exported or synced contact is written as
//! ([`contact_to_record`]). Import, export and the CardDAV server all go through these two, so a
//! round trip keeps what the service stores.

pub mod carddav;
pub mod dav_books;
pub mod export;
pub mod imports;

use crate::dto::{Contact, ContactInput, EmailInput, NameRef, PhoneInput};
use interchange::{ContactRecord, Email, Kind, Phone, Website};

/// An imported record as a contact draft (`source` = import). The service keeps one web site and
/// one address line, so the first of each is used; a name suffix ("Jr.", "PhD") is kept in the
/// full name, which has no other place for it.
pub fn record_to_input(r: &ContactRecord) -> ContactInput {
    let mut full_name = r.full_name.clone();
    if full_name.is_empty() && !r.suffix.is_empty() {
        full_name = [&r.prefix, &r.first_name, &r.middle_name, &r.last_name, &r.suffix]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
    // A card for an organisation: vCard requires an FN, and writers (cardcrm's too) put the
    // company there; without name parts it is not a person's name.
    if r.first_name.is_empty() && r.middle_name.is_empty() && r.last_name.is_empty() && full_name == r.company {
        full_name.clear();
    }
    ContactInput {
        prefix: r.prefix.clone(),
        first_name: r.first_name.clone(),
        middle_name: r.middle_name.clone(),
        last_name: r.last_name.clone(),
        full_name,
        company: r.company.clone(),
        position: r.position.clone(),
        department: r.department.clone(),
        phones: r
            .phones
            .iter()
            .map(|p| PhoneInput { kind: p.kind.as_str().into(), number: p.number.clone() })
            .collect(),
        emails: r
            .emails
            .iter()
            .map(|e| EmailInput { kind: e.kind.as_str().into(), address: e.address.clone() })
            .collect(),
        website: r.website(),
        address: r.address(),
        notes: r.notes.clone(),
        tags: r.tags.iter().map(|t| NameRef::Name(t.clone())).collect(),
        groups: r.groups.iter().map(|g| NameRef::Name(g.clone())).collect(),
        source: Some("import".into()),
        version: None,
    }
}

/// A stored contact as a record to write (vCard, CSV, XLSX, JSON lines, a CardDAV resource). `UID`
/// is the contact's uid and `REV` its last change, so a client can tell versions apart.
pub fn contact_to_record(c: &Contact) -> ContactRecord {
    let kind = |k: &str| Kind::parse(k).unwrap_or_default();
    ContactRecord {
        uid: c.uid.clone(),
        prefix: c.prefix.clone(),
        first_name: c.first_name.clone(),
        middle_name: c.middle_name.clone(),
        last_name: c.last_name.clone(),
        full_name: c.full_name.clone(),
        company: c.company.clone(),
        department: c.department.clone(),
        position: c.position.clone(),
        phones: c
            .phones
            .iter()
            .map(|p| Phone { kind: kind(&p.kind), number: p.number.clone(), ..Default::default() })
            .collect(),
        emails: c
            .emails
            .iter()
            .map(|e| Email { kind: kind(&e.kind), address: e.address.clone(), ..Default::default() })
            .collect(),
        websites: if c.website.is_empty() {
            Vec::new()
        } else {
            vec![Website { kind: Kind::Work, url: c.website.clone(), ..Default::default() }]
        },
        addresses: if c.address.is_empty() {
            Vec::new()
        } else {
            vec![interchange::Address { kind: Kind::Work, formatted: c.address.clone(), ..Default::default() }]
        },
        notes: c.notes.clone(),
        tags: c.tags.iter().map(|t| t.name.clone()).collect(),
        groups: c.groups.iter().map(|g| g.name.clone()).collect(),
        rev: c.updated_at.format("%Y%m%dT%H%M%SZ").to_string(),
        ..Default::default()
    }
}
