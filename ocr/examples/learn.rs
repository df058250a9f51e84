//! What learning from users' corrections (`ocr::learn_hints`) changes, measured on the card fixtures.
//!
//!     cargo run --release --features tesseract --example learn -- --models ../models [--cache DIR] ../fixtures/cards
//!
//! Every fixture card is read once by the default pipeline (the lines are cached in `--cache`, so
//! the parser experiments rerun in a second). Then the parser is run on those lines:
//!
//! 1. **cold** — no hints (what a fresh install does);
//! 2. **others learned** — hints learned from all *other* fixture cards saved right (their truth
//!    company and position as the user's correction): does learning from other companies hurt?
//! 3. **same company** — hints learned from one earlier card of the same company (its company and
//!    position as saved by the user): the case the hints are for.
//!
//! And a layout trap built from the same truths (text lines, no OCR): the company printed right
//! under the name, where the layout rule takes the company for the position. For each truth, card
//! A (that person) is parsed cold, its correction learned, then card B — the same company and job
//! title with another fixture's person — is parsed cold and with the hints.
//!
//! Scored fields: first/last/full name, company, position, department (exact after trimming).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ocr::{Correction, Line, ParseHints, ParsedCard, Point};
use serde_json::Value;

const FIELDS: [&str; 6] = ["first_name", "last_name", "full_name", "company", "position", "department"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("jpg" | "png"))
            && p.with_extension("json").is_file()
        {
            out.push(p);
        }
    }
}

fn got(p: &ParsedCard, f: &str) -> String {
    let v = match f {
        "first_name" => &p.first_name,
        "last_name" => &p.last_name,
        "full_name" => &p.full_name,
        "company" => &p.company,
        "position" => &p.position,
        "department" => &p.department,
        _ => &None,
    };
    v.as_ref().map(|x| x.value.trim().to_string()).unwrap_or_default()
}

fn truth_of(t: &Value, f: &str) -> Option<String> {
    t.get(f).and_then(|v| v.as_str()).map(|s| s.trim().to_string())
}

#[derive(Default, Clone, Copy)]
struct Score {
    right: usize,
    total: usize,
    cp_right: usize,
    cp_total: usize,
}

impl Score {
    fn add(&mut self, t: &Value, p: &ParsedCard) {
        for f in FIELDS {
            if let Some(exp) = truth_of(t, f) {
                let ok = exp == got(p, f);
                self.total += 1;
                self.right += ok as usize;
                if f == "company" || f == "position" {
                    self.cp_total += 1;
                    self.cp_right += ok as usize;
                }
            }
        }
    }
    fn show(&self) -> String {
        format!(
            "company+position {}/{} ({:.1} %), all scored fields {}/{} ({:.1} %)",
            self.cp_right,
            self.cp_total,
            100.0 * self.cp_right as f64 / self.cp_total.max(1) as f64,
            self.right,
            self.total,
            100.0 * self.right as f64 / self.total.max(1) as f64
        )
    }
}

/// The correction a user makes when saving `parsed` as the truth `t`.
fn corrections(t: &Value, parsed: &ParsedCard) -> Vec<Correction> {
    ["company", "position"]
        .iter()
        .filter_map(|f| Some(Correction { field: f.to_string(), read: got(parsed, f), saved: truth_of(t, f)? }))
        .collect()
}

fn lines_for(path: &Path, cache: &Path, pipeline: &mut Option<ocr::Pipeline>, models: &Path) -> Vec<Line> {
    let key = path.to_string_lossy().replace(['/', '.'], "_");
    let cached = cache.join(format!("{key}.json"));
    if let Ok(s) = std::fs::read_to_string(&cached) {
        if let Ok(l) = serde_json::from_str(&s) {
            return l;
        }
    }
    let p = pipeline.get_or_insert_with(|| ocr::default_pipeline(models).unwrap_or_else(|e| panic!("{e}")));
    let img = ocr::decode_image(&std::fs::read(path).expect("read"), &ocr::Limits::default()).expect("decode");
    let lines = p.read(&img).expect("read").lines;
    let _ = std::fs::create_dir_all(cache);
    let _ = std::fs::write(&cached, serde_json::to_string(&lines).unwrap_or_default());
    lines
}

