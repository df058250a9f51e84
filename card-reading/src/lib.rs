//! What reading one card gives, typed.
//!
//! The card reader (`ocr`, on the server's scan worker and in the browser through `ocr-web`)
//! writes a [`CardReading`]; the server stores it as a scan's `result` (JSON, serde) and answers
//! `GET /api/v1/scans/{id}` with its parts; the draft editor sees its fields as [`ScanFields`]
//! (each value with the lines it came from, [`ReadFields::for_editor`]); the chat bots save its
//! fields as a contact. One type, so a field added to the reader reaches every one of them.
//!
//! The stored JSON shape is the one `cardcrm ocr --json` has always printed (single values as
//! strings, their source lines under `blocks`), so results stored before this crate existed read
//! as they are. No dependency but serde: the crate compiles for the browser with the app.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One text line a scan read: its text, the recogniser's confidence (0..1) and its rotated box,
/// four `[x, y]` points in image pixels clockwise from the text's top-left corner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ScanLine {
    pub text: String,
    pub confidence: f32,
    pub quad: Vec<[f32; 2]>,
}

/// An e-mail address as the parser read it, with the lines it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ReadEmail {
    pub address: String,
    #[serde(default)]
    pub blocks: Vec<usize>,
}

/// The contact fields read from a card, contact-shaped: each single value as text (absent:
/// `null`), phones and e-mails with their own source lines, and per single value the indexes
/// of its source lines under `blocks` (`{"company": [3]}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ReadFields {
    pub prefix: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub company: Option<String>,
    pub position: Option<String>,
    pub department: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub phones: Vec<ScanPhone>,
    pub emails: Vec<ReadEmail>,
    pub blocks: BTreeMap<String, Vec<usize>>,
}

/// The single-value fields of a card, in the editor's order (`full_name` is not among them: the
/// editor shows the name's parts and the contact builds the full name).
pub const SCAN_TEXT_FIELDS: [&str; 9] =
    ["prefix", "first_name", "middle_name", "last_name", "company", "position", "department", "website", "address"];

impl ReadFields {
    /// The single value called `name` (`company`, `full_name`, …), as read.
    pub fn text(&self, name: &str) -> Option<&str> {
        let v = match name {
            "prefix" => &self.prefix,
            "first_name" => &self.first_name,
            "middle_name" => &self.middle_name,
            "last_name" => &self.last_name,
            "full_name" => &self.full_name,
            "company" => &self.company,
            "position" => &self.position,
            "department" => &self.department,
            "website" => &self.website,
            "address" => &self.address,
            _ => return None,
        };
        v.as_deref()
    }

    /// The fields as the draft editor holds them: each non-blank value with its source lines,
    /// blank values and phones without a number dropped, line indexes outside the `n_lines`
    /// lines read dropped.
    pub fn for_editor(&self, n_lines: usize) -> ScanFields {
        let blocks = |b: &[usize]| b.iter().copied().filter(|i| *i < n_lines).collect::<Vec<_>>();
        let value = |name: &str| -> Option<ScanValue> {
            let v = self.text(name)?.trim();
            let b = self.blocks.get(name).map(|b| blocks(b)).unwrap_or_default();
            (!v.is_empty()).then(|| ScanValue { value: v.to_string(), blocks: b })
        };
        ScanFields {
            prefix: value("prefix"),
            first_name: value("first_name"),
            middle_name: value("middle_name"),
            last_name: value("last_name"),
            full_name: value("full_name"),
            company: value("company"),
            position: value("position"),
            department: value("department"),
            website: value("website"),
            address: value("address"),
            phones: self
                .phones
                .iter()
                .filter(|p| !p.number.is_empty())
                .map(|p| ScanPhone {
                    kind: if p.kind.is_empty() { "work".into() } else { p.kind.clone() },
                    number: p.number.clone(),
                    e164: p.e164.clone(),
                    blocks: blocks(&p.blocks),
                })
                .collect(),
            emails: self
                .emails
                .iter()
                .filter_map(|e| {
                    let a = e.address.trim();
                    (!a.is_empty()).then(|| ScanValue { value: a.to_string(), blocks: blocks(&e.blocks) })
                })
                .collect(),
        }
    }
}

