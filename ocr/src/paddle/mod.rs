//! PP-OCRv5 mobile pipeline on rten: DB text detection → rotated boxes (unclip) → page orientation
//! (box axes + PP-LCNet 0/180° text-line classifier) → upright crops → CRNN recognition with CTC
//! decoding against `ppocr_keys_v5.txt`.

use std::path::{Path, PathBuf};

use image::{DynamicImage, RgbImage};
use rten::Model;
use rten_imageproc::{PointF, RotatedRect, Vec2};
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;

static DEBUG_CTC: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| std::env::var_os("OCR_DEBUG_CTC").is_some());

use crate::accents::Accents;
use crate::clock::Instant;
use crate::geometry::{min_area_rect, sample_box, shrink_thumbnail, TextBox, V2};
use crate::{Engine, Line, OcrError, FETCH_MODELS_COMMAND};

/// The files `scripts/fetch-models.sh` installs and [`PaddleEngine::load`] needs.
pub const MODEL_FILES: [&str; 4] = ["ppocrv5_det.onnx", "ppocrv5_rec.onnx", "ppocrv5_cls.onnx", "ppocr_keys_v5.txt"];

/// Tunables of the PP-OCR pipeline (defaults follow PaddleOCR's PP-OCRv5 settings where they exist).
#[derive(Debug, Clone)]
pub struct PaddleOptions {
    /// Longest side of the detector input (rounded to a multiple of 32) of the first, cheap pass.
    pub det_max_side: u32,
    /// Longest side of the second detection pass, run only when the first pass found small text
    /// (see `det_min_text_px`); 0 disables it.
    pub det_fallback_side: u32,
    /// Median text-line height (detector-map pixels, before unclip) below which the first pass is
    /// redone at `det_fallback_side`.
    pub det_min_text_px: f32,
    /// Probability threshold of the DB binary map.
    pub det_thresh: f32,
    /// Minimum mean probability inside a box.
    pub box_thresh: f32,
    /// DB unclip ratio.
    pub unclip_ratio: f32,
    /// Recognition input height.
    pub rec_height: u32,
    /// Number of text lines the orientation classifier looks at.
    pub cls_lines: usize,
    /// The recogniser reads the longest line first; when it reads it with at least this mean
    /// confidence (and [`UPRIGHT_MIN_CHARS`] characters), the page is taken as upright and the
    /// orientation classifier is skipped. Above 1: always ask the classifier.
    pub cls_skip_confidence: f32,
    /// Drop lines whose recognition confidence is below this.
    pub min_line_confidence: f32,
    /// Text lines per recogniser batch (a batch is padded to its widest line).
    pub rec_batch: usize,
    /// Cut the recogniser's output layer down to the characters cards are written in (see
    /// [`load::card_character`]): about 2,300 of its 18,385 classes, most of them Chinese characters.
    pub rec_card_characters: bool,
}

impl Default for PaddleOptions {
    fn default() -> Self {
        PaddleOptions {
            det_max_side: 512,
            det_fallback_side: 960,
            det_min_text_px: 5.0,
            det_thresh: 0.3,
            box_thresh: 0.6,
            unclip_ratio: 1.5,
            rec_height: 48,
            cls_lines: 3,
            cls_skip_confidence: 0.93,
            min_line_confidence: 0.5,
            rec_batch: 1,
            rec_card_characters: true,
        }
    }
}

/// The orientation classifier is "sure" of a line when its upside-down probability is below this
/// or above 1 − this; one sure line decides the page orientation.
const CLS_SURE: f32 = 0.05;

/// Characters (not counting spaces) the longest line must have for its confident reading to
/// tell that the page is upright.
const UPRIGHT_MIN_CHARS: usize = 8;

/// Whether a reading of a line as it stands shows the line is upright: at least
/// [`UPRIGHT_MIN_CHARS`] characters read with a mean confidence of at least `min_conf`.
fn reads_upright((text, conf): &(String, f32), min_conf: f32) -> bool {
    *conf >= min_conf && text.chars().filter(|c| !c.is_whitespace()).count() >= UPRIGHT_MIN_CHARS
}

