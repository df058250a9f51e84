//! Column mappings for tabular files (CSV, XLSX): which column fills which field of a
//! [`ContactRecord`](crate::ContactRecord), proposed from the header names and rememberable per
//! header set.

mod propose;
mod row;

pub use propose::{detect_profile, header_key, normalize_header, propose_mapping};
pub use row::MULTI_SEPARATOR;
pub(crate) use row::{is_plain_kind_label, record_from_row};

use crate::record::Kind;
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
