//! One row's cells read into a record through a mapping (multi-value cells, tags, type labels).

use super::{AddressPart, ColumnMapping, Field};
use crate::record::{push_unique, Address, ContactRecord, Email, Kind, Phone, Website};
use crate::{Limits, RowError};

/// Google's multi-value separator inside one cell.
pub const MULTI_SEPARATOR: &str = " ::: ";

fn split_multi(v: &str) -> impl Iterator<Item = &str> {
    v.split(MULTI_SEPARATOR).flat_map(|p| p.split('\n')).map(str::trim).filter(|s| !s.is_empty())
}

fn split_tags(v: &str) -> Vec<&str> {
    let v = v.trim();
    if v.contains(MULTI_SEPARATOR.trim()) || v.contains('\n') {
        v.split(MULTI_SEPARATOR.trim()).flat_map(|p| p.split('\n')).map(str::trim).filter(|s| !s.is_empty()).collect()
    } else {
        v.split(';').map(str::trim).filter(|s| !s.is_empty()).collect()
    }
}

/// A Google label that is a system group, not a tag.
fn system_label(t: &str) -> bool {
    matches!(t.to_lowercase().as_str(), "* mycontacts" | "* starred" | "mycontacts" | "* other contacts")
}

/// Builds a record from one row's cells. `line` is the row's first line in the file.
pub(crate) fn record_from_row<S: AsRef<str>>(
    cells: &[S],
    mapping: &ColumnMapping,
    limits: &Limits,
    line: u64,
    index: u64,
) -> Result<ContactRecord, RowError> {
    let err = |detail: String| RowError { line, index, detail };
    let mut r = ContactRecord { line, index, ..Default::default() };
    // Type columns first, so value columns find them wherever they stand.
    let mut types: Vec<(Field, &str)> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let v = c.as_ref().trim();
        if v.len() > limits.max_field_bytes {
            return Err(err(format!(
                "column {} is {} bytes, longer than the {}-byte cap",
                i + 1,
                v.len(),
                limits.max_field_bytes
            )));
        }
        if let f @ (Field::PhoneType { .. }
        | Field::EmailType { .. }
        | Field::WebsiteType { .. }
        | Field::AddressType { .. }) = mapping.field(i)
        {
            if !v.is_empty() {
                types.push((f, v));
            }
        }
    }
    let type_of = |f: Field| types.iter().find(|(t, _)| *t == f).map(|(_, v)| *v);
    // (kind, label) from a fixed kind or the slot's type text.
    let kind_label = |fixed: Option<Kind>, type_field: Field| -> (Kind, String) {
        if let Some(k) = fixed {
            return (k, String::new());
        }
        match type_of(type_field) {
            Some(t) => {
                let t = t.trim_start_matches('*').trim();
                match Kind::from_label(t) {
                    Some(k) if is_plain_kind_label(t) => (k, String::new()),
                    Some(k) => (k, t.to_string()),
                    None => (Kind::Other, t.to_string()),
                }
            }
            None => (Kind::Other, String::new()),
        }
    };
    let mut addresses: Vec<((u8, Option<Kind>), Address)> = Vec::new();
    let mut extra = 0usize;
    for (i, c) in cells.iter().enumerate() {
        let v = c.as_ref().trim();
        if v.is_empty() {
            continue;
        }
        let set = |slot: &mut String| {
            if slot.is_empty() {
                *slot = v.to_string();
            }
        };
        match mapping.field(i) {
            Field::Ignore => {
                if i >= mapping.columns.len() {
                    extra += 1;
                }
            }
            Field::Uid => set(&mut r.uid),
            Field::Prefix => set(&mut r.prefix),
            Field::FirstName => set(&mut r.first_name),
            Field::MiddleName => set(&mut r.middle_name),
            Field::LastName => set(&mut r.last_name),
            Field::Suffix => set(&mut r.suffix),
            Field::FullName => set(&mut r.full_name),
            Field::Company => set(&mut r.company),
            Field::Department => set(&mut r.department),
            Field::Position => set(&mut r.position),
            Field::Rev => set(&mut r.rev),
            Field::Notes => {
                if !r.notes.is_empty() {
                    r.notes.push('\n');
                }
                r.notes.push_str(&v.replace("\r\n", "\n"));
            }
            Field::Tags => {
                for t in split_tags(v) {
                    if !system_label(t) {
                        push_unique(&mut r.tags, t.trim_start_matches("* "));
                    }
                }
            }
            Field::Groups => {
                for t in split_tags(v) {
                    push_unique(&mut r.groups, t);
                }
            }
            Field::Phone { slot, kind } => {
                let (kind, label) = kind_label(kind, Field::PhoneType { slot });
                for n in split_multi(v) {
                    r.phones.push(Phone { kind, number: n.to_string(), label: label.clone() });
                }
            }
            Field::Email { slot, kind } => {
                let (kind, label) = kind_label(kind, Field::EmailType { slot });
                for a in split_multi(v) {
                    r.emails.push(Email { kind, address: a.to_string(), label: label.clone() });
                }
            }
            Field::Website { slot, kind } => {
                let (kind, label) = kind_label(kind, Field::WebsiteType { slot });
                for u in split_multi(v) {
                    r.websites.push(Website { kind, url: u.to_string(), label: label.clone() });
                }
            }
            Field::Address { slot, kind, part } => {
                let key = (slot, kind);
                let pos = match addresses.iter().position(|(k, _)| *k == key) {
                    Some(p) => p,
                    None => {
                        let (k, label) = kind_label(kind, Field::AddressType { slot });
                        addresses.push((key, Address { kind: k, label, ..Default::default() }));
                        addresses.len() - 1
                    }
                };
                let a = &mut addresses[pos].1;
                let target = match part {
                    AddressPart::Formatted => &mut a.formatted,
                    AddressPart::Street => &mut a.street,
                    AddressPart::PoBox => &mut a.po_box,
                    AddressPart::Extended => &mut a.extended,
                    AddressPart::City => &mut a.city,
                    AddressPart::Region => &mut a.region,
                    AddressPart::PostalCode => &mut a.postal_code,
                    AddressPart::Country => &mut a.country,
                };
                if !target.is_empty() {
                    target.push_str(if part == AddressPart::Formatted { "\n" } else { ", " });
                }
                target.push_str(&v.replace("\r\n", "\n"));
            }
            Field::PhoneType { .. }
            | Field::EmailType { .. }
            | Field::WebsiteType { .. }
            | Field::AddressType { .. } => {}
        }
    }
    r.addresses = addresses.into_iter().map(|(_, a)| a).filter(|a| !a.is_empty()).collect();
    if r.is_empty() {
        return Err(err(if extra > 0 {
            format!("the row has {} more non-empty cells than the header has columns and nothing mapped", extra)
        } else {
            "the row has no name, company, phone, e-mail, address or notes in the mapped columns".into()
        }));
    }
    if r.phones.len() > limits.max_values_per_field || r.emails.len() > limits.max_values_per_field {
        return Err(err(format!("more than {} phones or e-mails in one row", limits.max_values_per_field)));
    }
    Ok(r)
}

/// A type label that is just the kind's name (so it adds nothing as a label).
pub(crate) fn is_plain_kind_label(t: &str) -> bool {
    matches!(
        t.to_lowercase().trim_start_matches("_$!<").trim_end_matches(">!$_"),
        "mobile"
            | "cell"
            | "work"
            | "home"
            | "fax"
            | "work fax"
            | "home fax"
            | "workfax"
            | "homefax"
            | "other"
            | "business"
            | "private"
    )
}
