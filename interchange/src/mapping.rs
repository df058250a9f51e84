//! Column mappings for tabular files (CSV, XLSX): which column fills which field of a
//! [`ContactRecord`], proposed from the header names and rememberable per header set.

use crate::record::{push_unique, Address, ContactRecord, Email, Kind, Phone, Website};
use crate::{Limits, RowError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A part of a postal address a column can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressPart {
    Formatted,
    Street,
    PoBox,
    Extended,
    City,
    Region,
    PostalCode,
    Country,
}

impl AddressPart {
    pub const ALL: [AddressPart; 8] = [
        AddressPart::Formatted,
        AddressPart::Street,
        AddressPart::PoBox,
        AddressPart::Extended,
        AddressPart::City,
        AddressPart::Region,
        AddressPart::PostalCode,
        AddressPart::Country,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPart::Formatted => "formatted",
            AddressPart::Street => "street",
            AddressPart::PoBox => "po_box",
            AddressPart::Extended => "extended",
            AddressPart::City => "city",
            AddressPart::Region => "region",
            AddressPart::PostalCode => "postal_code",
            AddressPart::Country => "country",
        }
    }
}

/// What one column holds. Columns of a numbered group (Google's `Phone 1 - Type` and
/// `Phone 1 - Value`) share a `slot`; a value column takes its kind from `kind` when given, else
/// from its slot's type column, else `other`.
///
/// Serialised as a short string (what the UI stores per header set and offers in a drop-down):
/// `ignore`, `uid`, `prefix`, `first_name`, `middle_name`, `last_name`, `suffix`, `full_name`,
/// `company`, `department`, `position`, `notes`, `tags`, `groups`, `rev`,
/// `phone[:kind][#slot]`, `phone_type#slot`, `email[:kind][#slot]`, `email_type#slot`,
/// `website[:kind][#slot]`, `website_type#slot`, `address.<part>[:kind][#slot]`, `address_type#slot`
/// (kinds: mobile, work, fax, home, other; parts: formatted, street, po_box, extended, city,
/// region, postal_code, country). Examples: `phone:mobile`, `phone#1`, `address.city:work`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Field {
    #[default]
    Ignore,
    Uid,
    Prefix,
    FirstName,
    MiddleName,
    LastName,
    Suffix,
    FullName,
    Company,
    Department,
    Position,
    Notes,
    Tags,
    Groups,
    Rev,
    Phone {
        slot: u8,
        kind: Option<Kind>,
    },
    PhoneType {
        slot: u8,
    },
    Email {
        slot: u8,
        kind: Option<Kind>,
    },
    EmailType {
        slot: u8,
    },
    Website {
        slot: u8,
        kind: Option<Kind>,
    },
    WebsiteType {
        slot: u8,
    },
    Address {
        slot: u8,
        kind: Option<Kind>,
        part: AddressPart,
    },
    AddressType {
        slot: u8,
    },
}

const SIMPLE: [(Field, &str); 15] = [
    (Field::Ignore, "ignore"),
    (Field::Uid, "uid"),
    (Field::Prefix, "prefix"),
    (Field::FirstName, "first_name"),
    (Field::MiddleName, "middle_name"),
    (Field::LastName, "last_name"),
    (Field::Suffix, "suffix"),
    (Field::FullName, "full_name"),
    (Field::Company, "company"),
    (Field::Department, "department"),
    (Field::Position, "position"),
    (Field::Notes, "notes"),
    (Field::Tags, "tags"),
    (Field::Groups, "groups"),
    (Field::Rev, "rev"),
];

