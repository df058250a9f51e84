//! The JSON shape `cardcrm ocr --json` prints: the contact fields plus lines and timing.

use serde_json::{json, Value};

use crate::{ParsedCard, ParsedField, Reading};

fn s(f: &Option<ParsedField>) -> Value {
    match f {
        Some(f) => Value::String(f.value.clone()),
        None => Value::Null,
    }
}

/// Contact-shaped JSON for one card: `first_name, last_name, full_name, company, position,
/// department, phones[{kind, number, e164}], emails[{address}], website, address`, plus
/// `prefix`, `middle_name`, `engine`, `lines[{text, confidence, quad}]`, `elapsed_ms` and,
/// per field, the source line indexes under `blocks`.
pub fn card_json(parsed: &ParsedCard, reading: &Reading) -> Value {
    let mut blocks = serde_json::Map::new();
    for (name, f) in [
        ("prefix", &parsed.prefix),
        ("first_name", &parsed.first_name),
        ("middle_name", &parsed.middle_name),
        ("last_name", &parsed.last_name),
        ("full_name", &parsed.full_name),
        ("company", &parsed.company),
        ("position", &parsed.position),
        ("department", &parsed.department),
        ("website", &parsed.website),
        ("address", &parsed.address),
    ] {
        if let Some(f) = f {
            blocks.insert(name.into(), json!(f.blocks));
        }
    }
    json!({
        "prefix": s(&parsed.prefix),
        "first_name": s(&parsed.first_name),
        "middle_name": s(&parsed.middle_name),
        "last_name": s(&parsed.last_name),
        "full_name": s(&parsed.full_name),
        "company": s(&parsed.company),
        "position": s(&parsed.position),
        "department": s(&parsed.department),
        "phones": parsed.phones.iter().map(|p| json!({"kind": p.kind, "number": p.number, "e164": p.e164, "blocks": p.blocks})).collect::<Vec<_>>(),
        "emails": parsed.emails.iter().map(|e| json!({"address": e.value, "blocks": e.blocks})).collect::<Vec<_>>(),
        "website": s(&parsed.website),
        "address": s(&parsed.address),
        "blocks": blocks,
        "engine": reading.engine,
        "lines": reading.lines.iter().map(|l| json!({
            "text": l.text,
            "confidence": ((l.confidence as f64) * 1000.0).round() / 1000.0,
            "quad": l.quad.iter().map(|p| [p.x.round(), p.y.round()]).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "elapsed_ms": reading.elapsed_ms,
    })
}
