//! Debug view of the raw engine output: `lines MODELS_DIR IMAGE...` prints each recognised line with
//! its confidence and box. Env: DET_SIDE, DET_THRESH, BOX_THRESH, REC_BATCH override PaddleOptions;
//! OCR_TIMING=1 prints the stage timings.
use ocr::{Engine, Limits, PaddleEngine};
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let mut o = ocr::PaddleOptions::default();
    if let Ok(v) = std::env::var("DET_SIDE") {
        o.det_max_side = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("DET_THRESH") {
        o.det_thresh = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("REC_BATCH") {
        o.rec_batch = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("BOX_THRESH") {
        o.box_thresh = v.parse().unwrap();
    }
    let e = PaddleEngine::load_with(std::path::Path::new(&args[0]), o).unwrap();
    eprintln!("load {:?}", t.elapsed());
    for p in &args[1..] {
        let bytes = std::fs::read(p).unwrap();
        let t = Instant::now();
        let img = ocr::decode_image(&bytes, &Limits::default()).unwrap();
        let td = t.elapsed();
        let lines = e.recognize(&img).unwrap();
        println!("== {p} decode {:?} total {:?}", td, t.elapsed());
        for l in lines {
            println!(
                "{:.2} {:?} [{:.0},{:.0}]-[{:.0},{:.0}]",
                l.confidence, l.text, l.quad[0].x, l.quad[0].y, l.quad[2].x, l.quad[2].y
            );
        }
    }
}
