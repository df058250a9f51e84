//! Proposing a mapping from the header names: exporter profiles, exact, numbered and word matches.

use super::{AddressPart, ColumnMapping, CsvProfile, Field};
use crate::record::Kind;

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
