//! cardcrm OCR: pure functions from image bytes to text lines and from card text to contact fields.
//!
//! * [`decode_image`] — sniff, bound and decode an uploaded image (decompression-bomb safe, EXIF orientation).
//! * [`Engine`] — a text recogniser returning [`Line`]s with rotated boxes; [`PaddleEngine`] runs the
//!   PP-OCRv5 mobile det/cls/rec ONNX models on rten; `TesseractEngine` (feature `tesseract`) reads Cyrillic.
//! * [`Pipeline`] — engine order and fallback (low confidence, Cyrillic script).
//! * [`parse_card`] — lines + boxes → [`ParsedCard`] fields linked to source blocks.
//! * [`find_cards`] / [`crop_card`] — several cards laid out in one photo, each cut out to be read alone.
//! * [`decode_qr`] / [`merge_qr`] — vCard / MeCard QR codes.
//! * [`learn_hints`] — what users corrected → [`ParseHints`] for the next cards.
//! * [`card_reading`] — all of it as one typed [`CardReading`] (crate `card-reading`), what a scan
//!   stores and the on-device reader answers.
//!
//! No database, no network, no async runtime. Models are files on disk fetched at install time
//! by `scripts/fetch-models.sh`, or their bytes ([`PaddleEngine::from_bytes`]): the crate also
//! builds for `wasm32-unknown-unknown` (default features; `ocr-web` runs it in a browser worker).

mod accents;
mod cards;
mod clock;
mod geometry;
mod image_io;
mod learn;
mod paddle;
mod parse;
mod pipeline;
mod qr;
mod result;
#[cfg(feature = "tesseract")]
mod tess;

use serde::{Deserialize, Serialize};

pub use card_reading::{CardReading, HintCounts, ImageSize, ReadEmail, ReadFields, ScanLine, Timings};
pub use cards::{card_photos, crop_card, find_cards, CardRegion, MAX_CARDS};
pub use image_io::{decode_image, Limits};
pub use learn::{learn_hints, Correction, MAX_LEARNED};
pub use paddle::{PaddleEngine, PaddleOptions, Stage, MODEL_FILES};
pub use parse::{
    parse_card, ParseHints, ParsedCard, ParsedField, ParsedPhone, MAX_LINE_CHARS, MAX_PARSE_LINES, MAX_PHONES,
};
pub use pipeline::{looks_cyrillic, FallbackPolicy, Pipeline, Reading};
pub use qr::{decode_qr, merge_qr, parse_mecard, parse_vcard, qr_gray, QR_SIDE};
pub use result::{card_json, card_reading, read_fields, scan_lines};
#[cfg(feature = "tesseract")]
pub use tess::{limit_openmp_threads, TesseractEngine};

/// The engines this build has, in the default order: PP-OCR first, then (feature `tesseract`)
/// Tesseract `rus+eng` as the Cyrillic / low-confidence fallback.
pub fn default_pipeline(models_dir: &std::path::Path) -> Result<Pipeline, OcrError> {
    #[allow(unused_mut)]
    let mut engines: Vec<Box<dyn Engine>> = vec![Box::new(PaddleEngine::load(models_dir)?)];
    #[cfg(feature = "tesseract")]
    engines.push(Box::new(TesseractEngine::new(None, "rus+eng")?));
    Ok(Pipeline::new(engines))
}

/// Build a pipeline from an engine-order setting such as `["paddle", "tesseract"]`.
/// `tesseract` needs the `tesseract` cargo feature; unknown names are an error.
pub fn pipeline_from_names<S: AsRef<str>>(order: &[S], models_dir: &std::path::Path) -> Result<Pipeline, OcrError> {
    let engines =
        order.iter().map(|name| engine_from_name(name.as_ref(), models_dir)).collect::<Result<Vec<_>, _>>()?;
    if engines.is_empty() {
        return Err(OcrError::NoEngine);
    }
    Ok(Pipeline::new(engines))
}

