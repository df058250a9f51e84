//! `parse_card` on recognised lines captured from generated card images (no OCR run here).
//!
//! `tests/data/card-lines/SET/card-NNN.lines.json` is what the pipeline read from the image
//! `card-NNN.jpg` (PP-OCR, plus Tesseract on Cyrillic cards; build with `--features tesseract`), saved by
//! `ocr-eval --lines-cache`; `card-NNN.json` beside it is the generator's truth. The sets are the
//! **tuning** cards of issue 22 (BENCHMARKS.md, "Reading cards in other layouts"):
//!
//! * `wild-tune`: `scripts/gen-cards-wild.py --seed 101 --count 100 --set wild-tune`
//!   (one-letter labels, labels after values, names in capitals / surname first, two-line
//!   companies and addresses, logo bands, perspective, uneven light);
//! * `seed42`: `gen_cards.py --seed 42 --count 40` (easy and `--hard`), the project's own layouts.
//!
//! Scoring is ocr-eval's (each truth field; e-mails as a set; each phone by E.164 and kind). Each
//! set must keep at least the number of fields it reached when the parser was tuned, so a parser
//! change that loses fields on these cards fails here in a second instead of in an hour of OCR.
//! Held-out sets (other seeds) are deliberately not in the repository's tests.

use std::path::{Path, PathBuf};

use ocr::{parse_card, Line, ParseHints, ParsedCard};
use serde_json::Value;

fn sv(o: &Option<ocr::ParsedField>) -> String {
    o.as_ref().map(|f| f.value.trim().to_string()).unwrap_or_default()
}

/// (field, right, want, got) for every field in the truth.
fn compare(truth: &Value, p: &ParsedCard) -> Vec<(String, bool, String, String)> {
    let mut rows = Vec::new();
    for (name, got) in [
        ("prefix", sv(&p.prefix)),
        ("first_name", sv(&p.first_name)),
        ("last_name", sv(&p.last_name)),
        ("full_name", sv(&p.full_name)),
        ("position", sv(&p.position)),
        ("department", sv(&p.department)),
        ("company", sv(&p.company)),
        ("website", sv(&p.website)),
        ("address", sv(&p.address)),
    ] {
        if let Some(want) = truth.get(name).and_then(|v| v.as_str()) {
            rows.push((name.to_string(), want.trim() == got, want.trim().to_string(), got));
        }
    }
    if let Some(want) = truth.get("emails").and_then(|v| v.as_array()) {
        let mut e: Vec<String> = want.iter().filter_map(|x| x.as_str()).map(|x| x.trim().to_lowercase()).collect();
        let mut g: Vec<String> = p.emails.iter().map(|x| x.value.trim().to_lowercase()).collect();
        e.sort();
        e.dedup();
        g.sort();
        g.dedup();
        rows.push(("emails".into(), e == g, e.join(" "), g.join(" ")));
    }
    if let Some(want) = truth.get("phones").and_then(|v| v.as_array()) {
        for ph in want {
            let e164 = ph.get("e164").and_then(|v| v.as_str()).unwrap_or("");
            let kind = ph.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            let ok = p.phones.iter().any(|x| x.e164.as_deref() == Some(e164) && x.kind == kind);
            let got: Vec<String> =
                p.phones.iter().map(|x| format!("{}:{}", x.kind, x.e164.clone().unwrap_or_default())).collect();
            rows.push(("phone".into(), ok, format!("{kind}:{e164}"), got.join(" ")));
        }
    }
    rows
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.to_string_lossy().ends_with(".lines.json") {
            out.push(p);
        }
    }
}

/// (right, total) over a set, printing every wrong field.
fn score(set: &str, cyrillic: bool) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/card-lines").join(set);
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    assert!(!paths.is_empty(), "no line files in {}", dir.display());
    let (mut right, mut total) = (0, 0);
    for p in paths {
        let truth_path = PathBuf::from(p.to_string_lossy().replace(".lines.json", ".json"));
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
        if truth.get("locale").and_then(|v| v.as_str()).unwrap_or("").starts_with("ru") != cyrillic {
            continue;
        }
        let reading: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let lines: Vec<Line> = serde_json::from_value(reading["lines"].clone()).unwrap();
        let parsed = parse_card(&lines, &ParseHints::default());
        for (field, ok, want, got) in compare(&truth, &parsed) {
            total += 1;
            if ok {
                right += 1;
            } else {
                println!("{}: {field} want {want:?} got {got:?}", p.strip_prefix(&dir).unwrap_or(&p).display());
            }
        }
    }
    println!("{set} ({}): {right}/{total}", if cyrillic { "RU" } else { "EN/GB/DE/FR" });
    (right, total)
}

fn at_least(set: &str, cyrillic: bool, floor: usize, total: usize) {
    let (r, t) = score(set, cyrillic);
    assert_eq!(t, total, "{set}: the number of truth fields changed");
    assert!(r >= floor, "{set}: {r}/{t} fields right, fewer than the {floor} reached when tuned");
}

#[test]
fn wild_tune_latin() {
    at_least("wild-tune", false, 792, 814);
}

#[test]
fn seed42_latin() {
    at_least("seed42", false, 634, 643);
}

#[test]
fn wild_tune_russian() {
    at_least("wild-tune", true, 177, 201);
}

#[test]
fn seed42_russian() {
    at_least("seed42", true, 158, 164);
}