impl Field {
    /// The fields a person picks from in a mapping drop-down (one per kind, slot 0), as
    /// `(id, English label)`.
    pub fn choices() -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = vec![
            ("ignore".into(), "(ignore)"),
            ("full_name".into(), "Full name"),
            ("prefix".into(), "Prefix"),
            ("first_name".into(), "First name"),
            ("middle_name".into(), "Middle name"),
            ("last_name".into(), "Last name"),
            ("suffix".into(), "Suffix"),
            ("company".into(), "Company"),
            ("department".into(), "Department"),
            ("position".into(), "Position"),
        ];
        for (k, l) in [
            (Kind::Mobile, "Phone (mobile)"),
            (Kind::Work, "Phone (work)"),
            (Kind::Home, "Phone (home)"),
            (Kind::Fax, "Fax"),
            (Kind::Other, "Phone (other)"),
        ] {
            out.push((Field::Phone { slot: 0, kind: Some(k) }.to_string(), l));
        }
        for (k, l) in [(Kind::Work, "E-mail (work)"), (Kind::Home, "E-mail (home)"), (Kind::Other, "E-mail (other)")] {
            out.push((Field::Email { slot: 0, kind: Some(k) }.to_string(), l));
        }
        out.push(("website".into(), "Web site"));
        for (p, l) in [
            (AddressPart::Formatted, "Address"),
            (AddressPart::Street, "Street"),
            (AddressPart::City, "City"),
            (AddressPart::Region, "Region"),
            (AddressPart::PostalCode, "Postal code"),
            (AddressPart::Country, "Country"),
        ] {
            out.push((Field::Address { slot: 0, kind: None, part: p }.to_string(), l));
        }
        out.extend([
            ("notes".into(), "Notes"),
            ("tags".into(), "Tags"),
            ("groups".into(), "Groups"),
            ("uid".into(), "UID"),
        ]);
        out
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((_, s)) = SIMPLE.iter().find(|(x, _)| x == self) {
            return f.write_str(s);
        }
        let (base, slot, kind) = match *self {
            Field::Phone { slot, kind } => ("phone".to_string(), slot, kind),
            Field::Email { slot, kind } => ("email".to_string(), slot, kind),
            Field::Website { slot, kind } => ("website".to_string(), slot, kind),
            Field::Address { slot, kind, part } => (format!("address.{}", part.as_str()), slot, kind),
            Field::PhoneType { slot } => ("phone_type".to_string(), slot, None),
            Field::EmailType { slot } => ("email_type".to_string(), slot, None),
            Field::WebsiteType { slot } => ("website_type".to_string(), slot, None),
            Field::AddressType { slot } => ("address_type".to_string(), slot, None),
            _ => unreachable!("simple fields are handled above"),
        };
        f.write_str(&base)?;
        if let Some(k) = kind {
            write!(f, ":{}", k.as_str())?;
        }
        if slot != 0 {
            write!(f, "#{slot}")?;
        }
        Ok(())
    }
}

impl FromStr for Field {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some((f, _)) = SIMPLE.iter().find(|(_, n)| *n == s) {
            return Ok(*f);
        }
        let bad = || format!("unknown field `{s}`");
        let (rest, slot) = match s.split_once('#') {
            Some((r, n)) => (r, n.parse::<u8>().map_err(|_| bad())?),
            None => (s, 0),
        };
        let (base, kind) = match rest.split_once(':') {
            Some((b, k)) => (b, Some(Kind::parse(k).ok_or_else(bad)?)),
            None => (rest, None),
        };
        let typed = |f: Field| if kind.is_some() { Err(bad()) } else { Ok(f) };
        match base {
            "phone" => Ok(Field::Phone { slot, kind }),
            "email" => Ok(Field::Email { slot, kind }),
            "website" => Ok(Field::Website { slot, kind }),
            "phone_type" => typed(Field::PhoneType { slot }),
            "email_type" => typed(Field::EmailType { slot }),
            "website_type" => typed(Field::WebsiteType { slot }),
            "address_type" => typed(Field::AddressType { slot }),
            _ => {
                let part = base.strip_prefix("address.").ok_or_else(bad)?;
                let part = AddressPart::ALL.into_iter().find(|p| p.as_str() == part).ok_or_else(bad)?;
                Ok(Field::Address { slot, kind, part })
            }
        }
    }
}

impl From<Field> for String {
    fn from(f: Field) -> String {
        f.to_string()
    }
}

impl TryFrom<String> for Field {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Which known exporter wrote a header row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvProfile {
    /// Google Contacts today (`First Name`, `Organization Name`, `Labels`, `E-mail 1 - Label`).
    Google,
    /// Google Contacts before 2023 (`Given Name`, `Family Name`, `Group Membership`, `E-mail 1 - Type`).
    GoogleLegacy,
    /// Outlook (`E-mail Address`, `Business Phone`, `Job Title`, `Categories`).
    Outlook,
    /// cardcrm's own CSV ([`crate::CsvWriter`]) or XLSX ([`crate::XlsxWriter`]) export.
    Cardcrm,
    /// Anything else: the proposed mapping is a guess the person should review.
    Custom,
}

/// Column `i` of the file fills `columns[i]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub columns: Vec<Field>,
}

