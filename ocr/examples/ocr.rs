//! `cardcrm ocr` in miniature: read card images and print the fields.
//!
//!     cargo run --release [--features tesseract] --example ocr -- [--models models] IMAGE... [--json]

use std::path::PathBuf;

use ocr::{Limits, ParseHints};

fn main() {
    #[cfg(feature = "tesseract")]
    ocr::limit_openmp_threads();
    let mut models = PathBuf::from(std::env::var("CARDCRM_MODELS_DIR").unwrap_or_else(|_| "models".into()));
    let mut json = false;
    let mut images = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = true,
            "--models" => models = PathBuf::from(args.next().expect("--models DIR")),
            _ => images.push(a),
        }
    }
    if images.is_empty() {
        eprintln!("usage: ocr [--models DIR] IMAGE... [--json]");
        std::process::exit(2);
    }
    let pipeline = match ocr::default_pipeline(&models) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let mut out = Vec::new();
    let mut failed = false;
    for path in &images {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
                continue;
            }
        };
        match ocr::read_card(&pipeline, &bytes, &Limits::default(), &ParseHints::default()) {
            Ok((parsed, reading)) => {
                let mut v = ocr::card_json(&parsed, &reading);
                v["image"] = serde_json::Value::String(path.clone());
                if json {
                    out.push(v);
                } else {
                    println!("== {path} ({} ms, {})", reading.elapsed_ms, reading.engine);
                    for k in [
                        "prefix",
                        "full_name",
                        "first_name",
                        "last_name",
                        "position",
                        "department",
                        "company",
                        "website",
                        "address",
                    ] {
                        if let Some(s) = v[k].as_str() {
                            println!("{k:>12}: {s}");
                        }
                    }
                    for p in &parsed.phones {
                        println!("{:>12}: {} ({})", p.kind, p.number, p.e164.as_deref().unwrap_or("?"));
                    }
                    for e in &parsed.emails {
                        println!("{:>12}: {}", "email", e.value);
                    }
                }
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
            }
        }
    }
    if json {
        let v = if out.len() == 1 { out.pop().unwrap() } else { serde_json::Value::Array(out) };
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
    }
    if failed {
        std::process::exit(1);
    }
}
