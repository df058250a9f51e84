//! Tesseract engine (Debian's libtesseract 5 via `leptess`), `rus+eng`, one thread — for Cyrillic
//! cards, which the PP-OCRv5 dictionary cannot spell.

use std::io::Cursor;
use std::sync::Mutex;

use image::DynamicImage;
use leptess::LepTess;

use crate::{Engine, Line, OcrError, Point};

pub struct TesseractEngine {
    api: Mutex<LepTess>,
    lang: String,
}

// SAFETY: the Tesseract handle is only used behind the Mutex, one call at a time; Tesseract
// keeps no thread-affine state.
unsafe impl Send for TesseractEngine {}
unsafe impl Sync for TesseractEngine {}

/// Makes Tesseract run on one thread: call first thing in `main`, before any other thread starts.
///
/// Debian's libtesseract is built with OpenMP, and its recogniser asks for several threads per
/// line. Those threads only compete with the PP-OCR engine and the server's other work, and on
/// this project's 2-core machine they tripled the CPU time of a Cyrillic card (1.4 s against
/// 0.5 s per card with one thread, BENCHMARKS.md, session 11). The OpenMP runtime (libgomp) reads
/// `OMP_THREAD_LIMIT` once, when it is loaded with libtesseract, before `main` runs: setting the
/// variable from inside the program changes nothing. So when it is unset, this sets it to 1 and
/// executes the same program again with the same arguments, and does not return; the new process
/// finds it set and goes on. A value set by the user is kept. If the program cannot be executed
/// again, it says so and goes on with Tesseract's threads.
pub fn limit_openmp_threads() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let mut args = std::env::args_os();
        let arg0 = args.next();
        let Ok(exe) = std::env::current_exe() else { return };
        let mut cmd = std::process::Command::new(exe);
        if let Some(a) = arg0 {
            cmd.arg0(a);
        }
        let err = cmd.args(args).env("OMP_THREAD_LIMIT", "1").exec();
        eprintln!("warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); Tesseract will use several threads");
    }
}

impl TesseractEngine {
    /// `lang` like "rus+eng"; `data_path` None = the system tessdata (Debian: tesseract-ocr-rus).
    pub fn new(data_path: Option<&str>, lang: &str) -> Result<Self, OcrError> {
        // One thread: see [`limit_openmp_threads`], which a program must call first thing in
        // `main`; setting the variable here is too late for the OpenMP runtime.
        let mut api = LepTess::new(data_path, lang).map_err(|e| OcrError::Engine {
            engine: "tesseract",
            msg: format!("{e} (install: apt-get install tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng)"),
        })?;
        // Uniform block of text lines works best on business cards' short lines; auto segmentation.
        let _ = api.set_variable(leptess::Variable::TesseditPagesegMode, "3");
        let _ = api.set_variable(leptess::Variable::PreserveInterwordSpaces, "0");
        Ok(TesseractEngine { api: Mutex::new(api), lang: lang.to_string() })
    }

    pub fn lang(&self) -> &str {
        &self.lang
    }
}

impl Engine for TesseractEngine {
    fn name(&self) -> &'static str {
        "tesseract"
    }

    fn supports_cyrillic(&self) -> bool {
        true
    }

    fn wants_upright(&self) -> bool {
        true
    }

    fn recognize(&self, img: &DynamicImage) -> Result<Vec<Line>, OcrError> {
        // Tesseract wants ~30 px x-height; phone photos are downscaled to ≤ 2000 px on the long side.
        let (w, h) = (img.width(), img.height());
        let scale = (2000.0 / w.max(h) as f32).min(1.0);
        let work = if scale < 1.0 {
            img.resize((w as f32 * scale) as u32, (h as f32 * scale) as u32, image::imageops::FilterType::Triangle)
        } else {
            img.clone()
        };
        let gray = DynamicImage::ImageLuma8(work.to_luma8());
        let mut buf = Vec::new();
        gray.write_to(&mut Cursor::new(&mut buf), image::ImageFormat::Bmp)
            .map_err(|e| OcrError::Engine { engine: "tesseract", msg: e.to_string() })?;
        let mut api = self.api.lock().unwrap_or_else(|p| p.into_inner());
        api.set_image_from_mem(&buf).map_err(|e| OcrError::Engine { engine: "tesseract", msg: e.to_string() })?;
        api.set_source_resolution(300);
        let tsv = api.get_tsv_text(0).map_err(|e| OcrError::Engine { engine: "tesseract", msg: e.to_string() })?;
        drop(api);
        Ok(lines_from_tsv(&tsv, 1.0 / scale))
    }
}