impl ColumnMapping {
    /// Proposes a mapping from the header names (see [`propose_mapping`]).
    pub fn propose<S: AsRef<str>>(headers: &[S]) -> ColumnMapping {
        propose_mapping(headers)
    }

    /// The field of column `i` (`Ignore` past the end).
    pub fn field(&self, i: usize) -> Field {
        self.columns.get(i).copied().unwrap_or(Field::Ignore)
    }

    /// True when at least one column fills something.
    pub fn maps_anything(&self) -> bool {
        self.columns.iter().any(|f| *f != Field::Ignore)
    }
}

/// A header name compared without case, surrounding quotes/space, BOM or repeated spaces.
pub fn normalize_header(h: &str) -> String {
    let h = h.trim_start_matches('\u{feff}').trim().trim_matches('"').trim();
    let mut out = String::with_capacity(h.len());
    for w in h.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w.to_lowercase());
    }
    out
}

/// A stable key for a header set (the normalised names in order, FNV-1a 64 in hex, prefixed
/// `h1-`): the same columns give the same key on every run and version, so the UI can remember a
/// person's mapping per header set.
pub fn header_key<S: AsRef<str>>(headers: &[S]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, name) in headers.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        for b in normalize_header(name.as_ref()).bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    format!("h1-{h:016x}")
}

/// Recognises the exporter from the header names.
pub fn detect_profile<S: AsRef<str>>(headers: &[S]) -> CsvProfile {
    let set: Vec<String> = headers.iter().map(|h| normalize_header(h.as_ref())).collect();
    let has = |n: &str| set.iter().any(|h| h == n);
    if has("uid") && has("groups") && (has("labels") || has("tags")) {
        CsvProfile::Cardcrm
    } else if has("labels") || has("organization name") || has("e-mail 1 - label") || has("phone 1 - label") {
        CsvProfile::Google
    } else if has("given name") || has("group membership") || has("e-mail 1 - type") || has("organization 1 - name") {
        CsvProfile::GoogleLegacy
    } else if has("e-mail address") || has("business phone") || has("job title") || has("mobile phone") {
        CsvProfile::Outlook
    } else {
        CsvProfile::Custom
    }
}

/// Proposes a field for every column: exact names of Google (both header sets), Outlook and
/// cardcrm exports, common Russian and German names, then word matches ("… phone", "Телефон …");
/// columns that match nothing are `Ignore`. A name mapped twice to the same single field keeps
/// the first column (the rest are `Ignore`, except phones, e-mails, web sites, notes and tags).
pub fn propose_mapping<S: AsRef<str>>(headers: &[S]) -> ColumnMapping {
    let mut columns: Vec<Field> = Vec::with_capacity(headers.len());
    for h in headers {
        let n = normalize_header(h.as_ref()).replace('_', " ");
        let f = if IGNORED.iter().any(|w| n.contains(w)) {
            Field::Ignore
        } else {
            exact(&n).or_else(|| numbered(&n)).or_else(|| fuzzy(&n)).unwrap_or(Field::Ignore)
        };
        let single = matches!(
            f,
            Field::Uid
                | Field::Prefix
                | Field::FirstName
                | Field::MiddleName
                | Field::LastName
                | Field::Suffix
                | Field::FullName
                | Field::Company
                | Field::Department
                | Field::Position
                | Field::Rev
                | Field::PhoneType { .. }
                | Field::EmailType { .. }
                | Field::WebsiteType { .. }
                | Field::AddressType { .. }
        );
        columns.push(if single && columns.contains(&f) { Field::Ignore } else { f });
    }
    ColumnMapping { columns }
}

/// Header words that name metadata of a field, never the field itself ("E-mail Display Name",
/// "Phonetic First Name", "Company Yomi", "Organizational ID Number", "E-mail Type").
const IGNORED: [&str; 7] =
    ["yomi", "phonetic", "display name", "e-mail type", "id number", "e-mail 2 type", "e-mail 3 type"];

