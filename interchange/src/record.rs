//! The neutral contact record every reader yields and every writer takes.

use serde::{Deserialize, Serialize};

/// The kind of a phone, e-mail, web site or address: the service's `CONTACT_KINDS`
/// (`mobile`, `work`, `fax`, `home`, `other`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Mobile,
    Work,
    Fax,
    Home,
    #[default]
    Other,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Mobile, Kind::Work, Kind::Fax, Kind::Home, Kind::Other];

    /// The service's spelling (`dto::CONTACT_KINDS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mobile => "mobile",
            Kind::Work => "work",
            Kind::Fax => "fax",
            Kind::Home => "home",
            Kind::Other => "other",
        }
    }

    /// Parses the service's spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The kind a free-text type label means (Google's `Phone 1 - Type`, Apple's `X-ABLabel`, a vCard
    /// `TYPE` value), in English, Russian or German; `None` for a label that names no kind
    /// ("Assistant", "Main").
    pub fn from_label(label: &str) -> Option<Kind> {
        let l = label.trim().trim_start_matches('*').trim().to_lowercase();
        let l = l.trim_start_matches("_$!<").trim_end_matches(">!$_");
        let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
        if has(&["fax", "факс"]) {
            Some(Kind::Fax)
        } else if has(&["mobile", "cell", "iphone", "handy", "моб", "сот"]) {
            Some(Kind::Mobile)
        } else if has(&["work", "business", "office", "company", "arbeit", "geschäft", "dienst", "раб"]) {
            Some(Kind::Work)
        } else if has(&["home", "private", "privat", "дом", "личн"]) {
            Some(Kind::Home)
        } else if has(&["other", "другой", "andere", "sonstig"]) {
            Some(Kind::Other)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    pub kind: Kind,
    pub number: String,
    /// A free-text label the source gave beyond the kind (Apple's `X-ABLabel`, a custom Google type).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub kind: Kind,
    pub address: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Website {
    pub kind: Kind,
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// A postal address: the vCard `ADR` components plus the formatted text a source gave
/// (Google's `Address 1 - Formatted`, the vCard 4.0 `LABEL` parameter).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    pub kind: Kind,
    pub label: String,
    pub po_box: String,
    pub extended: String,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub formatted: String,
}

impl Address {
    /// True when no part has text.
    pub fn is_empty(&self) -> bool {
        self.parts().iter().all(|p| p.is_empty()) && self.formatted.is_empty()
    }

    fn parts(&self) -> [&str; 7] {
        [&self.po_box, &self.extended, &self.street, &self.city, &self.region, &self.postal_code, &self.country]
    }

    /// The one-line text the service stores in `contacts.address`: the formatted text when the source
    /// gave one (newlines become ", "), else the non-empty parts joined by ", " in postal order
    /// (street, extended, PO box, city, region, postal code, country).
    pub fn flatten(&self) -> String {
        if !self.formatted.trim().is_empty() {
            return self.formatted.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", ");
        }
        [&self.street, &self.extended, &self.po_box, &self.city, &self.region, &self.postal_code, &self.country]
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A picture kept with the contact (vCard `PHOTO`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// `image/jpeg`, `image/png`, `image/gif`, … (from the source, else sniffed from the bytes).
    pub mime: String,
    #[serde(with = "b64")]
    pub bytes: Vec<u8>,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// One contact as read from or written to a file. Every text is trimmed; empty means absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactRecord {
    /// vCard `UID` (or the `UID` column of cardcrm's own CSV/XLSX); empty when the source had none.
    pub uid: String,
    pub prefix: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub suffix: String,
    pub full_name: String,
    pub company: String,
    pub department: String,
    pub position: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub websites: Vec<Website>,
    pub addresses: Vec<Address>,
    pub notes: String,
    /// vCard `CATEGORIES`, Google `Labels` (without `* myContacts`), Outlook `Categories`.
    pub tags: Vec<String>,
    /// cardcrm groups (`X-CARDCRM-GROUPS` in vCard, the `Groups` column in CSV/XLSX).
    pub groups: Vec<String>,
    pub photo: Option<Photo>,
    /// vCard `REV` as written in the source (e.g. `20261206T101500Z`).
    pub rev: String,
    /// 1-based line in the (decoded) file where this record starts; for XLSX the sheet row.
    pub line: u64,
    /// 0-based position among the records of the file (rows with errors count too).
    pub index: u64,
    /// Things dropped or guessed while reading this record (a photo over the cap, an unknown charset).
    pub warnings: Vec<String>,
}

impl ContactRecord {
    /// The first web site, which the service stores in `contacts.website`.
    pub fn website(&self) -> String {
        self.websites.first().map(|w| w.url.clone()).unwrap_or_default()
    }

    /// The first address flattened to one line, which the service stores in `contacts.address`.
    pub fn address(&self) -> String {
        self.addresses.iter().map(Address::flatten).find(|a| !a.is_empty()).unwrap_or_default()
    }

    /// The full name if given, else the name parts, else the company, else the first e-mail.
    pub fn display_name(&self) -> String {
        if !self.full_name.is_empty() {
            return self.full_name.clone();
        }
        let n = self.name_from_parts();
        if !n.is_empty() {
            return n;
        }
        if !self.company.is_empty() {
            return self.company.clone();
        }
        self.emails.first().map(|e| e.address.clone()).unwrap_or_default()
    }

    /// `prefix first middle last suffix` without empty parts (how the service derives `full_name`,
    /// plus the suffix).
    pub fn name_from_parts(&self) -> String {
        [&self.prefix, &self.first_name, &self.middle_name, &self.last_name, &self.suffix]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// True when the record carries nothing a contact could be made of (no name, company, phone,
    /// e-mail, web site, address or notes).
    pub fn is_empty(&self) -> bool {
        self.full_name.is_empty()
            && self.name_from_parts().is_empty()
            && self.company.is_empty()
            && self.position.is_empty()
            && self.phones.is_empty()
            && self.emails.is_empty()
            && self.websites.is_empty()
            && self.addresses.iter().all(Address::is_empty)
            && self.notes.is_empty()
    }

    /// The record without its position in the source and its warnings: what a round trip keeps.
    pub fn content(&self) -> ContactRecord {
        ContactRecord { line: 0, index: 0, warnings: Vec::new(), ..self.clone() }
    }
}

/// Adds `v` unless already present (exact match) or empty.
pub(crate) fn push_unique(list: &mut Vec<String>, v: &str) {
    let v = v.trim();
    if !v.is_empty() && !list.iter().any(|x| x == v) {
        list.push(v.to_string());
    }
}