impl From<&ScanFields> for ReadFields {
    /// The parser's fields in the stored shape: each value as text, its lines under `blocks`.
    fn from(f: &ScanFields) -> ReadFields {
        let mut blocks = BTreeMap::new();
        let mut text = |name: &str, v: &Option<ScanValue>| -> Option<String> {
            let v = v.as_ref()?;
            blocks.insert(name.to_string(), v.blocks.clone());
            Some(v.value.clone())
        };
        let mut out = ReadFields {
            prefix: text("prefix", &f.prefix),
            first_name: text("first_name", &f.first_name),
            middle_name: text("middle_name", &f.middle_name),
            last_name: text("last_name", &f.last_name),
            full_name: text("full_name", &f.full_name),
            company: text("company", &f.company),
            position: text("position", &f.position),
            department: text("department", &f.department),
            website: text("website", &f.website),
            address: text("address", &f.address),
            phones: f.phones.clone(),
            emails: f.emails.iter().map(|e| ReadEmail { address: e.value.clone(), blocks: e.blocks.clone() }).collect(),
            blocks: BTreeMap::new(),
        };
        out.blocks = blocks;
        out
    }
}

/// The size of the (EXIF-oriented) image the boxes refer to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ImageSize {
    pub width: u32,
    pub height: u32,
}

/// How much learnt knowledge the parser had when it read the card (counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct HintCounts {
    pub known_companies: usize,
    pub title_words: usize,
}

/// Where a reading's time went, in milliseconds: decoding the image, the OCR engines, the
/// parser, the QR code search, all of it; and, for a server scan, the wait before a worker took it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Timings {
    pub decode_ms: u64,
    pub ocr_ms: u64,
    pub parse_ms: u64,
    pub qr_ms: u64,
    pub total_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_ms: Option<u64>,
}

/// What reading one card gives: a scan's stored `result`, and the on-device reader's answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CardReading {
    pub fields: ReadFields,
    pub lines: Vec<ScanLine>,
    pub image: ImageSize,
    /// The engines run, in order, with why the next one was tried: `["google: error", "paddle"]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<String>,
    pub hints: HintCounts,
    pub timings: Timings,
}

impl CardReading {
    /// The fields as the draft editor holds them (see [`ReadFields::for_editor`]).
    pub fn draft_fields(&self) -> ScanFields {
        self.fields.for_editor(self.lines.len())
    }
}

/// A field read from a card and the indexes of the lines (blocks) it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ScanValue {
    pub value: String,
    pub blocks: Vec<usize>,
}

/// A phone read from a card: `kind` (`mobile`, `work`, `fax`, `home`, `other`), the number as
/// printed, its E.164 form when it parses, and the lines it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ScanPhone {
    pub kind: String,
    pub number: String,
    pub e164: Option<String>,
    #[serde(default)]
    pub blocks: Vec<usize>,
}

/// The contact fields of a card, each with the lines it came from: what the parser finds
/// (`ocr::ParsedCard` is this type) and what the draft editor holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ScanFields {
    pub prefix: Option<ScanValue>,
    pub first_name: Option<ScanValue>,
    pub middle_name: Option<ScanValue>,
    pub last_name: Option<ScanValue>,
    pub full_name: Option<ScanValue>,
    pub company: Option<ScanValue>,
    pub position: Option<ScanValue>,
    pub department: Option<ScanValue>,
    pub website: Option<ScanValue>,
    pub address: Option<ScanValue>,
    pub phones: Vec<ScanPhone>,
    pub emails: Vec<ScanValue>,
}