/// Group Tesseract's TSV words into lines (level 5 rows share page/block/par/line numbers),
/// split a line where a gap wider than the text height separates two columns, and join pieces of
/// one visual line that Tesseract put in different blocks.
pub(crate) fn lines_from_tsv(tsv: &str, k: f32) -> Vec<Line> {
    #[derive(Clone)]
    struct Seg {
        key: (i32, i32, i32, i32),
        words: Vec<String>,
        confs: Vec<f32>,
        x0: i32,
        y0: i32,
        x1: i32,
        y1: i32,
    }
    let mut segs: Vec<Seg> = Vec::new();
    for row in tsv.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i32>().unwrap_or(0);
        let conf: f32 = cols[10].trim().parse().unwrap_or(-1.0);
        let text = cols[11].trim();
        if text.is_empty() || conf < 0.0 {
            continue;
        }
        let key = (num(1), num(2), num(3), num(4));
        let (l, t, w, h) = (num(6), num(7), num(8), num(9));
        match segs.last_mut() {
            Some(a) if a.key == key && l - a.x1 <= (a.y1 - a.y0).max(h) => {
                a.words.push(text.to_string());
                a.confs.push(conf);
                a.x0 = a.x0.min(l);
                a.y0 = a.y0.min(t);
                a.x1 = a.x1.max(l + w);
                a.y1 = a.y1.max(t + h);
            }
            _ => segs.push(Seg {
                key,
                words: vec![text.to_string()],
                confs: vec![conf],
                x0: l,
                y0: t,
                x1: l + w,
                y1: t + h,
            }),
        }
    }
    // Join pieces of the same visual line (same band, similar height, small gap).
    segs.sort_by_key(|s| s.x0);
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..segs.len() {
            for j in 0..segs.len() {
                if i == j || segs[j].x0 < segs[i].x0 {
                    continue;
                }
                let (a, b) = (&segs[i], &segs[j]);
                let (ha, hb) = ((a.y1 - a.y0) as f32, (b.y1 - b.y0) as f32);
                let hmin = ha.min(hb);
                let overlap = (a.y1.min(b.y1) - a.y0.max(b.y0)) as f32;
                let gap = (b.x0 - a.x1) as f32;
                if ha.max(hb) <= 1.5 * hmin && overlap >= 0.6 * hmin && gap <= 0.8 * hmin && gap >= -0.5 * hmin {
                    let b = segs.remove(j);
                    let a = &mut segs[if j < i { i - 1 } else { i }];
                    a.words.extend(b.words);
                    a.confs.extend(b.confs);
                    a.x0 = a.x0.min(b.x0);
                    a.y0 = a.y0.min(b.y0);
                    a.x1 = a.x1.max(b.x1);
                    a.y1 = a.y1.max(b.y1);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    segs.sort_by_key(|s| (s.y0 + s.y1, s.x0));
    segs.into_iter()
        .map(|a| {
            let p = |x: i32, y: i32| Point { x: x as f32 * k, y: y as f32 * k };
            Line {
                text: a.words.join(" "),
                confidence: a.confs.iter().sum::<f32>() / a.confs.len() as f32 / 100.0,
                quad: [p(a.x0, a.y0), p(a.x1, a.y0), p(a.x1, a.y1), p(a.x0, a.y1)],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_columns_split_and_pieces_join() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
5\t1\t1\t1\t1\t1\t100\t100\t200\t50\t95\tАверьян\n\
5\t1\t1\t1\t1\t2\t315\t100\t200\t50\t95\tАрхипов\n\
5\t1\t1\t1\t1\t3\t800\t110\t80\t26\t90\tФакс:\n\
5\t1\t1\t1\t1\t4\t890\t110\t200\t26\t90\t+7 (495) 718-07-45\n\
5\t1\t2\t1\t1\t1\t100\t300\t150\t40\t90\tКузбасская\n\
5\t1\t3\t1\t1\t1\t262\t302\t150\t40\t90\tтопливная\n";
        let lines = lines_from_tsv(tsv, 1.0);
        let mut texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        texts.sort();
        assert_eq!(texts, vec!["Аверьян Архипов", "Кузбасская топливная", "Факс: +7 (495) 718-07-45"]);
    }
}