/// Text covering less than this share of the image (its bounding box) is detected again on its region.
const REGION_FRAC: f32 = 0.1;

/// PP-OCRv5 mobile det + textline-orientation cls + rec.
pub struct PaddleEngine {
    det: Model,
    rec: Model,
    cls: Model,
    keys: Vec<String>,
    accents: Accents,
    opts: PaddleOptions,
}

impl std::fmt::Debug for PaddleEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaddleEngine").field("keys", &self.keys.len()).field("opts", &self.opts).finish_non_exhaustive()
    }
}

mod detect;
mod load;

use detect::{box_score, components, merge_line_boxes, to_nchw};
#[cfg(test)]
use load::card_character;
use load::{dictionary, load_model, load_rec_kept, model_options, need};

impl PaddleEngine {
    /// Load the models from `models_dir` (see [`MODEL_FILES`]). A missing file gives an error
    /// naming `scripts/fetch-models.sh`.
    pub fn load(models_dir: &Path) -> Result<Self, OcrError> {
        Self::load_with(models_dir, PaddleOptions::default())
    }

    pub fn load_with(models_dir: &Path, opts: PaddleOptions) -> Result<Self, OcrError> {
        let paths: Vec<PathBuf> = MODEL_FILES.iter().map(|f| need(models_dir, f)).collect::<Result<_, _>>()?;
        let keys_text = std::fs::read_to_string(&paths[3])
            .map_err(|e| OcrError::ModelLoad { path: paths[3].display().to_string(), msg: e.to_string() })?;
        let (keys, kept) = dictionary(&keys_text, &opts);
        let det = load_model(&paths[0])?;
        let cut = match &kept {
            Some(kept) => {
                let name = paths[1].display().to_string();
                let bytes = std::fs::read(&paths[1])
                    .map_err(|e| OcrError::ModelLoad { path: name.clone(), msg: e.to_string() })?;
                load_rec_kept(bytes.into(), &name, keys.len(), kept)?
            }
            None => None,
        };
        let rec_whole = || load_model(&paths[1]);
        let cls = load_model(&paths[2])?;
        Self::assemble(det, cut, rec_whole, cls, keys, kept, opts)
    }

    /// Load the models from their contents (`det`, `rec`, `cls`: the ONNX files of [`MODEL_FILES`],
    /// `keys`: the dictionary's text), for hosts without a filesystem: the browser build fetches
    /// the files and hands them over. Same engine as [`PaddleEngine::load_with`] on the same files.
    pub fn from_bytes(
        det: Vec<u8>,
        rec: Vec<u8>,
        cls: Vec<u8>,
        keys: &str,
        opts: PaddleOptions,
    ) -> Result<Self, OcrError> {
        let load = |bytes: Vec<u8>, name: &str| {
            model_options().load(bytes).map_err(|e| OcrError::ModelLoad { path: name.to_string(), msg: e.to_string() })
        };
        let (keys, kept) = dictionary(keys, &opts);
        let det = load(det, MODEL_FILES[0])?;
        let cut = match &kept {
            Some(kept) => load_rec_kept((&rec[..]).into(), MODEL_FILES[1], keys.len(), kept)?,
            None => None,
        };
        let rec_whole = || load(rec, MODEL_FILES[1]);
        let cls = load(cls, MODEL_FILES[2])?;
        Self::assemble(det, cut, rec_whole, cls, keys, kept, opts)
    }

