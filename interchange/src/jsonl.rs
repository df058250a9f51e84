//! JSON lines: the shape `cardcrm import` reads today (formerly `ImportRecord` of the old JSON-lines importer;
//! `dedup`'s `gen_contacts.py` output): one object per line, e-mails and phones as plain strings.
//! Also accepted: phones/e-mails as objects (`{"kind", "number"}` / `{"kind", "address"}`, as the
//! REST API returns them), tags/groups as strings or `{"name"}`, and the extra fields of
//! [`ContactRecord`] (`uid`, `suffix`, `rev`). Unknown fields are ignored.

use crate::record::{push_unique, Address, ContactRecord, Email, Kind, Phone, Website};
use crate::{ExportError, Limits, RowError};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::Write;

#[derive(Deserialize)]
#[serde(untagged)]
enum PhoneIn {
    Text(String),
    Obj {
        #[serde(default)]
        kind: Option<String>,
        number: String,
        #[serde(default)]
        label: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EmailIn {
    Text(String),
    Obj {
        #[serde(default)]
        kind: Option<String>,
        address: String,
        #[serde(default)]
        label: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NameIn {
    Text(String),
    Obj { name: String },
}

fn null_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonIn {
    #[serde(deserialize_with = "null_default")]
    uid: String,
    #[serde(deserialize_with = "null_default")]
    prefix: String,
    #[serde(deserialize_with = "null_default")]
    first_name: String,
    #[serde(deserialize_with = "null_default")]
    middle_name: String,
    #[serde(deserialize_with = "null_default")]
    last_name: String,
    #[serde(deserialize_with = "null_default")]
    suffix: String,
    #[serde(deserialize_with = "null_default")]
    full_name: String,
    #[serde(deserialize_with = "null_default")]
    company: String,
    #[serde(deserialize_with = "null_default")]
    department: String,
    #[serde(deserialize_with = "null_default")]
    position: String,
    #[serde(deserialize_with = "null_default")]
    phones: Vec<PhoneIn>,
    #[serde(deserialize_with = "null_default")]
    emails: Vec<EmailIn>,
    #[serde(deserialize_with = "null_default")]
    website: String,
    #[serde(deserialize_with = "null_default")]
    address: String,
    #[serde(deserialize_with = "null_default")]
    notes: String,
    #[serde(deserialize_with = "null_default")]
    tags: Vec<NameIn>,
    #[serde(deserialize_with = "null_default")]
    groups: Vec<NameIn>,
    #[serde(deserialize_with = "null_default")]
    rev: String,
}

fn kind(k: Option<String>) -> Kind {
    k.as_deref().and_then(Kind::parse).unwrap_or(Kind::Work)
}

fn to_record(j: JsonIn, line: u64, index: u64) -> ContactRecord {
    let t = |s: String| s.trim().to_string();
    let mut r = ContactRecord {
        uid: t(j.uid),
        prefix: t(j.prefix),
        first_name: t(j.first_name),
        middle_name: t(j.middle_name),
        last_name: t(j.last_name),
        suffix: t(j.suffix),
        full_name: t(j.full_name),
        company: t(j.company),
        department: t(j.department),
        position: t(j.position),
        notes: t(j.notes),
        rev: t(j.rev),
        line,
        index,
        ..Default::default()
    };
    // `cardcrm import` gives plain strings the kind "work"; keep that.
    for p in j.phones {
        let p = match p {
            PhoneIn::Text(n) => Phone { kind: Kind::Work, number: t(n), label: String::new() },
            PhoneIn::Obj { kind: k, number, label } => {
                Phone { kind: kind(k), number: t(number), label: label.unwrap_or_default() }
            }
        };
        if !p.number.is_empty() {
            r.phones.push(p);
        }
    }
    for e in j.emails {
        let e = match e {
            EmailIn::Text(a) => Email { kind: Kind::Work, address: t(a), label: String::new() },
            EmailIn::Obj { kind: k, address, label } => {
                Email { kind: kind(k), address: t(address), label: label.unwrap_or_default() }
            }
        };
        if !e.address.is_empty() {
            r.emails.push(e);
        }
    }
    if !j.website.trim().is_empty() {
        r.websites.push(Website { kind: Kind::Other, url: t(j.website), label: String::new() });
    }
    if !j.address.trim().is_empty() {
        r.addresses.push(Address { formatted: t(j.address), ..Default::default() });
    }
    for n in j.tags {
        push_unique(
            &mut r.tags,
            match &n {
                NameIn::Text(s) | NameIn::Obj { name: s } => s,
            },
        );
    }
    for n in j.groups {
        push_unique(
            &mut r.groups,
            match &n {
                NameIn::Text(s) | NameIn::Obj { name: s } => s,
            },
        );
    }
    r
}

/// Lines of a JSON-lines file.
pub(crate) struct JsonLines<'a> {
    text: Cow<'a, str>,
    pos: usize,
    line: u64,
    index: u64,
    limits: Limits,
}

impl<'a> JsonLines<'a> {
    pub fn new(text: Cow<'a, str>, limits: Limits) -> Self {
        JsonLines { text, pos: 0, line: 0, index: 0, limits }
    }
}

impl Iterator for JsonLines<'_> {
    type Item = Result<ContactRecord, RowError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pos >= self.text.len() {
                return None;
            }
            let rest = &self.text[self.pos..];
            let end = rest.find('\n').map(|i| i + 1).unwrap_or(rest.len());
            let l = rest[..end].trim();
            self.pos += end;
            self.line += 1;
            if l.is_empty() {
                continue;
            }
            let (line, index) = (self.line, self.index);
            self.index += 1;
            let err = |detail: String| Some(Err(RowError { line, index, detail }));
            if l.len() > self.limits.max_card_bytes {
                return err(format!(
                    "the line is {} bytes, longer than the {}-byte cap",
                    l.len(),
                    self.limits.max_card_bytes
                ));
            }
            let j: JsonIn = match serde_json::from_str(l) {
                Ok(j) => j,
                Err(e) => return err(format!("not a contact: {e}")),
            };
            let r = to_record(j, line, index);
            for (name, v) in [("notes", &r.notes), ("full_name", &r.full_name), ("company", &r.company)] {
                if v.len() > self.limits.max_field_bytes {
                    return err(format!(
                        "{name} is {} bytes, longer than the {}-byte cap",
                        v.len(),
                        self.limits.max_field_bytes
                    ));
                }
            }
            if r.phones.len() > self.limits.max_values_per_field || r.emails.len() > self.limits.max_values_per_field {
                return err(format!("more than {} phones or e-mails", self.limits.max_values_per_field));
            }
            if r.is_empty() {
                return err("the line has no name, company, phone, e-mail, address or notes".into());
            }
            return Some(Ok(r));
        }
    }
}

