//! The native reading the browser's is checked against: the same `ocr_web::Reader::read` on the
//! same images, compiled for this machine.
//!
//!     cargo run --release -p ocr-web --example read -- --models models IMAGE... > native.json
//!
//! Prints one JSON object `{ "<image file name>": {engine, result}, ... }`.

use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let mut models = PathBuf::from(std::env::var("CARDCRM_MODELS_DIR").unwrap_or_else(|_| "models".into()));
    let mut images = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = PathBuf::from(args.next().expect("--models DIR")),
            _ => images.push(PathBuf::from(a)),
        }
    }
    let reader = ocr_web::Reader::load(&models).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    let start = Instant::now();
    let now = || start.elapsed().as_secs_f64() * 1000.0;
    let mut out = serde_json::Map::new();
    for path in &images {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v = reader
            .read(&bytes, &ocr::ParseHints::default(), &now, &mut |_| {})
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = Path::new(path).file_name().unwrap().to_string_lossy();
        let set = path.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy()).unwrap_or_default();
        out.insert(format!("{set}/{name}"), v);
    }
    println!("{}", serde_json::Value::Object(out));
}
