//! The typed result of reading one card ([`CardReading`], crate `card-reading`), built from the
//! engines' lines and the parser's fields; and the JSON `cardcrm ocr --json` prints.

use card_reading::{CardReading, HintCounts, ImageSize, ReadFields, ScanLine, Timings};
use serde::Serialize;
use serde_json::Value;

use crate::{Line, ParseHints, ParsedCard, Reading};

/// The parser's fields, contact-shaped, each value's source lines under `blocks`.
pub fn read_fields(parsed: &ParsedCard) -> ReadFields {
    ReadFields::from(parsed)
}

/// The lines as stored: confidence to three decimals, box corners to whole pixels.
pub fn scan_lines(lines: &[Line]) -> Vec<ScanLine> {
    lines
        .iter()
        .map(|l| ScanLine {
            text: l.text.clone(),
            confidence: ((l.confidence as f64) * 1000.0).round() as f32 / 1000.0,
            quad: l.quad.iter().map(|p| [p.x.round(), p.y.round()]).collect(),
        })
        .collect()
}

/// Everything one reading of a card gives: what a scan stores and the on-device reader answers.
pub fn card_reading(
    parsed: &ParsedCard,
    reading: &Reading,
    image: ImageSize,
    hints: &ParseHints,
    timings: Timings,
) -> CardReading {
    CardReading {
        fields: read_fields(parsed),
        lines: scan_lines(&reading.lines),
        image,
        tried: reading.tried.clone(),
        hints: HintCounts { known_companies: hints.known_companies.len(), title_words: hints.title_words.len() },
        timings,
    }
}

/// What `cardcrm ocr --json` prints for one card: the fields ([`ReadFields`]) with `engine`,
/// `lines` and `elapsed_ms` beside them.
#[derive(Serialize)]
struct CardJson<'a> {
    #[serde(flatten)]
    fields: ReadFields,
    engine: &'a str,
    lines: Vec<ScanLine>,
    elapsed_ms: u64,
}

/// Contact-shaped JSON for one card: the [`ReadFields`] plus `engine`, `lines[{text,
/// confidence, quad}]` and `elapsed_ms`.
pub fn card_json(parsed: &ParsedCard, reading: &Reading) -> Value {
    let out = CardJson {
        fields: read_fields(parsed),
        engine: &reading.engine,
        lines: scan_lines(&reading.lines),
        elapsed_ms: reading.elapsed_ms,
    };
    serde_json::to_value(out).unwrap_or_default()
}