fn phone(kind: Kind) -> Option<Field> {
    Some(Field::Phone { slot: 0, kind: Some(kind) })
}
fn email(kind: Option<Kind>) -> Option<Field> {
    Some(Field::Email { slot: 0, kind })
}
fn addr(kind: Option<Kind>, part: AddressPart) -> Option<Field> {
    Some(Field::Address { slot: 0, kind, part })
}

fn exact(n: &str) -> Option<Field> {
    use AddressPart as P;
    use Kind::*;
    // Outlook's address columns: "<Business|Home|Other> <Street|City|…>".
    for (prefix, kind) in [("business ", Work), ("home ", Home), ("other ", Other)] {
        if let Some(rest) = n.strip_prefix(prefix) {
            let part = match rest {
                "street" | "street 2" | "street 3" | "address" => Some(P::Street),
                "address po box" | "po box" => Some(P::PoBox),
                "city" => Some(P::City),
                "state" => Some(P::Region),
                "postal code" => Some(P::PostalCode),
                "country/region" | "country" => Some(P::Country),
                _ => None,
            };
            if let Some(p) = part {
                return addr(Some(kind), p);
            }
        }
    }
    Some(match n {
        "uid" => Field::Uid,
        "name"
        | "full name"
        | "display name"
        | "fn"
        | "фио"
        | "полное имя"
        | "имя контакта"
        | "контакт"
        | "vollständiger name" => Field::FullName,
        "given name" | "first name" | "first" | "firstname" | "имя" | "vorname" => Field::FirstName,
        "additional name" | "middle name" | "middlename" | "отчество" | "zweiter vorname" | "weitere vornamen" => {
            Field::MiddleName
        }
        "family name" | "last name" | "last" | "lastname" | "surname" | "фамилия" | "nachname" | "familienname" => {
            Field::LastName
        }
        "name prefix" | "prefix" | "title" | "anrede" | "titel" | "обращение" => Field::Prefix,
        "name suffix" | "suffix" | "namenszusatz" => Field::Suffix,
        "organization name"
        | "organization 1 - name"
        | "organization"
        | "company"
        | "компания"
        | "организация"
        | "фирма"
        | "firma"
        | "unternehmen"
        | "organisation" => Field::Company,
        "organization title"
        | "organization 1 - title"
        | "job title"
        | "position"
        | "job"
        | "должность"
        | "funktion"
        | "berufsbezeichnung"
        | "stellung" => Field::Position,
        "organization department"
        | "organization 1 - department"
        | "department"
        | "отдел"
        | "подразделение"
        | "abteilung" => Field::Department,
        "notes"
        | "note"
        | "заметки"
        | "примечание"
        | "примечания"
        | "комментарий"
        | "notizen"
        | "notiz"
        | "bemerkungen" => Field::Notes,
        "labels" | "group membership" | "categories" | "tags" | "теги" | "метки" | "категории" | "kategorien"
        | "schlagwörter" => Field::Tags,
        "groups" | "группы" | "группа" | "gruppen" | "gruppe" => Field::Groups,
        "revision" | "rev" => Field::Rev,
        "e-mail address"
        | "email address"
        | "e-mail"
        | "email"
        | "emails"
        | "e-mails"
        | "mail"
        | "эл. почта"
        | "электронная почта"
        | "почта"
        | "e-mail-adresse" => return email(None),
        "e-mail 2 address" | "e-mail 3 address" => return email(None),
        "phones" | "phone" | "telephone" | "телефон" | "телефоны" | "тел." | "telefon" | "primary phone" => {
            return phone(Other)
        }
        "mobile phone"
        | "mobile"
        | "cell phone"
        | "мобильный"
        | "мобильный телефон"
        | "сотовый"
        | "mobiltelefon"
        | "handy"
        | "mobil" => return phone(Mobile),
        "business phone"
        | "business phone 2"
        | "company main phone"
        | "work phone"
        | "рабочий телефон"
        | "телефон рабочий"
        | "telefon geschäftlich"
        | "telefon (geschäftlich)"
        | "geschäftlich" => return phone(Work),
        "home phone" | "home phone 2" | "домашний телефон" | "telefon privat" | "telefon (privat)" | "privat" => {
            return phone(Home)
        }
        "business fax" | "home fax" | "other fax" | "fax" | "факс" | "fax geschäftlich" => return phone(Fax),
        "other phone" | "pager" | "car phone" | "assistant's phone" | "callback" | "radio phone" => {
            return phone(Other)
        }
        "web page" | "website" | "websites" | "web site" | "url" | "homepage" | "сайт" | "веб-сайт" | "webseite" => {
            return Some(Field::Website { slot: 0, kind: None })
        }
        "address" | "адрес" | "adresse" | "anschrift" => return addr(None, P::Formatted),
        "street" | "улица" | "straße" | "strasse" => return addr(None, P::Street),
        "city" | "город" | "ort" | "stadt" => return addr(None, P::City),
        "region" | "state" | "область" | "регион" | "bundesland" => return addr(None, P::Region),
        "postal code" | "zip" | "zip code" | "индекс" | "почтовый индекс" | "plz" | "postleitzahl" => {
            return addr(None, P::PostalCode)
        }
        "country" | "страна" | "land" => return addr(None, P::Country),
        _ => return None,
    })
}

