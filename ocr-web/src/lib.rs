//! cardcrm's card reader in the browser: the `ocr` crate compiled to `wasm32-unknown-unknown` and
//! driven from a Web Worker (`www/worker.js`), so a phone can read a card with no server.
//!
//! [`Reader`] is the host-independent part (native too: `examples/read.rs` prints the same JSON
//! for the same image, which is how the browser test checks the WebAssembly build). On wasm,
//! `OcrReader` wraps it for JavaScript: built from the model files' bytes, `read(image)` returns
//! the JSON of [`Reader::read`].
//!
//! The result is `{engine, result}`, where `result` is the [`ocr::CardReading`] the server stores
//! for a scan (`service/src/scans/worker.rs`, `read_image`) — the same type, built by the same
//! `ocr::card_reading` — so the scan page can build its `ScanDraft` (lines with boxes, fields with
//! their source blocks, `CardReading::draft_fields`) from it as for a server reading.

use ocr::{Limits, OcrError, PaddleEngine, PaddleOptions, ParseHints, Reading, Stage};
use serde_json::{json, Value};

/// Stages of one [`Reader::read`], in order, as reported to its `on_stage`.
pub const STAGES: [&str; 4] = ["decoding", "detecting", "recognising", "parsing"];

/// The PP-OCR engine (the only engine a browser has: Tesseract is native code) and the parse
/// hints to read with.
pub struct Reader {
    engine: PaddleEngine,
}

impl Reader {
    /// From the contents of `ppocrv5_det.onnx`, `ppocrv5_rec.onnx`, `ppocrv5_cls.onnx` and
    /// `ppocr_keys_v5.txt` (`ocr::MODEL_FILES`), with the server's default options.
    pub fn from_bytes(det: Vec<u8>, rec: Vec<u8>, cls: Vec<u8>, keys: &str) -> Result<Reader, OcrError> {
        Ok(Reader { engine: PaddleEngine::from_bytes(det, rec, cls, keys, PaddleOptions::default())? })
    }

    /// From a models directory (native only: the reference reading the browser's is compared with).
    pub fn load(models_dir: &std::path::Path) -> Result<Reader, OcrError> {
        Ok(Reader { engine: PaddleEngine::load(models_dir)? })
    }