#[derive(Serialize)]
struct JsonOut<'a> {
    uid: &'a str,
    prefix: &'a str,
    first_name: &'a str,
    middle_name: &'a str,
    last_name: &'a str,
    suffix: &'a str,
    full_name: &'a str,
    company: &'a str,
    department: &'a str,
    position: &'a str,
    phones: Vec<KindNumber<'a>>,
    emails: Vec<KindAddress<'a>>,
    website: String,
    address: String,
    notes: &'a str,
    tags: &'a [String],
    groups: &'a [String],
    rev: &'a str,
}

#[derive(Serialize)]
struct KindNumber<'a> {
    kind: &'static str,
    number: &'a str,
}

#[derive(Serialize)]
struct KindAddress<'a> {
    kind: &'static str,
    address: &'a str,
}

/// Writes the JSON-lines shape `cardcrm import` reads, one line per record: phones and e-mails as
/// `{"kind", "number"}` / `{"kind", "address"}` objects so their kinds survive a round trip (the
/// reader takes plain strings too), the first web site and the flattened first address.
pub struct JsonlWriter<W: Write> {
    w: W,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(w: W) -> Self {
        JsonlWriter { w }
    }
    pub fn write(&mut self, r: &ContactRecord) -> Result<(), ExportError> {
        let o = JsonOut {
            uid: &r.uid,
            prefix: &r.prefix,
            first_name: &r.first_name,
            middle_name: &r.middle_name,
            last_name: &r.last_name,
            suffix: &r.suffix,
            full_name: &r.full_name,
            company: &r.company,
            department: &r.department,
            position: &r.position,
            phones: r.phones.iter().map(|p| KindNumber { kind: p.kind.as_str(), number: &p.number }).collect(),
            emails: r.emails.iter().map(|e| KindAddress { kind: e.kind.as_str(), address: &e.address }).collect(),
            website: r.website(),
            address: r.address(),
            notes: &r.notes,
            tags: &r.tags,
            groups: &r.groups,
            rev: &r.rev,
        };
        serde_json::to_writer(&mut self.w, &o).map_err(|e| ExportError::Io(e.into()))?;
        self.w.write_all(b"\n")?;
        Ok(())
    }
    pub fn finish(mut self) -> Result<W, ExportError> {
        self.w.flush()?;
        Ok(self.w)
    }
}