impl ScanFields {
    /// The single-value field called `name` (`company`, `position`, …).
    pub fn get(&self, name: &str) -> Option<&ScanValue> {
        match name {
            "prefix" => self.prefix.as_ref(),
            "first_name" => self.first_name.as_ref(),
            "middle_name" => self.middle_name.as_ref(),
            "last_name" => self.last_name.as_ref(),
            "full_name" => self.full_name.as_ref(),
            "company" => self.company.as_ref(),
            "position" => self.position.as_ref(),
            "department" => self.department.as_ref(),
            "website" => self.website.as_ref(),
            "address" => self.address.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result as the scan worker stored it before the types existed (and as `cardcrm ocr
    /// --json` prints its fields): it must read, field by field.
    const STORED: &str = r#"{
        "fields": {"prefix": null, "first_name": "Avery", "middle_name": null, "last_name": "Smith",
            "full_name": "Avery Smith", "company": "Contoso", "position": "  ", "department": null,
            "phones": [{"kind": "mobile", "number": "+1 555 0100", "e164": "+15550100", "blocks": [2]},
                       {"kind": "work", "number": "", "e164": null, "blocks": []}],
            "emails": [{"address": "avery@contoso.com", "blocks": [3, 9]}, {"address": " ", "blocks": []}],
            "website": null, "address": "1 Main St", "blocks": {"full_name": [0], "company": [1, 7], "address": [4]}},
        "lines": [{"text": "Avery Smith", "confidence": 0.98, "quad": [[1, 2], [30, 2], [30, 9], [1, 9]]},
                  {"text": "Contoso", "confidence": 0.9, "quad": [[1, 12], [30, 12], [30, 19], [1, 19]]},
                  {"text": "+1 555 0100", "confidence": 0.9, "quad": [[1, 22], [30, 22], [30, 29], [1, 29]]},
                  {"text": "avery@contoso.com", "confidence": 0.9, "quad": [[1, 32], [30, 32], [30, 39], [1, 39]]},
                  {"text": "1 Main St", "confidence": 0.9, "quad": [[1, 42], [30, 42], [30, 49], [1, 49]]}],
        "image": {"width": 800, "height": 500},
        "tried": ["paddle"],
        "hints": {"known_companies": 2, "title_words": 0},
        "timings": {"decode_ms": 5, "ocr_ms": 300, "parse_ms": 1, "qr_ms": 4, "total_ms": 310, "queued_ms": 12}
    }"#;

    #[test]
    fn a_stored_result_reads_and_writes_back_the_same() {
        let r: CardReading = serde_json::from_str(STORED).expect("stored result");
        assert_eq!(r.fields.full_name.as_deref(), Some("Avery Smith"));
        assert_eq!(r.fields.phones[0].e164.as_deref(), Some("+15550100"));
        assert_eq!(r.fields.blocks["company"], vec![1, 7]);
        assert_eq!(r.lines.len(), 5);
        assert_eq!(r.image, ImageSize { width: 800, height: 500 });
        assert_eq!(r.timings.queued_ms, Some(12));
        assert_eq!(r.tried, vec!["paddle".to_string()]);
        let again: CardReading = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(again, r);
        let original: serde_json::Value = serde_json::from_str(STORED).unwrap();
        assert_eq!(serde_json::to_value(&r.fields).unwrap(), original["fields"]);
    }

    #[test]
    fn the_editor_gets_non_blank_values_with_blocks_inside_the_lines() {
        let r: CardReading = serde_json::from_str(STORED).unwrap();
        let f = r.draft_fields();
        assert_eq!(f.full_name, Some(ScanValue { value: "Avery Smith".into(), blocks: vec![0] }));
        // Line 7 does not exist: dropped; a blank position is no value.
        assert_eq!(f.company, Some(ScanValue { value: "Contoso".into(), blocks: vec![1] }));
        assert_eq!(f.position, None);
        assert_eq!(f.get("address").map(|v| v.value.as_str()), Some("1 Main St"));
        assert_eq!(f.phones.len(), 1, "a phone without a number is dropped");
        assert_eq!(f.phones[0].blocks, vec![2]);
        assert_eq!(f.emails, vec![ScanValue { value: "avery@contoso.com".into(), blocks: vec![3] }]);
    }

    #[test]
    fn the_parsers_fields_go_to_the_stored_shape_and_back() {
        let r: CardReading = serde_json::from_str(STORED).unwrap();
        let parsed = r.draft_fields();
        let stored = ReadFields::from(&parsed);
        assert_eq!(stored.company.as_deref(), Some("Contoso"));
        assert_eq!(stored.blocks["company"], vec![1]);
        assert!(!stored.blocks.contains_key("website"));
        assert_eq!(stored.emails[0].address, "avery@contoso.com");
        assert_eq!(stored.for_editor(5), parsed);
    }

    #[test]
    fn a_partial_or_empty_result_reads_as_defaults() {
        let r: CardReading = serde_json::from_str(r#"{"fields": {"company": "Contoso"}}"#).unwrap();
        assert_eq!(r.fields.company.as_deref(), Some("Contoso"));
        assert!(r.lines.is_empty() && r.tried.is_empty());
        assert_eq!(r.draft_fields().company.map(|v| v.blocks), Some(vec![]));
        assert_eq!(serde_json::from_str::<CardReading>("{}").unwrap(), CardReading::default());
    }
}
