//! One card through the PP-OCR engine (decode excluded / included), and the parser alone.
//!
//!     scripts/fetch-models.sh ocr/models && cd ocr && RTEN_NUM_THREADS=1 cargo bench --bench ocr

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ocr::{Engine, Limits, PaddleEngine, ParseHints};

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models =
        std::env::var_os("CARDCRM_MODELS_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| root.join("models"));
    let engine = match PaddleEngine::load(&models) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("SKIP: {e}");
            return;
        }
    };
    let mut g = c.benchmark_group("card");
    g.sample_size(10);
    for (name, rel) in [
        ("synthetic-easy-000", "synthetic/easy/card-000.jpg"),
        ("synthetic-hard-002", "synthetic/hard/card-002.jpg"),
        ("real-contoso-chris", "real/contoso-chris.jpg"),
    ] {
        let bytes = std::fs::read(root.join("../fixtures/cards").join(rel)).unwrap();
        let img = ocr::decode_image(&bytes, &Limits::default()).unwrap();
        g.bench_function(format!("paddle/{name}"), |b| b.iter(|| engine.recognize(&img).unwrap()));
        g.bench_function(format!("decode+paddle+parse/{name}"), |b| {
            b.iter(|| {
                let img = ocr::decode_image(&bytes, &Limits::default()).unwrap();
                let lines = engine.recognize(&img).unwrap();
                ocr::parse_card(&lines, &ParseHints::default())
            })
        });
    }
    let img = ocr::decode_image(
        &std::fs::read(root.join("../fixtures/cards/synthetic/easy/card-000.jpg")).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    let lines = engine.recognize(&img).unwrap();
    g.bench_function("parse_card", |b| b.iter(|| ocr::parse_card(&lines, &ParseHints::default())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