/// One local engine of this build by its setting name (`paddle`, and with the `tesseract` feature
/// `tesseract`), for callers that mix it with engines of their own in a [`Pipeline`].
pub fn engine_from_name(name: &str, models_dir: &std::path::Path) -> Result<Box<dyn Engine>, OcrError> {
    match name {
        "paddle" => Ok(Box::new(PaddleEngine::load(models_dir)?)),
        #[cfg(feature = "tesseract")]
        "tesseract" => Ok(Box::new(TesseractEngine::new(None, "rus+eng")?)),
        other => Err(OcrError::Engine { engine: "pipeline", msg: format!("unknown or disabled engine {other:?}") }),
    }
}

/// Decode, read and parse one image: the whole `cardcrm ocr` step for one file.
pub fn read_card(
    pipeline: &Pipeline,
    bytes: &[u8],
    limits: &Limits,
    hints: &ParseHints,
) -> Result<(ParsedCard, Reading), OcrError> {
    let t = clock::Instant::now();
    let img = decode_image(bytes, limits)?;
    let mut reading = pipeline.read(&img)?;
    let mut parsed = parse_card(&reading.lines, hints);
    if let Some(qr) = decode_qr(&img) {
        merge_qr(&mut parsed, qr);
    }
    reading.elapsed_ms = t.elapsed().as_millis() as u64;
    Ok((parsed, reading))
}

/// The command that installs the model files; named in "model missing" errors.
pub const FETCH_MODELS_COMMAND: &str = "scripts/fetch-models.sh";

/// A point in original-image pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// One recognised text line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub text: String,
    /// 0..1
    pub confidence: f32,
    /// Rotated box in original-image pixel coordinates, clockwise from the top-left corner of the
    /// text as read (top-left, top-right, bottom-right, bottom-left).
    pub quad: [Point; 4],
}

impl Line {
    /// Height of the text line (mean length of the left and right edges).
    pub fn height(&self) -> f32 {
        let q = &self.quad;
        (dist(q[0], q[3]) + dist(q[1], q[2])) / 2.0
    }
    /// Width of the text line (mean length of the top and bottom edges).
    pub fn width(&self) -> f32 {
        let q = &self.quad;
        (dist(q[0], q[1]) + dist(q[3], q[2])) / 2.0
    }
    pub fn center(&self) -> Point {
        let q = &self.quad;
        Point { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4.0, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4.0 }
    }
}

fn dist(a: Point, b: Point) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("empty upload")]
    Empty,
    #[error("file too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    #[error("not a supported image (JPEG, PNG, WebP, GIF, BMP, TIFF)")]
    NotAnImage,
    #[error("image dimensions {width}x{height} exceed the limit ({reason})")]
    TooManyPixels { width: u32, height: u32, reason: String },
    #[error("could not decode image: {0}")]
    Decode(String),
    #[error("model file missing: {path} — run `{cmd}` to fetch the OCR models")]
    ModelMissing { path: String, cmd: &'static str },
    #[error("could not load model {path}: {msg}")]
    ModelLoad { path: String, msg: String },
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("engine {engine} unavailable: {msg}")]
    Engine { engine: &'static str, msg: String },
    #[error("no OCR engine configured")]
    NoEngine,
}

impl OcrError {
    /// True when the error is the caller's fault (bad upload) rather than the server's — maps to HTTP 4xx.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            OcrError::Empty
                | OcrError::TooLarge { .. }
                | OcrError::NotAnImage
                | OcrError::TooManyPixels { .. }
                | OcrError::Decode(_)
        )
    }
}

/// A text recogniser.
pub trait Engine: Send + Sync {
    fn name(&self) -> &'static str;
    fn recognize(&self, img: &image::DynamicImage) -> Result<Vec<Line>, OcrError>;
    /// Whether the engine can spell Cyrillic; the pipeline falls back to such an engine when the
    /// first one's output looks Russian.
    fn supports_cyrillic(&self) -> bool {
        false
    }
    /// Whether the engine reads only level, upright text; the pipeline then gives it a copy of the
    /// image turned upright by the reading direction an earlier engine found (default: false).
    fn wants_upright(&self) -> bool {
        false
    }
}