/// Text lines laid out like a card with the company right under the name.
fn trap_card(name: &str, company: &str, position: &str, email: &str) -> Vec<Line> {
    let rows: [(&str, f32); 5] =
        [(name, 52.0), (company, 30.0), (position, 26.0), ("Tel +1 212 555 0100", 24.0), (email, 24.0)];
    let mut y = 20.0;
    rows.iter()
        .filter(|(t, _)| !t.is_empty())
        .map(|(t, h)| {
            let w = 19.0 * t.chars().count() as f32;
            let q = [
                Point { x: 60.0, y },
                Point { x: 60.0 + w, y },
                Point { x: 60.0 + w, y: y + h },
                Point { x: 60.0, y: y + h },
            ];
            y += h * 1.5;
            Line { text: t.to_string(), confidence: 0.99, quad: q }
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut models = PathBuf::from("models");
    let mut cache = std::env::temp_dir().join("cardcrm-learn-lines");
    let mut roots = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = PathBuf::from(args.next().expect("--models DIR")),
            "--cache" => cache = PathBuf::from(args.next().expect("--cache DIR")),
            _ => roots.push(PathBuf::from(a)),
        }
    }
    if roots.is_empty() {
        roots.push(PathBuf::from("../fixtures/cards"));
    }
    let mut files = Vec::new();
    for r in &roots {
        walk(r, &mut files);
    }
    let mut pipeline = None;
    let cards: Vec<(PathBuf, Value, Vec<Line>)> = files
        .iter()
        .map(|f| {
            let t: Value =
                serde_json::from_str(&std::fs::read_to_string(f.with_extension("json")).expect("truth")).expect("json");
            let lines = lines_for(f, &cache, &mut pipeline, &models);
            (f.clone(), t, lines)
        })
        .collect();
    let base = ParseHints::default();
    let cold: Vec<ParsedCard> = cards.iter().map(|(_, _, l)| ocr::parse_card(l, &base)).collect();

    let (mut s_cold, mut s_others, mut s_same) = (Score::default(), Score::default(), Score::default());
    let mut changes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (i, (path, t, lines)) in cards.iter().enumerate() {
        s_cold.add(t, &cold[i]);
        let others: Vec<Correction> = cards
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(j, (_, tj, _))| corrections(tj, &cold[j]))
            .collect();
        let p_others = ocr::parse_card(lines, &ocr::learn_hints(&base, &others));
        s_others.add(t, &p_others);
        let p_same = ocr::parse_card(lines, &ocr::learn_hints(&base, &corrections(t, &cold[i])));
        s_same.add(t, &p_same);
        for (label, p) in [("others learned", &p_others), ("same company", &p_same)] {
            for f in FIELDS {
                if let Some(exp) = truth_of(t, f) {
                    let (before, after) = (got(&cold[i], f) == exp, got(p, f) == exp);
                    if before != after {
                        let what = if after { "fixed" } else { "BROKE" };
                        changes.entry(label).or_default().push(format!(
                            "{what} {} {f}: {:?} -> {:?} (truth {exp:?})",
                            path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                            got(&cold[i], f),
                            got(p, f)
                        ));
                    }
                }
            }
        }
    }
    println!("fixture cards read by OCR: {}", cards.len());
    for (i, (path, t, _)) in cards.iter().enumerate() {
        for f in ["company", "position"] {
            if let Some(exp) = truth_of(t, f).filter(|e| *e != got(&cold[i], f)) {
                println!("    cold miss {} {f}: {:?} (truth {exp:?})", path.display(), got(&cold[i], f));
            }
        }
    }
    println!("  cold                   {}", s_cold.show());
    println!("  others learned         {}", s_others.show());
    println!("  same company learned   {}", s_same.show());
    for (label, list) in &changes {
        for c in list {
            println!("    [{label}] {c}");
        }
    }

    // The layout trap: company under the name.
    let (mut a_cold, mut b_cold, mut b_warm) = (Score::default(), Score::default(), Score::default());
    let persons: Vec<&Value> = cards.iter().map(|(_, t, _)| t).collect();
    let mut n = 0;
    for (i, (_, t, _)) in cards.iter().enumerate() {
        let (Some(company), Some(position), Some(name)) =
            (truth_of(t, "company"), truth_of(t, "position"), truth_of(t, "full_name"))
        else {
            continue;
        };
        let email = |p: &Value| p["emails"][0].as_str().unwrap_or("").to_string();
        let a = trap_card(&name, &company, &position, &email(t));
        let pa = ocr::parse_card(&a, &base);
        let mut ta = t.clone();
        ta["department"] = Value::Null;
        a_cold.add(&ta, &pa);
        let learned = ocr::learn_hints(&base, &corrections(t, &pa));
        let other = persons[(i + 7) % persons.len()];
        let mut tb = other.clone();
        tb["company"] = Value::String(company.clone());
        tb["position"] = Value::String(position.clone());
        tb["department"] = Value::Null;
        if tb.get("prefix").is_some() {
            continue;
        }
        let b = trap_card(tb["full_name"].as_str().unwrap_or(""), &company, &position, &email(other));
        b_cold.add(&tb, &ocr::parse_card(&b, &base));
        b_warm.add(&tb, &ocr::parse_card(&b, &learned));
        n += 1;
    }
    println!("layout trap (company printed under the name), {n} pairs of cards:");
    println!("  card A cold            {}", a_cold.show());
    println!("  card B cold            {}", b_cold.show());
    println!("  card B after A's fix   {}", b_warm.show());
}