    /// Decode, read and parse one image, as the server's scan worker does with a pipeline whose
    /// only engine is PP-OCR: same steps, same order, same JSON. `now_ms` is the host's clock
    /// (milliseconds), `on_stage` is called with each name of [`STAGES`] as that stage begins.
    pub fn read(
        &self,
        bytes: &[u8],
        hints: &ParseHints,
        now_ms: &dyn Fn() -> f64,
        on_stage: &mut dyn FnMut(&'static str),
    ) -> Result<Value, OcrError> {
        let ms = |from: f64| (now_ms() - from).max(0.0).round() as u64;
        on_stage(STAGES[0]);
        let t0 = now_ms();
        let img = ocr::decode_image(bytes, &Limits::default())?;
        let decode_ms = ms(t0);
        let t1 = now_ms();
        let lines = self.engine.recognize_staged(&img, &mut |s| {
            on_stage(match s {
                Stage::Detecting => STAGES[1],
                Stage::Recognising => STAGES[2],
            })
        })?;
        // What `ocr::Pipeline::read` returns for a pipeline of this one engine (no fallback).
        let mut reading = Reading { engine: "paddle".into(), lines, elapsed_ms: 0, tried: vec!["paddle".into()] };
        let ocr_ms = ms(t1);
        on_stage(STAGES[3]);
        let t2 = now_ms();
        let mut parsed = ocr::parse_card(&reading.lines, hints);
        let parse_ms = ms(t2);
        let t3 = now_ms();
        if let Some(qr) = ocr::decode_qr(&img) {
            ocr::merge_qr(&mut parsed, qr);
        }
        let qr_ms = ms(t3);
        reading.elapsed_ms = ms(t0);
        let size = ocr::ImageSize { width: img.width(), height: img.height() };
        let timings =
            ocr::Timings { decode_ms, ocr_ms, parse_ms, qr_ms, total_ms: reading.elapsed_ms, queued_ms: None };
        let result = ocr::card_reading(&parsed, &reading, size, hints, timings);
        // PP-OCR reads Latin letters only: a Cyrillic card comes out as look-alikes, which the
        // server's pipeline would send to Tesseract. The page offers the server for such a card.
        let cyrillic = ocr::looks_cyrillic(&reading.lines);
        Ok(json!({ "engine": reading.engine, "result": result, "cyrillic": cyrillic }))
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod web {
    use wasm_bindgen::prelude::*;

    use super::Reader;

    #[wasm_bindgen]
    extern "C" {
        /// `performance.now()`: a worker's `self.performance` like a window's.
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    /// The card reader for JavaScript (see `www/worker.js`).
    #[wasm_bindgen]
    pub struct OcrReader(Reader);

    #[wasm_bindgen]
    impl OcrReader {
        /// Load the engine from the model files' bytes (det, rec, cls ONNX; the dictionary text
        /// as bytes). Takes about as long as the server's model load; call once per worker.
        #[wasm_bindgen(constructor)]
        pub fn new(det: Vec<u8>, rec: Vec<u8>, cls: Vec<u8>, keys: Vec<u8>) -> Result<OcrReader, JsError> {
            console_error_panic_hook::set_once();
            let keys = String::from_utf8(keys).map_err(|_| JsError::new("ppocr_keys_v5.txt is not UTF-8"))?;
            Ok(OcrReader(Reader::from_bytes(det, rec, cls, &keys).map_err(|e| JsError::new(&e.to_string()))?))
        }

        /// Read one image (JPEG, PNG, WebP, GIF, BMP or TIFF bytes). `hints_json`: `ocr::ParseHints`
        /// as JSON (`{"default_region":"DE","known_companies":[],"title_words":[]}`), or empty for
        /// the defaults. `on_stage(name)` is called as each stage begins. Returns the JSON text of
        /// `{engine, result}` (see the crate documentation).
        pub fn read(&self, image: &[u8], hints_json: &str, on_stage: &js_sys::Function) -> Result<String, JsError> {
            let hints: ocr::ParseHints = if hints_json.trim().is_empty() {
                ocr::ParseHints::default()
            } else {
                serde_json::from_str(hints_json).map_err(|e| JsError::new(&format!("hints: {e}")))?
            };
            let mut stage = |s: &'static str| {
                let _ = on_stage.call1(&JsValue::NULL, &JsValue::from_str(s));
            };
            let v =
                self.0.read(image, &hints, &performance_now, &mut stage).map_err(|e| JsError::new(&e.to_string()))?;
            Ok(v.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The models of `scripts/fetch-models.sh models` (or $CARDCRM_MODELS_DIR); `None` skips.
    fn models() -> Option<std::path::PathBuf> {
        let dirs = [
            std::env::var_os("CARDCRM_MODELS_DIR").map(Into::into),
            Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")),
        ];
        let dir = dirs.into_iter().flatten().find(|d| ocr::MODEL_FILES.iter().all(|f| d.join(f).is_file()));
        if dir.is_none() {
            eprintln!("SKIP: OCR models not installed — run scripts/fetch-models.sh models");
        }
        dir
    }

    #[test]
    fn reads_in_the_servers_shape_and_reports_every_stage_in_order() {
        let Some(dir) = models() else { return };
        let f = |i: usize| std::fs::read(dir.join(ocr::MODEL_FILES[i])).unwrap();
        let reader = Reader::from_bytes(f(0), f(1), f(2), &String::from_utf8(f(3)).unwrap()).unwrap();
        let img =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/synthetic/easy/card-000.jpg"))
                .unwrap();
        let mut stages = Vec::new();
        let v = reader.read(&img, &ParseHints::default(), &|| 0.0, &mut |s| stages.push(s)).unwrap();
        assert_eq!(stages, STAGES);
        assert_eq!(v["engine"], "paddle");
        assert_eq!(v["cyrillic"], false);
        let r = &v["result"];
        assert_eq!(r["fields"]["full_name"], "Bianca Lee");
        assert_eq!(r["fields"]["blocks"]["full_name"], serde_json::json!([1]));
        assert!(r["fields"].get("lines").is_none() && r["fields"].get("engine").is_none());
        assert_eq!(r["lines"][1]["text"], "Bianca Lee");
        assert!(r["image"]["width"].as_u64().unwrap() > 0);
        for k in ["decode_ms", "ocr_ms", "parse_ms", "qr_ms", "total_ms"] {
            assert!(r["timings"][k].is_u64(), "{k}");
        }
        let err = reader.read(b"not an image", &ParseHints::default(), &|| 0.0, &mut |_| {}).unwrap_err();
        assert!(err.is_client_error(), "{err}");
    }
}
