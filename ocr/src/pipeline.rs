//! Engine order and fallback.

use serde::{Deserialize, Serialize};

use crate::clock::Instant;
use crate::geometry::{sample_box, TextBox, V2};
use crate::{Engine, Line, OcrError, Point};

/// Longest side of the upright copy given to engines that read only level text (Tesseract).
const UPRIGHT_MAX_SIDE: u32 = 2000;
/// Sine of the skew (≈ 2°) from which that copy is deskewed.
const UPRIGHT_MIN_SKEW: f32 = 0.035;

/// What one [`Pipeline::read`] produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Name of the engine whose lines these are.
    pub engine: String,
    pub lines: Vec<Line>,
    /// Wall-clock time of the whole read, all engines tried.
    pub elapsed_ms: u64,
    /// Engines run, in order, with why the pipeline moved on ("low-confidence", "cyrillic").
    pub tried: Vec<String>,
}

/// When to try the next engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallbackPolicy {
    /// Mean line confidence below this → next engine.
    pub min_confidence: f32,
    /// Cyrillic detected and the engine cannot spell it → next engine that can.
    pub cyrillic: bool,
}

impl Default for FallbackPolicy {
    fn default() -> Self {
        FallbackPolicy { min_confidence: 0.6, cyrillic: true }
    }
}

/// Engines in order of preference (a setting), with fallback.
pub struct Pipeline {
    engines: Vec<Box<dyn Engine>>,
    policy: FallbackPolicy,
}

fn mean_conf(lines: &[Line]) -> f32 {
    if lines.is_empty() {
        return 0.0;
    }
    let total: f32 = lines.iter().map(|l| l.text.chars().count() as f32).sum();
    lines.iter().map(|l| l.confidence * l.text.chars().count() as f32).sum::<f32>() / total.max(1.0)
}

/// Cheap script check on recognised lines: Cyrillic letters, or words that only a Latin-only
/// recogniser reading Cyrillic produces — Latin/Greek look-alikes with internal capitals
/// ("MoHeTKa", "MrHaTbeB"), Russian phone labels read as "Mo6."/"Ten."/"Oakc", +7 numbers.
pub fn looks_cyrillic(lines: &[Line]) -> bool {
    let mut cyr_letters = 0usize;
    let mut odd_words = 0usize;
    let mut hints = 0usize;
    for l in lines {
        let t = &l.text;
        cyr_letters += t.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count();
        if t.chars().any(|c| ('\u{0370}'..='\u{03FF}').contains(&c)) {
            odd_words += 1;
        }
        for w in t.split(|c: char| !c.is_alphabetic()) {
            let cs: Vec<char> = w.chars().collect();
            if cs.len() < 3 {
                continue;
            }
            // lower-case letter followed by an upper-case one inside a word, not Mc/Mac/O' names,
            // and only in words spelt with the Latin letters a Cyrillic word is read as: "GmbH",
            // "KGaA", "GbR" or "StraBe" (ß read as B) are German, not Cyrillic read as Latin.
            let inner_caps = cs.windows(2).filter(|p| p[0].is_lowercase() && p[1].is_uppercase()).count();
            let starts_mc = w.starts_with("Mc") || w.starts_with("Mac") || w.starts_with("De") || w.starts_with("La");
            let lookalike = cs.iter().all(|c| "ABCEHKMOPTXYIaceopxykmnrtubhi".contains(*c));
            if inner_caps >= 1 && !(starts_mc && inner_caps == 1) && lookalike {
                odd_words += 1;
            }
        }
        let lower = t.to_lowercase();
        if lower.starts_with("mo6")
            || lower.starts_with("ten.")
            || lower.starts_with("oakc")
            || lower.starts_with("mo.:")
        {
            hints += 1;
        }
        let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("+7(") || compact.contains("8(9") || compact.contains("8(4") {
            hints += 1;
        }
    }
    cyr_letters >= 3 || odd_words >= 2 || (odd_words >= 1 && hints >= 1) || hints >= 2
}

fn bbox(l: &Line) -> (f32, f32, f32, f32) {
    let xs = l.quad.map(|p| p.x);
    let ys = l.quad.map(|p| p.y);
    (
        xs.iter().cloned().fold(f32::MAX, f32::min),
        ys.iter().cloned().fold(f32::MAX, f32::min),
        xs.iter().cloned().fold(f32::MIN, f32::max),
        ys.iter().cloned().fold(f32::MIN, f32::max),
    )
}

