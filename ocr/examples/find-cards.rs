//! How well [`ocr::find_cards`] finds the cards in photos of several cards.
//!
//!     python3 scripts/gen-card-stacks.py --out /tmp/stacks/heldout --count 40 --seed 302
//!     cargo run --release -p ocr --example find-cards -- /tmp/stacks/heldout [--crops /tmp/stacks/heldout-crops] [--singles DIR]
//!
//! For every `stack-NNN.jpg` with its `stack-NNN.json` (see `scripts/gen-card-stacks.py`): the cards
//! found against the cards laid out (a found card matches a laid-out one when its centre is within
//! a third of the card's short side of it and its size within 15 %); a photo of one card is right
//! when nothing is cut. `--crops OUT` writes each cut-out card (or, for a photo read whole, the
//! photo) as `OUT/card-NNN.jpg` with its truth beside it, for `ocr-eval` to score the fields read.
//! `--singles DIR`: photos of one card each (`gen-cards-wild.py`, the fixtures): none may be cut.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = None;
    let mut crops: Option<PathBuf> = None;
    let mut singles: Vec<PathBuf> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--crops" => {
                crops = args.get(i + 1).map(PathBuf::from);
                i += 1;
            }
            "--singles" => {
                singles.extend(args.get(i + 1).map(PathBuf::from));
                i += 1;
            }
            a => dir = Some(PathBuf::from(a)),
        }
        i += 1;
    }
    if let Some(out) = &crops {
        std::fs::create_dir_all(out).expect("crops dir");
    }
    let limits = ocr::Limits::default();
    let (mut photos, mut photos_right, mut laid, mut found_right, mut found_all) = (0, 0, 0, 0, 0);
    let (mut singles_n, mut singles_cut) = (0, 0);
    let mut times: Vec<f64> = Vec::new();
    let mut crop_n = 0;
    if let Some(dir) = &dir {
        for json in sorted(dir, "stack-", ".json") {
            let truth: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
            let img_path = json.with_extension("jpg");
            let img = ocr::decode_image(&std::fs::read(&img_path).unwrap(), &limits).unwrap();
            let t = Instant::now();
            let cards = ocr::find_cards(&img);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if std::env::var_os("FIND_CARDS_DEBUG").is_some() {
                for c in &cards {
                    println!(
                        "  found {:.0},{:.0} {:.0}×{:.0} {:.1}°",
                        c.center.x,
                        c.center.y,
                        c.width,
                        c.height,
                        c.angle.to_degrees()
                    );
                }
            }
            let laid_out = truth["cards"].as_array().cloned().unwrap_or_default();
            photos += 1;
            laid += laid_out.len();
            found_all += cards.len();
            let mut used = vec![false; laid_out.len()];
            let mut matched = 0;
            for c in &cards {
                let hit = laid_out.iter().enumerate().find(|(k, l)| !used[*k] && matches(c, &l["quad"]));
                if let Some((k, _)) = hit {
                    used[k] = true;
                    matched += 1;
                    if let Some(out) = &crops {
                        let crop = ocr::crop_card(&img, c);
                        write_crop(out, &mut crop_n, image::DynamicImage::ImageRgb8(crop), &laid_out[k]["truth"]);
                    }
                }
            }
            let right = if laid_out.len() == 1 {
                found_right += usize::from(cards.is_empty());
                if let (Some(out), true) = (&crops, cards.is_empty()) {
                    write_crop(out, &mut crop_n, img.clone(), &laid_out[0]["truth"]);
                }
                cards.is_empty()
            } else {
                found_right += matched;
                matched == laid_out.len() && cards.len() == laid_out.len()
            };
            photos_right += usize::from(right);
            if !right {
                println!(
                    "{}: {} laid out, {} found, {} matched",
                    img_path.file_name().unwrap().to_string_lossy(),
                    laid_out.len(),
                    cards.len(),
                    matched
                );
            }
        }
    }
    for d in &singles {
        for json in sorted(d, "", ".json") {
            let name = json.file_name().unwrap().to_string_lossy().to_string();
            if name == "index.json" || name.ends_with(".lines.json") {
                continue;
            }
            let Some(img_path) = ["jpg", "png", "jpeg"].iter().map(|e| json.with_extension(e)).find(|p| p.exists())
            else {
                continue;
            };
            let img = ocr::decode_image(&std::fs::read(&img_path).unwrap(), &limits).unwrap();
            singles_n += 1;
            let cards = ocr::find_cards(&img);
            if !cards.is_empty() {
                singles_cut += 1;
                println!("{}: one card cut into {}", img_path.display(), cards.len());
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let p = |q: f64| times.get(((times.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    println!("photos: {photos_right}/{photos} right");
    // Photos of one card count as one card each (right when not cut).
    println!("cards: {found_right}/{laid} found; {found_all} regions cut in all");
    println!("find time per photo: p50 {:.1} ms, p95 {:.1} ms (decoded image in, regions out)", p(0.5), p(0.95));
    if !singles.is_empty() {
        println!("single-card photos: {}/{} read whole (not cut)", singles_n - singles_cut, singles_n);
    }
    if crops.is_some() {
        println!("{crop_n} cards written for ocr-eval");
    }
}

fn sorted(dir: &Path, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(prefix) && n.ends_with(suffix)
        })
        .collect();
    v.sort();
    v
}

fn matches(c: &ocr::CardRegion, quad: &Value) -> bool {
    let pts: Vec<(f32, f32)> = quad
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p[0].as_f64()? as f32, p[1].as_f64()? as f32)))
        .collect();
    if pts.len() != 4 {
        return false;
    }
    let (cx, cy) = (pts.iter().map(|p| p.0).sum::<f32>() / 4.0, pts.iter().map(|p| p.1).sum::<f32>() / 4.0);
    let d = |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let (s1, s2) = (d(pts[0], pts[1]), d(pts[1], pts[2]));
    let (long, short) = (s1.max(s2), s1.min(s2));
    let (cl, cs) = (c.width.max(c.height), c.width.min(c.height));
    d((c.center.x, c.center.y), (cx, cy)) < short / 3.0
        && (cl / long - 1.0).abs() < 0.15
        && (cs / short - 1.0).abs() < 0.15
}

fn write_crop(out: &Path, n: &mut usize, img: image::DynamicImage, truth: &Value) {
    let name = format!("card-{:03}", *n);
    *n += 1;
    img.to_rgb8().save(out.join(format!("{name}.jpg"))).expect("write crop");
    std::fs::write(out.join(format!("{name}.json")), serde_json::to_string_pretty(truth).unwrap()).unwrap();
}