/// Google's numbered groups: `Phone 1 - Type`, `E-mail 2 - Value`, `Address 1 - City`,
/// `Website 1 - Label`, `Organization 1 - Name`.
fn numbered(n: &str) -> Option<Field> {
    use AddressPart as P;
    let (head, what) = n.split_once(" - ")?;
    let (group, num) = head.rsplit_once(' ')?;
    let slot: u8 = num.parse().ok()?;
    let is_type = what == "type" || what == "label";
    match group {
        "phone" if is_type => Some(Field::PhoneType { slot }),
        "phone" if what == "value" => Some(Field::Phone { slot, kind: None }),
        "e-mail" | "email" if is_type => Some(Field::EmailType { slot }),
        "e-mail" | "email" if what == "value" => Some(Field::Email { slot, kind: None }),
        "website" if is_type => Some(Field::WebsiteType { slot }),
        "website" if what == "value" => Some(Field::Website { slot, kind: None }),
        "address" if is_type => Some(Field::AddressType { slot }),
        "address" => {
            let part = match what {
                "formatted" => P::Formatted,
                "street" => P::Street,
                "city" => P::City,
                "po box" => P::PoBox,
                "region" => P::Region,
                "postal code" => P::PostalCode,
                "country" => P::Country,
                "extended address" => P::Extended,
                _ => return Some(Field::Ignore),
            };
            Some(Field::Address { slot, kind: None, part })
        }
        "organization" if slot == 1 => match what {
            "name" => Some(Field::Company),
            "title" => Some(Field::Position),
            "department" => Some(Field::Department),
            _ => Some(Field::Ignore),
        },
        _ => Some(Field::Ignore),
    }
}

fn fuzzy(n: &str) -> Option<Field> {
    use AddressPart as P;
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&["e-mail", "email", "mail", "почт"]) {
        return email(Kind::from_label(n).filter(|k| *k != Kind::Mobile));
    }
    if has(&["fax", "факс"]) {
        return phone(Kind::Fax);
    }
    if has(&["phone", "tel", "телеф", "mobil", "handy", "моб"]) {
        return phone(Kind::from_label(n).unwrap_or(Kind::Other));
    }
    if has(&["web", "url", "site", "сайт"]) {
        return Some(Field::Website { slot: 0, kind: None });
    }
    if has(&["company", "organi", "компан", "организ", "firma"]) {
        return Some(Field::Company);
    }
    if has(&["job", "position", "должн"]) {
        return Some(Field::Position);
    }
    if has(&["note", "comment", "примеч", "коммент", "заметк", "notiz", "bemerk"]) {
        return Some(Field::Notes);
    }
    if has(&["zip", "postal", "индекс", "plz"]) {
        return addr(None, P::PostalCode);
    }
    if has(&["city", "город", "stadt"]) {
        return addr(None, P::City);
    }
    if has(&["street", "улиц", "straße", "strasse"]) {
        return addr(None, P::Street);
    }
    if has(&["country", "стран"]) {
        return addr(None, P::Country);
    }
    if has(&["address", "адрес", "adresse"]) {
        return addr(None, P::Formatted);
    }
    None
}

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