    /// The engine from loaded models: the recogniser cut to `kept` classes when that worked
    /// (`cut`), else loaded whole by `rec_whole` with the whole dictionary.
    fn assemble(
        det: Model,
        cut: Option<Model>,
        rec_whole: impl FnOnce() -> Result<Model, OcrError>,
        cls: Model,
        mut keys: Vec<String>,
        kept: Option<Vec<usize>>,
        opts: PaddleOptions,
    ) -> Result<Self, OcrError> {
        let rec = match (cut, kept) {
            (Some(model), Some(kept)) => {
                keys = kept.iter().map(|&i| std::mem::take(&mut keys[i])).collect();
                model
            }
            _ => rec_whole()?,
        };
        let accents = Accents::new(&keys);
        Ok(PaddleEngine { det, rec, cls, keys, accents, opts })
    }

    pub fn options(&self) -> &PaddleOptions {
        &self.opts
    }

    /// Text detection: rotated boxes in original-image coordinates (reading axis not yet decided).
    /// A cheap pass at `det_max_side` first; when its text is small (median line height under
    /// `det_min_text_px` detector pixels) the image is detected again at `det_fallback_side`.
    fn detect(&self, img: &RgbImage) -> Result<Vec<TextBox>, OcrError> {
        let (boxes, heights, scaled) = self.detect_at(img, self.opts.det_max_side)?;
        let fallback = self.opts.det_fallback_side;
        if !scaled || fallback <= self.opts.det_max_side {
            return Ok(boxes);
        }
        let median = if heights.is_empty() {
            0.0
        } else {
            let mut h = heights;
            h.sort_by(f32::total_cmp);
            h[h.len() / 2]
        };
        // The text's extent: a card small in a large photo is detected again on its own region.
        let (w0, h0) = (img.width() as f32, img.height() as f32);
        let (mut x0, mut y0, mut x1, mut y1) = (w0, h0, 0f32, 0f32);
        for p in boxes.iter().flat_map(|b| b.quad()) {
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        let frac = if boxes.is_empty() { 1.0 } else { ((x1 - x0).max(0.0) * (y1 - y0).max(0.0)) / (w0 * h0) };
        let small = median < self.opts.det_min_text_px || frac < REGION_FRAC;
        if std::env::var_os("OCR_TIMING").is_some() {
            eprintln!(
                "det pass 1: {} boxes, median height {median:.1} px, text region {:.0} % of the image, again: {small}",
                boxes.len(),
                frac * 100.0
            );
        }
        if !small {
            return Ok(boxes);
        }
        if frac < REGION_FRAC {
            // Zoom into the region, with a wide margin for text the first pass missed.
            let m = 0.5 * (x1 - x0).max(y1 - y0);
            let rx0 = (x0 - m).max(0.0) as u32;
            let ry0 = (y0 - m).max(0.0) as u32;
            let rx1 = ((x1 + m).min(w0) as u32).max(rx0 + 1);
            let ry1 = ((y1 + m).min(h0) as u32).max(ry0 + 1);
            let crop = image::imageops::crop_imm(img, rx0, ry0, rx1 - rx0, ry1 - ry0).to_image();
            let (mut boxes, _, _) = self.detect_at(&crop, fallback)?;
            for b in boxes.iter_mut() {
                b.center = b.center.add(V2::new(rx0 as f32, ry0 as f32));
            }
            return Ok(boxes);
        }
        Ok(self.detect_at(img, fallback)?.0)
    }

    /// One detection pass with the longest side scaled to `max_side`. Returns the boxes, each
    /// box's text height in detector pixels, and whether the image was scaled down.
    fn detect_at(&self, img: &RgbImage, max_side: u32) -> Result<(Vec<TextBox>, Vec<f32>, bool), OcrError> {
        let (w0, h0) = img.dimensions();
        let scale = (max_side as f32 / w0.max(h0) as f32).min(1.0);
        let rw = (((w0 as f32 * scale) / 32.0).round() as u32).max(1) * 32;
        let rh = (((h0 as f32 * scale) / 32.0).round() as u32).max(1) * 32;
        let resized = if rw < w0 && rh < h0 {
            shrink_thumbnail(img, rw, rh)
        } else {
            image::imageops::resize(img, rw, rh, image::imageops::FilterType::Triangle)
        };
        let input = to_nchw(&resized, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        let out = self.det.run_one(input.into(), None).map_err(|e| OcrError::Inference(e.to_string()))?;
        let prob: NdTensor<f32, 4> = out.try_into().map_err(|e| OcrError::Inference(format!("det output: {e:?}")))?;
        let [_, _, ph, pw] = prob.shape();
        let prob = prob.to_vec();
        let mask: Vec<bool> = prob.iter().map(|&p| p > self.opts.det_thresh).collect();
        let contours = components(&mask, pw, ph);
        let (fx, fy) = (w0 as f32 / pw as f32, h0 as f32 / ph as f32);
        let mut boxes = Vec::new();
        let mut heights = Vec::new();
        for pts in contours.iter() {
            if pts.len() < 4 {
                continue;
            }
            let Some((c, axis, rw_, rh_)) = min_area_rect(pts) else { continue };
            if rw_.min(rh_) < 3.0 {
                continue;
            }
            let rect = RotatedRect::new(PointF::from_yx(c.y, c.x), Vec2::from_xy(-axis.y, axis.x), rw_, rh_);
            let score = box_score(&prob, pw, ph, &rect);
            if score < self.opts.box_thresh {
                continue;
            }
            // Unclip: offset the rectangle outwards by area * ratio / perimeter.
            let d = rw_ * rh_ * self.opts.unclip_ratio / (2.0 * (rw_ + rh_));
            let (ew, eh) = (rw_ + 2.0 * d, rh_ + 2.0 * d);
            if ew.min(eh) < 5.0 {
                continue;
            }
            let uax = axis;
            let vax = V2::new(-axis.y, axis.x);
            let c = V2::new(c.x + 0.5, c.y + 0.5); // pixel centres
                                                   // Scale to original-image pixels (axes may stretch when fx != fy).
            let center = V2::new(c.x * fx, c.y * fy);
            let ua = V2::new(uax.x * fx, uax.y * fy);
            let va = V2::new(vax.x * fx, vax.y * fy);
            let (half_w, half_h) = (ew / 2.0 * ua.len(), eh / 2.0 * va.len());
            boxes.push(TextBox { center, u: ua.norm(), v: va.norm(), half_w, half_h, score });
            heights.push(rw_.min(rh_));
        }
        Ok((boxes, heights, scale < 1.0))
    }

    /// Probability that a crop is upside down, per crop.
    fn upside_down(&self, crops: &[RgbImage]) -> Result<Vec<f32>, OcrError> {
        let mut out = Vec::with_capacity(crops.len());
        for c in crops {
            let r = image::imageops::resize(c, 160, 80, image::imageops::FilterType::Triangle);
            let input = to_nchw(&r, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
            let o = self.cls.run_one(input.into(), None).map_err(|e| OcrError::Inference(e.to_string()))?;
            let t: NdTensor<f32, 2> = o.try_into().map_err(|e| OcrError::Inference(format!("cls output: {e:?}")))?;
            let v = t.to_vec();
            let (a, b) = (v[0], v.get(1).copied().unwrap_or(0.0));
            // The exported model ends in softmax; normalise anyway in case it does not.
            let p = if (a + b - 1.0).abs() < 1e-3 && a >= 0.0 && b >= 0.0 {
                b
            } else {
                let m = a.max(b);
                let (ea, eb) = ((a - m).exp(), (b - m).exp());
                eb / (ea + eb)
            };
            out.push(p);
        }
        Ok(out)
    }

    fn crop(&self, img: &RgbImage, b: &TextBox) -> RgbImage {
        let h = self.opts.rec_height;
        let ratio = (b.half_w / b.half_h.max(1e-3)).clamp(0.25, 40.0);
        let w = ((h as f32 * ratio).ceil() as u32).clamp(8, h * 40);
        sample_box(img, b, w, h)
    }

    /// Recognise crops of height `rec_height`; returns (text, confidence) per crop.
    fn recognize_crops(&self, crops: &[RgbImage]) -> Result<Vec<(String, f32)>, OcrError> {
        let mut results = vec![(String::new(), 0.0); crops.len()];
        // Batch crops of similar width: sort by width, pad each batch to its widest crop.
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by_key(|&i| crops[i].width());
        let batch = self.opts.rec_batch.max(1);
        let h = self.opts.rec_height as usize;
        for chunk in order.chunks(batch) {
            let maxw = chunk.iter().map(|&i| crops[i].width() as usize).max().unwrap_or(8);
            // Some blank margin on the right helps the last character (PaddleOCR pads to >= 320).
            let padw = (maxw + h / 2).max(h * 2).div_ceil(8) * 8;
            let n = chunk.len();
            let mut data = vec![0f32; n * 3 * h * padw];
            for (bi, &ci) in chunk.iter().enumerate() {
                let c = &crops[ci];
                let cw = c.width() as usize;
                for (y, row) in c.as_raw().chunks_exact(cw * 3).take(h).enumerate() {
                    // BGR order, (x/255 - 0.5) / 0.5
                    for (ch, src) in [2usize, 1, 0].into_iter().enumerate() {
                        let start = ((bi * 3 + ch) * h + y) * padw;
                        for (d, p) in data[start..start + cw].iter_mut().zip(row.chunks_exact(3)) {
                            *d = p[src] as f32 / 127.5 - 1.0;
                        }
                    }
                }
            }
            let input = NdTensor::from_data([n, 3, h, padw], data);
            let out = self.rec.run_one(input.into(), None).map_err(|e| OcrError::Inference(e.to_string()))?;
            let probs: NdTensor<f32, 3> =
                out.try_into().map_err(|e| OcrError::Inference(format!("rec output: {e:?}")))?;
            let [_, t, classes] = probs.shape();
            let flat = probs.to_vec();
            for (bi, &ci) in chunk.iter().enumerate() {
                // Only the time steps covering the real (unpadded) crop.
                let steps = ((crops[ci].width() as usize * t).div_ceil(padw) + 1).min(t);
                let seq = &flat[bi * t * classes..(bi + 1) * t * classes];
                results[ci] = self.ctc_decode(seq, steps, classes);
            }
        }
        Ok(results)
    }

    /// `OCR_DEBUG_CTC=1`: the three most likely characters of an emitted step, when one is not ASCII.
    fn debug_step(&self, row: &[f32]) {
        let mut top: Vec<(usize, f32)> = row.iter().copied().enumerate().collect();
        top.select_nth_unstable_by(4, |a, b| b.1.total_cmp(&a.1));
        top.truncate(4);
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        let k = |i: usize| self.keys.get(i).map(String::as_str).unwrap_or("?");
        if top[1].1 >= 0.02
            && top.iter().any(|&(i, p)| p >= 0.02 && !k(i).is_ascii() && k(i).chars().all(char::is_alphabetic))
        {
            let s: Vec<String> = top.iter().map(|&(i, p)| format!("{:?} {p:.3}", k(i))).collect();
            eprintln!("ctc: {}", s.join("  "));
        }
    }

    fn ctc_decode(&self, seq: &[f32], steps: usize, classes: usize) -> (String, f32) {
        let mut text = String::new();
        let mut confs = Vec::new();
        let mut prev = 0usize;
        for s in 0..steps {
            let row = &seq[s * classes..(s + 1) * classes];
            let (mut best, mut bp) = (0usize, f32::MIN);
            for (i, &p) in row.iter().enumerate() {
                if p > bp {
                    bp = p;
                    best = i;
                }
            }
            if best != 0 && best != prev {
                if *DEBUG_CTC {
                    self.debug_step(row);
                }
                if let Some(c) = self.accents.choose(best, row) {
                    if *DEBUG_CTC {
                        eprintln!("ctc: {:?} -> {c:?}", self.keys[best]);
                    }
                    text.push(c);
                    confs.push(bp);
                } else if let Some(k) = self.keys.get(best) {
                    text.push_str(if k.is_empty() { " " } else { k });
                    confs.push(bp);
                }
            }
            prev = best;
        }
        let conf = if confs.is_empty() { 0.0 } else { confs.iter().sum::<f32>() / confs.len() as f32 };
        (text.trim().to_string(), conf)
    }
}

impl Engine for PaddleEngine {
    fn name(&self) -> &'static str {
        "paddle"
    }

    fn recognize(&self, img: &DynamicImage) -> Result<Vec<Line>, OcrError> {
        self.recognize_staged(img, &mut |_| {})
    }
}

/// What [`PaddleEngine::recognize_staged`] is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Text detection (one or two detector passes).
    Detecting,
    /// Page orientation and recognition of the detected lines.
    Recognising,
}

impl PaddleEngine {
    /// [`Engine::recognize`], calling `on_stage` as each stage begins: a browser worker, where one
    /// read takes seconds, reports its progress from it.
    pub fn recognize_staged(&self, img: &DynamicImage, on_stage: &mut dyn FnMut(Stage)) -> Result<Vec<Line>, OcrError> {
        let t0 = Instant::now();
        let owned;
        let rgb: &RgbImage = match img.as_rgb8() {
            Some(r) => r,
            None => {
                owned = img.to_rgb8();
                &owned
            }
        };
        on_stage(Stage::Detecting);
        let mut boxes = self.detect(rgb)?;
        let t_det = t0.elapsed();
        if boxes.is_empty() {
            return Ok(Vec::new());
        }
        on_stage(Stage::Recognising);
        // Page orientation. 1) Are the text lines horizontal or vertical in the image?
        let (mut horiz, mut vert) = (0f32, 0f32);
        for b in &boxes {
            let (long, short, axis) =
                if b.half_w >= b.half_h { (b.half_w, b.half_h, b.u) } else { (b.half_h, b.half_w, b.v) };
            if long >= 2.0 * short {
                if axis.x.abs() >= axis.y.abs() {
                    horiz += long;
                } else {
                    vert += long;
                }
            }
        }
        let (mut right, mut down) =
            if vert > horiz { (V2::new(0.0, 1.0), V2::new(-1.0, 0.0)) } else { (V2::new(1.0, 0.0), V2::new(0.0, 1.0)) };
        for b in boxes.iter_mut() {
            b.orient(right, down);
        }
        // 2) Upside down? Ask the text-line classifier about the longest lines.
        let mut by_len: Vec<usize> = (0..boxes.len()).collect();
        by_len.sort_by(|&a, &b| boxes[b].half_w.total_cmp(&boxes[a].half_w));
        // First the recogniser reads the longest line as it stands. When it reads it confidently,
        // the line is upright: the classifier is not needed and the text is kept for later.
        let mut first_read: Option<(TextBox, (String, f32))> = None;
        if let Some(&i) = by_len.first().filter(|&&i| boxes[i].half_w >= 1.5 * boxes[i].half_h) {
            if self.opts.cls_skip_confidence <= 1.0 {
                let read = self.recognize_crops(&[self.crop(rgb, &boxes[i])])?.remove(0);
                first_read = Some((boxes[i], read));
            }
        }
        let upright = first_read.as_ref().is_some_and(|(_, r)| reads_upright(r, self.opts.cls_skip_confidence));
        // Otherwise the classifier, one line at a time: the first (longest) line decides alone when
        // the classifier is sure of it, which is the usual case; otherwise up to `cls_lines` lines vote.
        let mut p = Vec::new();
        for &i in by_len
            .iter()
            .take(if upright { 0 } else { self.opts.cls_lines })
            .filter(|&&i| boxes[i].half_w >= 1.5 * boxes[i].half_h)
        {
            let q = self.upside_down(&[self.crop(rgb, &boxes[i])])?[0];
            p.push(q);
            if p.len() == 1 && !(CLS_SURE..=1.0 - CLS_SURE).contains(&q) {
                break;
            }
        }
        if !p.is_empty() {
            let flipped = p.iter().filter(|&&x| x > 0.5).count();
            let mean = p.iter().sum::<f32>() / p.len() as f32;
            if flipped * 2 > p.len() && mean > 0.5 {
                right = right.scale(-1.0);
                down = down.scale(-1.0);
                first_read = None; // read upside down
                for b in boxes.iter_mut() {
                    b.orient(right, down);
                }
            }
        }
        // Deskew: the page's reading direction is the length-weighted mean of the boxes' axes.
        let (mut sx, mut sy) = (0f32, 0f32);
        for b in &boxes {
            if b.half_w >= 1.5 * b.half_h {
                sx += b.u.x * b.half_w;
                sy += b.u.y * b.half_w;
            }
        }
        let page_right = if sx * sx + sy * sy > 0.0 { V2::new(sx, sy).norm() } else { right };
        let page_down = V2::new(-page_right.y, page_right.x);
        let mut boxes = merge_line_boxes(boxes, page_right, page_down);
        // Reading order in the deskewed upright frame: top to bottom, then left to right.
        boxes.sort_by(|a, b| {
            let (ya, yb) = (a.center.dot(page_down), b.center.dot(page_down));
            let tol = a.half_h.min(b.half_h) * 0.6;
            if (ya - yb).abs() <= tol {
                a.center.dot(page_right).total_cmp(&b.center.dot(page_right))
            } else {
                ya.total_cmp(&yb)
            }
        });
        let t_cls = t0.elapsed();
        // The line read above, if it was upright and came through merging unchanged, is not read
        // again: its reading goes back in at its place among the others.
        let reused = first_read.and_then(|(k, r)| Some((boxes.iter().position(|b| k.same_as(b))?, r)));
        let crops: Vec<RgbImage> = (0..boxes.len())
            .filter(|&i| reused.as_ref().is_none_or(|(j, _)| *j != i))
            .map(|i| self.crop(rgb, &boxes[i]))
            .collect();
        let t_crop = t0.elapsed();
        let mut texts = self.recognize_crops(&crops)?;
        if let Some((i, r)) = reused {
            texts.insert(i, r);
        }
        if std::env::var_os("OCR_TIMING").is_some() {
            eprintln!(
                "det {:?} cls {:?} crop {:?} rec {:?} ({} boxes)",
                t_det,
                t_cls - t_det,
                t_crop - t_cls,
                t0.elapsed() - t_crop,
                boxes.len()
            );
        }
        let mut lines = Vec::new();
        for (b, (text, conf)) in boxes.iter().zip(texts) {
            if text.is_empty() || conf < self.opts.min_line_confidence {
                continue;
            }
            lines.push(Line { text, confidence: conf, quad: b.quad() });
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::{card_character, reads_upright};

    #[test]
    fn a_confident_reading_of_enough_characters_tells_the_page_is_upright() {
        let r = |t: &str, c: f32| reads_upright(&(t.to_string(), c), 0.93);
        assert!(r("bianca.lee@bradshawmcdona.ru", 0.98));
        assert!(r("Tel: +1 555", 0.93));
        assert!(!r("Tel: +1 555", 0.92), "not confident enough");
        assert!(!r("SOS  NOON", 0.99), "7 characters: reads the same upside down");
        assert!(!r("", 1.0));
    }

    #[test]
    fn card_characters_keep_latin_greek_cyrillic_symbols_and_drop_cjk() {
        for k in
            ["a", "Z", "7", "@", "ß", "é", "Ł", "ő", "ω", "Ж", "№", "€", "–", "☎", "✉", "＠", "📞", "blank", " ", "🇩🇪"]
        {
            assert!(card_character(k), "{k:?} must be kept");
        }
        for k in ["一", "中", "あ", "ア", "한"] {
            assert!(!card_character(k), "{k:?} must be cut");
        }
    }
}
