//! Field-level accuracy on the card fixtures.
//!
//!     cargo run --release [--features tesseract] --example ocr-eval -- --models models [--engines paddle,tesseract] [--all-classes] [--cls-skip CONF] [-v] ../fixtures/cards
//!
//! `--cls-skip 2` always asks the orientation classifier (see `PaddleOptions::cls_skip_confidence`).
//!
//! `--lines-cache`: keep each card's recognised lines beside it as `NAME.lines.json` (engine,
//! engines tried, lines with boxes) and reuse them on the next run, so a parser change is scored in
//! seconds without running OCR again (the engines are loaded only when a card has no cache file).
//! The scores are the same as a full run's as long as the OCR code and models are unchanged.
//! A truth file's optional `"set"` names the card's set in the summary (else real / synthetic
//! easy / hard by path); a second summary is per locale.
//!
//! Every image with a ground-truth JSON beside it is read (decode → pipeline → parse → QR merge) and
//! compared field by field: scalar fields after trimming, e-mails as a set, each phone by E.164
//! and kind. Sets: real (Contoso photos), synthetic EN/GB/DE/FR and RU, easy and hard.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ocr::{Engine, Limits, ParseHints, ParsedCard, Pipeline, Reading};
use serde_json::Value;

fn cpu_ms() -> f64 {
    // user+system CPU time of this process (all threads), from /proc/self/stat.
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = 100.0; // USER_HZ on Linux
    let ut: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    let st: f64 = f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    (ut + st) * 1000.0 / tick
}

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for l in s.lines() {
        if let Some(v) = l.strip_prefix("VmHWM:") {
            return v.trim().trim_end_matches("kB").trim().parse::<f64>().unwrap_or(0.0) / 1024.0;
        }
    }
    0.0
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("jpg" | "jpeg" | "png" | "webp"))
            && p.with_extension("json").is_file()
        {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Tally {
    right: usize,
    total: usize,
    cards: usize,
    ms: f64,
    cpu: f64,
    per_field: BTreeMap<String, (usize, usize)>,
}

fn sv(o: &Option<ocr::ParsedField>) -> String {
    o.as_ref().map(|f| f.value.trim().to_string()).unwrap_or_default()
}

/// Compare; returns (field, right, expected, got) rows.
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
        if let Some(exp) = truth.get(name).and_then(|v| v.as_str()) {
            let exp = exp.trim().to_string();
            rows.push((name.to_string(), exp == got, exp, got));
        }
    }
    if let Some(exp) = truth.get("emails").and_then(|v| v.as_array()) {
        let mut e: Vec<String> = exp.iter().filter_map(|x| x.as_str()).map(|x| x.trim().to_lowercase()).collect();
        let mut g: Vec<String> = p.emails.iter().map(|x| x.value.trim().to_lowercase()).collect();
        e.sort();
        e.dedup();
        g.sort();
        g.dedup();
        rows.push(("emails".into(), e == g, e.join(" "), g.join(" ")));
    }
    if let Some(exp) = truth.get("phones").and_then(|v| v.as_array()) {
        for ph in exp {
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

fn set_name(path: &Path, truth: &Value) -> String {
    let s = path.to_string_lossy();
    let locale = truth.get("locale").and_then(|v| v.as_str()).unwrap_or("");
    if let Some(set) = truth.get("set").and_then(|v| v.as_str()) {
        let script = if locale.starts_with("ru") { "RU" } else { "EN/GB/DE/FR" };
        return format!("{set} {script}");
    }
    if s.contains("/real/") {
        return "real Contoso".into();
    }
    let diff = if s.contains("/hard/") {
        "hard"
    } else if s.contains("/easy/") {
        "easy"
    } else {
        "other"
    };
    let script = if locale.starts_with("ru") { "RU" } else { "EN/GB/DE/FR" };
    format!("synthetic {script} {diff}")
}

fn main() {
    #[cfg(feature = "tesseract")]
    ocr::limit_openmp_threads();
    let mut args = std::env::args().skip(1);
    let mut models = PathBuf::from("models");
    let mut engines_arg = String::new();
    let mut verbose = false;
    let mut lines_cache = false;
    let mut opts = ocr::PaddleOptions::default();
    let mut roots = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = PathBuf::from(args.next().expect("--models DIR")),
            "--engines" => engines_arg = args.next().expect("--engines a,b"),
            "-v" | "--verbose" => verbose = true,
            "--lines-cache" => lines_cache = true,
            "--det-side" => opts.det_max_side = args.next().expect("--det-side N").parse().expect("number"),
            "--cls-skip" => opts.cls_skip_confidence = args.next().expect("--cls-skip CONF").parse().expect("number"),
            "--cls-lines" => opts.cls_lines = args.next().expect("--cls-lines N").parse().expect("number"),
            "--det-fallback" => {
                opts.det_fallback_side = args.next().expect("--det-fallback N").parse().expect("number")
            }
            "--det-min-text" => opts.det_min_text_px = args.next().expect("--det-min-text PX").parse().expect("number"),
            "--all-classes" => opts.rec_card_characters = false,
            "--unclip" => opts.unclip_ratio = args.next().expect("--unclip R").parse().expect("number"),
            _ => roots.push(PathBuf::from(a)),
        }
    }
    if roots.is_empty() {
        roots.push(PathBuf::from("../fixtures/cards"));
    }
    if engines_arg.is_empty() {
        engines_arg = if cfg!(feature = "tesseract") { "paddle,tesseract".into() } else { "paddle".into() };
    }
    let t = Instant::now();
    let load = || {
        let mut engines: Vec<Box<dyn Engine>> = Vec::new();
        for name in engines_arg.split(',') {
            match name {
                "paddle" => engines.push(Box::new(
                    ocr::PaddleEngine::load_with(&models, opts.clone()).unwrap_or_else(|e| panic!("{e}")),
                )),
                #[cfg(feature = "tesseract")]
                "tesseract" => {
                    engines.push(Box::new(ocr::TesseractEngine::new(None, "rus+eng").unwrap_or_else(|e| panic!("{e}"))))
                }
                other => panic!("unknown engine {other} (tesseract needs --features tesseract)"),
            }
        }
        let p = Pipeline::new(engines);
        println!("engines: {} (loaded in {} ms, RSS {:.0} MB)", engines_arg, t.elapsed().as_millis(), rss_mb());
        p
    };
    let mut pipeline: Option<Pipeline> = None;
    if !lines_cache {
        pipeline = Some(load());
    }
    let mut files = Vec::new();
    for r in &roots {
        walk(r, &mut files);
    }
    let hints = ParseHints::default();
    let limits = Limits::default();
    let mut sets: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_locale: BTreeMap<String, Tally> = BTreeMap::new();
    let mut engine_use: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(f.with_extension("json")).unwrap()).unwrap();
        let bytes = std::fs::read(f).unwrap();
        let c0 = cpu_ms();
        let t0 = Instant::now();
        let cache = f.with_extension("lines.json");
        let cached: Option<Reading> = if lines_cache {
            std::fs::read_to_string(&cache).ok().and_then(|s| serde_json::from_str(&s).ok())
        } else {
            None
        };
        let (parsed, reading) = if let Some(reading) = cached {
            // The parse and QR steps of read_card on the cached lines.
            let mut parsed = ocr::parse_card(&reading.lines, &hints);
            if let Ok(img) = ocr::decode_image(&bytes, &limits) {
                if let Some(qr) = ocr::decode_qr(&img) {
                    ocr::merge_qr(&mut parsed, qr);
                }
            }
            (parsed, reading)
        } else {
            let p = pipeline.get_or_insert_with(load);
            match ocr::read_card(p, &bytes, &limits, &hints) {
                Ok(x) => {
                    if lines_cache {
                        let saved = Reading { elapsed_ms: 0, ..x.1.clone() };
                        std::fs::write(&cache, serde_json::to_string(&saved).unwrap()).unwrap();
                    }
                    x
                }
                Err(e) => {
                    println!("{}: ERROR {e}", f.display());
                    continue;
                }
            }
        };
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        let cpu = cpu_ms() - c0;
        *engine_use.entry(reading.engine.clone()).or_default() += 1;
        let rows = compare(&truth, &parsed);
        let name = set_name(f, &truth);
        let locale = truth.get("locale").and_then(|v| v.as_str()).unwrap_or("?").to_string();
        let lt =
            by_locale.entry(format!("{} {locale}", name.rsplit_once(' ').map_or(name.as_str(), |x| x.0))).or_default();
        lt.cards += 1;
        for (field, ok, _, _) in &rows {
            lt.total += 1;
            let e = lt.per_field.entry(field.clone()).or_default();
            e.1 += 1;
            if *ok {
                lt.right += 1;
                e.0 += 1;
            }
        }
        let tally = sets.entry(name).or_default();
        tally.cards += 1;
        tally.ms += ms;
        tally.cpu += cpu;
        let wrong: Vec<&(String, bool, String, String)> = rows.iter().filter(|r| !r.1).collect();
        for (field, ok, _, _) in &rows {
            tally.total += 1;
            let e = tally.per_field.entry(field.clone()).or_default();
            e.1 += 1;
            if *ok {
                tally.right += 1;
                e.0 += 1;
            }
        }
        println!(
            "{:<45} {:>3}/{:<3} {:>6.0} ms  {:<10} {}",
            f.strip_prefix(roots[0].parent().unwrap_or(Path::new(""))).unwrap_or(f).display(),
            rows.len() - wrong.len(),
            rows.len(),
            ms,
            reading.engine,
            reading.tried.join(" → ")
        );
        if verbose {
            for (field, _, exp, got) in wrong {
                println!("      {field:<11} want {exp:?}\n      {:<11}  got {got:?}", "");
            }
        }
    }
    println!("\n{:<28} {:>6} {:>9} {:>8} {:>10} {:>10}", "set", "cards", "fields", "right", "ms/card", "cpu ms/card");
    let (mut r, mut t_) = (0, 0);
    for (name, t) in &sets {
        r += t.right;
        t_ += t.total;
        println!(
            "{:<28} {:>6} {:>4}/{:<4} {:>7.1}% {:>10.0} {:>10.0}",
            name,
            t.cards,
            t.right,
            t.total,
            100.0 * t.right as f64 / t.total.max(1) as f64,
            t.ms / t.cards.max(1) as f64,
            t.cpu / t.cards.max(1) as f64
        );
    }
    println!("{:<28} {:>6} {:>4}/{:<4} {:>7.1}%", "all", files.len(), r, t_, 100.0 * r as f64 / t_.max(1) as f64);
    println!("\nper-field errors:");
    for (name, t) in &sets {
        let errs: Vec<String> =
            t.per_field.iter().filter(|(_, (a, b))| a < b).map(|(f, (a, b))| format!("{f} {}/{b}", b - a)).collect();
        println!("  {:<28} {}", name, if errs.is_empty() { "none".into() } else { errs.join(", ") });
    }
    println!("\nper set and locale:");
    for (name, t) in &by_locale {
        let errs: Vec<String> =
            t.per_field.iter().filter(|(_, (a, b))| a < b).map(|(f, (a, b))| format!("{f} {}/{b}", b - a)).collect();
        println!(
            "  {:<34} {:>3} cards {:>4}/{:<4} {:>6.1}%  wrong: {}",
            name,
            t.cards,
            t.right,
            t.total,
            100.0 * t.right as f64 / t.total.max(1) as f64,
            if errs.is_empty() { "none".into() } else { errs.join(", ") }
        );
    }
    println!("\nengine used: {:?}; peak RSS {:.0} MB", engine_use, rss_mb());
}