fn is_latin_contact(text: &str) -> bool {
    let t = text.to_lowercase();
    (t.contains('@') || t.contains("www") || t.contains("http"))
        && !text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

/// Replace lines of `lines` that overlap an e-mail / URL line of `latin` by that line.
/// Returns how many lines were taken over.
pub(crate) fn merge_latin_contacts(lines: &mut Vec<Line>, latin: &[Line]) -> usize {
    let mut n = 0;
    for l in latin.iter().filter(|l| is_latin_contact(&l.text) && l.confidence >= 0.8) {
        let (ax0, ay0, ax1, ay1) = bbox(l);
        let area_a = (ax1 - ax0) * (ay1 - ay0);
        let before = lines.len();
        lines.retain(|m| {
            let (bx0, by0, bx1, by1) = bbox(m);
            let iw = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
            let ih = (ay1.min(by1) - ay0.max(by0)).max(0.0);
            let area_b = (bx1 - bx0) * (by1 - by0);
            // Drop the fallback's line if most of it lies inside the Latin line's box.
            !(iw * ih >= 0.5 * area_b.min(area_a).max(1.0) && is_mostly_inside(m, l))
        });
        if lines.len() < before || !lines.iter().any(|m| m.text == l.text) {
            lines.push(l.clone());
            n += 1;
        }
    }
    if n > 0 {
        lines.sort_by(|a, b| (a.center().y).total_cmp(&b.center().y));
    }
    n
}

/// Add the lines of `latin` that hold a number (7+ digits) and overlap no line of `lines`: the
/// Cyrillic fallback sometimes drops a whole phone line of a blurred card ("Факс: 8 (495) …")
/// that the first engine read (its Latin look-alike labels, "Φakc", are known to the parser).
/// Returns how many lines were added.
pub(crate) fn merge_missed_numbers(lines: &mut Vec<Line>, latin: &[Line]) -> usize {
    let mut n = 0;
    for l in latin.iter().filter(|l| l.confidence >= 0.8 && l.text.chars().filter(char::is_ascii_digit).count() >= 7) {
        // By the rotated boxes (a skewed card's axis-aligned boxes overlap their neighbours):
        // one line's centre inside the other's box.
        let overlaps_any = lines.iter().any(|m| inside_quad(l.center(), m) || inside_quad(m.center(), l));
        if !overlaps_any {
            lines.push(l.clone());
            n += 1;
        }
    }
    if n > 0 {
        lines.sort_by(|a, b| (a.center().y).total_cmp(&b.center().y));
    }
    n
}

/// Whether `p` lies inside the line's (convex) box.
fn inside_quad(p: crate::Point, l: &Line) -> bool {
    let q = &l.quad;
    let mut sign = 0.0f32;
    for k in 0..4 {
        let (a, b) = (q[k], q[(k + 1) % 4]);
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        if cross != 0.0 {
            if sign != 0.0 && cross.signum() != sign {
                return false;
            }
            sign = cross.signum();
        }
    }
    sign != 0.0
}

fn is_mostly_inside(m: &Line, l: &Line) -> bool {
    let (bx0, by0, bx1, by1) = bbox(m);
    let (ax0, ay0, ax1, ay1) = bbox(l);
    let iw = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
    let ih = (ay1.min(by1) - ay0.max(by0)).max(0.0);
    iw * ih >= 0.5 * (bx1 - bx0) * (by1 - by0)
}

/// An upright, deskewed copy of an image for an engine that reads only horizontal text, and the
/// map from its pixels back to the original's.
struct Upright {
    img: image::DynamicImage,
    origin: V2,
    u: V2,
    v: V2,
    sx: f32,
    sy: f32,
}

impl Upright {
    /// Rotate `img` so that the reading direction of `lines` (their top edges, weighted by length)
    /// is horizontal, at most `max_side` pixels on the longest side. `None` when the text is
    /// already level (within ≈ 2°) and no downscaling is needed.
    fn new(img: &image::DynamicImage, lines: &[Line], max_side: u32) -> Option<Upright> {
        let (mut rx, mut ry) = (0f32, 0f32);
        for l in lines {
            rx += l.quad[1].x - l.quad[0].x;
            ry += l.quad[1].y - l.quad[0].y;
        }
        if rx * rx + ry * ry <= 0.0 {
            return None;
        }
        let u = V2::new(rx, ry).norm();
        let v = V2::new(-u.y, u.x);
        let (w, h) = (img.width() as f32, img.height() as f32);
        // Tesseract copes with a slight skew; resampling a near-level image costs more than it gains.
        let level = u.y.abs() < UPRIGHT_MIN_SKEW && u.x > 0.0;
        if level && w.max(h) <= max_side as f32 {
            return None;
        }
        let center = V2::new(w / 2.0, h / 2.0);
        let corners = [V2::new(0.0, 0.0), V2::new(w, 0.0), V2::new(w, h), V2::new(0.0, h)];
        let half_w = corners.iter().map(|c| c.sub(center).dot(u).abs()).fold(0.0, f32::max);
        let half_h = corners.iter().map(|c| c.sub(center).dot(v).abs()).fold(0.0, f32::max);
        let s = (max_side as f32 / (2.0 * half_w.max(half_h))).min(1.0);
        let (ow, oh) = (((2.0 * half_w * s).round() as u32).max(1), ((2.0 * half_h * s).round() as u32).max(1));
        let b = TextBox { center, u, v, half_w, half_h, score: 1.0 };
        let rgb = img.to_rgb8();
        let out = sample_box(&rgb, &b, ow, oh);
        Some(Upright {
            img: image::DynamicImage::ImageRgb8(out),
            origin: center.sub(u.scale(half_w)).sub(v.scale(half_h)),
            u,
            v,
            sx: 2.0 * half_w / ow as f32,
            sy: 2.0 * half_h / oh as f32,
        })
    }

    /// Lines read on the upright copy, in the original image's coordinates.
    fn map_back(&self, lines: &mut [Line]) {
        for l in lines {
            for p in l.quad.iter_mut() {
                let q = self.origin.add(self.u.scale(p.x * self.sx)).add(self.v.scale(p.y * self.sy));
                *p = Point { x: q.x, y: q.y };
            }
        }
    }
}

impl Pipeline {
    pub fn new(engines: Vec<Box<dyn Engine>>) -> Self {
        Pipeline { engines, policy: FallbackPolicy::default() }
    }

    pub fn with_policy(mut self, policy: FallbackPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn engine_names(&self) -> Vec<&'static str> {
        self.engines.iter().map(|e| e.name()).collect()
    }

    /// Run one named engine only (re-run with another engine).
    pub fn read_with(&self, img: &image::DynamicImage, engine: &str) -> Result<Reading, OcrError> {
        let t = Instant::now();
        let e = self.engines.iter().find(|e| e.name() == engine).ok_or(OcrError::NoEngine)?;
        let lines = e.recognize(img)?;
        Ok(Reading {
            engine: e.name().into(),
            lines,
            elapsed_ms: t.elapsed().as_millis() as u64,
            tried: vec![e.name().into()],
        })
    }

    /// Run the engines in order until one gives an acceptable reading.
    pub fn read(&self, img: &image::DynamicImage) -> Result<Reading, OcrError> {
        let t = Instant::now();
        let mut tried = Vec::new();
        let mut best: Option<(f32, &'static str, Vec<Line>)> = None;
        let mut last_err = None;
        // Set when an engine that finds the page's skew read Cyrillic: later engines that only read
        // level text get the upright copy.
        let mut upright: Option<Upright> = None;
        for (i, e) in self.engines.iter().enumerate() {
            let result = match upright.as_ref().filter(|_| e.wants_upright()) {
                Some(u) => e.recognize(&u.img).map(|mut l| {
                    u.map_back(&mut l);
                    l
                }),
                None => e.recognize(img),
            };
            let lines = match result {
                Ok(l) => l,
                Err(err) => {
                    tried.push(format!("{}: error", e.name()));
                    last_err = Some(err);
                    continue;
                }
            };
            let conf = mean_conf(&lines);
            let rest = &self.engines[i + 1..];
            let cyr = self.policy.cyrillic
                && !e.supports_cyrillic()
                && rest.iter().any(|n| n.supports_cyrillic())
                && looks_cyrillic(&lines);
            let low = conf < self.policy.min_confidence && !rest.is_empty();
            if cyr {
                tried.push(format!("{}: cyrillic", e.name()));
                // A Latin-only reading of Cyrillic is never the answer while a Cyrillic engine is left.
                if best.is_none() {
                    if !e.wants_upright() {
                        upright = Upright::new(img, &lines, UPRIGHT_MAX_SIDE);
                    }
                    best = Some((f32::MIN, e.name(), lines));
                }
                continue;
            }
            if low {
                tried.push(format!("{}: low-confidence", e.name()));
                if best.as_ref().is_none_or(|(c, _, _)| conf > *c) {
                    best = Some((conf, e.name(), lines));
                }
                continue;
            }
            tried.push(e.name().to_string());
            // After a Cyrillic fallback, e-mails and web addresses are Latin: the first (Latin)
            // engine reads them better than a Cyrillic one, so its lines replace the fallback's there.
            if let Some((f32::MIN, first, latin)) = best.as_ref().map(|(c, n, l)| (*c, *n, l)) {
                let mut lines = lines;
                let n = merge_latin_contacts(&mut lines, latin) + merge_missed_numbers(&mut lines, latin);
                let engine = if n > 0 { format!("{}+{}", e.name(), first) } else { e.name().to_string() };
                return Ok(Reading { engine, lines, elapsed_ms: t.elapsed().as_millis() as u64, tried });
            }
            return Ok(Reading { engine: e.name().into(), lines, elapsed_ms: t.elapsed().as_millis() as u64, tried });
        }
        match best {
            Some((_, name, lines)) => {
                Ok(Reading { engine: name.into(), lines, elapsed_ms: t.elapsed().as_millis() as u64, tried })
            }
            None => Err(last_err.unwrap_or(OcrError::NoEngine)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    fn l(t: &str) -> Line {
        Line { text: t.into(), confidence: 0.9, quad: [Point::default(); 4] }
    }

    #[test]
    fn script_check() {
        let ru = [l("MoHeTKa"), l("BacnIui MrHaTbeB"), l("Mo.: +7 (916) 434-78-19"), l("vasilii.ignatev@ignatev.ru")];
        assert!(looks_cyrillic(&ru));
        let ru2 = [l("Монетка"), l("Василий")];
        assert!(looks_cyrillic(&ru2));
        let en = [
            l("Bradshaw, McDonald and Alvarado"),
            l("Bianca Lee"),
            l("Mobile: (917) 857-0839"),
            l("www.bradshawmcdona.ru"),
        ];
        assert!(!looks_cyrillic(&en));
        let de = [l("Klemt AG & Co. KG"), l("Silke Gutknecht"), l("Mobil: +49 15 114 24974")];
        assert!(!looks_cyrillic(&de));
        // German legal forms and a ß read as B have inner capitals too (issue 22: such cards were
        // sent to Tesseract and lost most fields).
        let de2 =
            [l("Eckbauer GmbH & Co. KG"), l("HuhnstraBe 2, 66597 Sulzbach"), l("Kade Hecker KGaA"), l("Wagner GbR")];
        assert!(!looks_cyrillic(&de2));
    }

    #[test]
    fn missed_number_lines_are_added() {
        let at = |t: &str, y: f32| Line {
            text: t.into(),
            confidence: 0.95,
            quad: [
                crate::Point { x: 10.0, y },
                crate::Point { x: 300.0, y },
                crate::Point { x: 300.0, y: y + 20.0 },
                crate::Point { x: 10.0, y: y + 20.0 },
            ],
        };
        let mut tess = vec![at("Моб.: 8 (916) 782-48-96", 0.0), at("Тел.: 8 (495) 834-65-78", 30.0)];
        let paddle = vec![
            at("Mo6.: 8 (916) 782-48-96", 0.0),
            at("Ten.: 8 (495) 834-65-78", 30.0),
            at("Φakc: 8 (495) 331-50-98", 60.0),
            at("MoHeTKa", 90.0),
        ];
        assert_eq!(merge_missed_numbers(&mut tess, &paddle), 1);
        assert_eq!(tess.len(), 3);
        assert_eq!(tess[2].text, "Φakc: 8 (495) 331-50-98");
    }

    struct Fixed(&'static str, Vec<Line>, bool);
    impl Engine for Fixed {
        fn name(&self) -> &'static str {
            self.0
        }
        fn recognize(&self, _: &image::DynamicImage) -> Result<Vec<Line>, OcrError> {
            Ok(self.1.clone())
        }
        fn supports_cyrillic(&self) -> bool {
            self.2
        }
    }

    #[test]
    fn falls_back_on_cyrillic_and_low_confidence() {
        let img = image::DynamicImage::new_rgb8(4, 4);
        let p = Pipeline::new(vec![
            Box::new(Fixed("a", vec![l("MoHeTKa"), l("BacnIui MrHaTbeB")], false)),
            Box::new(Fixed("b", vec![l("Монетка")], true)),
        ]);
        let r = p.read(&img).unwrap();
        assert_eq!(r.engine, "b");
        assert_eq!(r.tried, vec!["a: cyrillic".to_string(), "b".to_string()]);
        let p = Pipeline::new(vec![
            Box::new(Fixed("a", vec![Line { confidence: 0.2, ..l("xx") }], false)),
            Box::new(Fixed("b", vec![l("Hello")], false)),
        ]);
        assert_eq!(p.read(&img).unwrap().engine, "b");
        let p = Pipeline::new(vec![Box::new(Fixed("a", vec![l("Hello World")], false))]);
        assert_eq!(p.read(&img).unwrap().engine, "a");
        assert_eq!(p.read_with(&img, "a").unwrap().lines.len(), 1);
    }
}
