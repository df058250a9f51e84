//! Several cards in one photo: find each card laid on a table and cut it out, so that each is
//! read as a card of its own.
//!
//! Classical and cheap (no model; about a tenth of a second on a 640-pixel thumbnail): the table
//! is grown from the photo's edges over small colour steps, what it does not reach is card (its
//! print included), the regions are measured along their principal axes, and a region counts as a
//! card when it is card-shaped — a well-filled rectangle with the proportions of a business card
//! (1.2–2.3), big enough, and not much smaller than the biggest card found. Fewer than two such
//! regions means "one card": the photo is read as a whole, as before (a single card on a table or
//! filling the frame, a blank photo — nothing is cut).

use image::{imageops, DynamicImage, RgbImage};

use crate::geometry::{sample_box, TextBox, V2};

use crate::Point;

/// The most cards taken from one photo (the biggest ones).
pub const MAX_CARDS: usize = 8;

/// The side of the thumbnail the search runs on.
const WORK_SIDE: u32 = 640;
/// The long side of a cut-out card: small cards (many in one photo) are enlarged to it, which
/// lets the detector find their small print (chosen on the tuning photos of
/// `scripts/gen-card-stacks.py`: 88.7 % of fields read at 1,900 pixels, 89.5 % at 2,400).
const CROP_SIDE: f32 = 2400.0;

/// One card found in a photo.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRegion {
    /// Centre in photo pixels.
    pub center: Point,
    /// The card's axes in the photo: `width` along `(cos angle, sin angle)`, `height` across it;
    /// `angle` is within ±45°, so a card keeps the orientation it was photographed in.
    pub angle: f32,
    pub width: f32,
    pub height: f32,
}

/// The cards in a photo of several cards, in reading order (rows top to bottom, each left to
/// right); empty when the photo does not hold at least two card-shaped regions (then it is one card).
pub fn find_cards(img: &DynamicImage) -> Vec<CardRegion> {
    let (w0, h0) = (img.width(), img.height());
    if w0 < 64 || h0 < 64 {
        return Vec::new();
    }
    let thumb = if w0.max(h0) > WORK_SIDE { img.thumbnail(WORK_SIDE, WORK_SIDE) } else { img.clone() };
    let rgb = thumb.to_rgb8();
    let scale = w0 as f32 / rgb.width() as f32;
    let mut found = regions(&rgb);
    if found.len() < 2 {
        return Vec::new();
    }
    for r in &mut found {
        r.center.x *= scale;
        r.center.y *= scale;
        r.width *= scale;
        r.height *= scale;
    }
    reading_order(&mut found);
    found
}

/// Cut a card out of the photo, turned upright by its small angle (long axis as photographed).
pub fn crop_card(img: &DynamicImage, r: &CardRegion) -> RgbImage {
    cut(&img.to_rgb8(), r)
}

/// The cards of a photo of several cards, each cut out as a JPEG (quality 92), in reading order;
/// empty when the photo is one card (see [`find_cards`]).
pub fn card_photos(img: &DynamicImage) -> Vec<Vec<u8>> {
    let cards = find_cards(img);
    if cards.is_empty() {
        return Vec::new();
    }
    let src = img.to_rgb8();
    cards
        .iter()
        .filter_map(|r| {
            let mut out = Vec::new();
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
            cut(&src, r).write_with_encoder(enc).ok().map(|_| out)
        })
        .collect()
}

/// The card as an upright image of [`CROP_SIDE`] pixels along its long side, sampled from the
/// photo as a text line is for the recogniser ([`sample_box`]).
fn cut(src: &RgbImage, r: &CardRegion) -> RgbImage {
    let k = CROP_SIDE / r.width.max(r.height).max(1.0);
    let (w, h) = ((r.width * k).round().max(1.0) as u32, (r.height * k).round().max(1.0) as u32);
    let (s, c) = r.angle.sin_cos();
    let card = TextBox {
        center: V2::new(r.center.x, r.center.y),
        u: V2::new(c, s),
        v: V2::new(-s, c),
        half_w: r.width / 2.0,
        half_h: r.height / 2.0,
        score: 1.0,
    };
    sample_box(src, &card, w, h)
}

/// The card-shaped regions of a (thumbnail) image, in its pixels.
///
/// The table is modelled as a smooth colour surface (a quartic in x and y per channel, fitted to the
/// photo's edges, then refitted to everything that fits it): uneven light, a gradient or a
/// vignette change slowly and are part of it. What stands out from that surface is card; print
/// inside a card (holes) is filled in.
fn regions(img: &RgbImage) -> Vec<CardRegion> {
    let img = imageops::blur(img, 1.5);
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px: Vec<[f32; 3]> = img.pixels().map(|p| [p[0] as f32, p[1] as f32, p[2] as f32]).collect();
    let frame = (w.min(h) / 40).max(2);
    let mut sample: Vec<usize> = (0..w * h)
        .filter(|&i| {
            let (x, y) = (i % w, i / w);
            (x < frame || y < frame || x + frame >= w || y + frame >= h) && (x + y) % 2 == 0
        })
        .collect();
    let mut surface = Surface::fit(&px, &sample, w, h);
    let mut tolerance = 0f32;
    for _ in 0..3 {
        let Some(sf) = surface else { return Vec::new() };
        // The table's own texture: the spread of the sample around the surface.
        let mut res: Vec<f32> = sample.iter().map(|&i| sf.residual(&px, i, w, h)).collect();
        res.sort_by(f32::total_cmp);
        tolerance = (res[res.len() * 9 / 10] * 2.0).clamp(12.0, 30.0);
        sample = (0..w * h).step_by(3).filter(|&i| sf.residual(&px, i, w, h) < tolerance).collect();
        if sample.len() < 64 {
            return Vec::new();
        }
        surface = Surface::fit(&px, &sample, w, h);
    }
    let Some(sf) = surface else { return Vec::new() };
    let fg: Vec<bool> = (0..w * h).map(|i| sf.residual(&px, i, w, h) >= tolerance).collect();
    // Fill holes: table not reachable from the edges is print on a card.
    let mut table = vec![false; w * h];
    let border: Vec<usize> =
        (0..w).flat_map(|x| [x, (h - 1) * w + x]).chain((1..h - 1).flat_map(|y| [y * w, y * w + w - 1])).collect();
    let mut stack: Vec<usize> = border.into_iter().filter(|&i| !fg[i]).collect();
    for &i in &stack {
        table[i] = true;
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        for j in neighbours(x, y, w, h) {
            if !fg[j] && !table[j] {
                table[j] = true;
                stack.push(j);
            }
        }
    }
    let solid: Vec<bool> = table.iter().map(|t| !t).collect();
    // Two-pixel erosion: cards that nearly touch come apart, thin bridges and specks go.
    let core = erode(&erode(&solid, w, h), w, h);

    let min_area = (w * h) as f32 * 0.012;
    let mut label = vec![false; w * h];
    let mut cards = Vec::new();
    let mut pixels: Vec<usize> = Vec::new();
    for start in 0..w * h {
        if !core[start] || label[start] {
            continue;
        }
        pixels.clear();
        label[start] = true;
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = (i % w, i / w);
            for j in neighbours(x, y, w, h) {
                if core[j] && !label[j] {
                    label[j] = true;
                    stack.push(j);
                }
            }
        }
        if (pixels.len() as f32) < min_area || pixels.len() * 10 > w * h * 9 {
            continue;
        }
        if let Some(r) = card_shape(&pixels, w) {
            cards.push((pixels.len(), r));
        }
    }
    // A stack of cards photographed together: sizes within a factor of three of the biggest.
    cards.sort_by(|a, b| b.0.cmp(&a.0));
    let biggest = cards.first().map(|c| c.0).unwrap_or(0);
    cards.into_iter().filter(|c| c.0 * 3 >= biggest).take(MAX_CARDS).map(|c| c.1).collect()
}

/// Terms of the surface's polynomial (all monomials up to degree 4).
const N: usize = 15;

/// A smooth colour surface: per channel a quartic polynomial in x and y (scaled to 0..1).
#[derive(Clone, Copy)]
struct Surface([[f32; N]; 3]);

impl Surface {
    fn terms(x: usize, y: usize, w: usize, h: usize) -> [f32; N] {
        let (u, v) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
        [
            1.0,
            u,
            v,
            u * u,
            u * v,
            v * v,
            u * u * u,
            u * u * v,
            u * v * v,
            v * v * v,
            u * u * u * u,
            u * u * u * v,
            u * u * v * v,
            u * v * v * v,
            v * v * v * v,
        ]
    }

    /// Least squares over `sample` (normal equations, Gaussian elimination); `None` when singular.
    fn fit(px: &[[f32; 3]], sample: &[usize], w: usize, h: usize) -> Option<Surface> {
        let mut ata = [[0f64; N]; N];
        let mut atb = [[0f64; 3]; N];
        for &i in sample {
            let t = Self::terms(i % w, i / w, w, h);
            for r in 0..N {
                for c in 0..N {
                    ata[r][c] += (t[r] * t[c]) as f64;
                }
                for (k, b) in atb[r].iter_mut().enumerate() {
                    *b += (t[r] * px[i][k]) as f64;
                }
            }
        }
        // Solve ata · x = atb for the three channels at once.
        for col in 0..N {
            let piv = (col..N).max_by(|&a, &b| ata[a][col].abs().total_cmp(&ata[b][col].abs()))?;
            if ata[piv][col].abs() < 1e-9 {
                return None;
            }
            ata.swap(col, piv);
            atb.swap(col, piv);
            for r in 0..N {
                if r != col {
                    let f = ata[r][col] / ata[col][col];
                    for c in 0..N {
                        ata[r][c] -= f * ata[col][c];
                    }
                    for k in 0..3 {
                        atb[r][k] -= f * atb[col][k];
                    }
                }
            }
        }
        let mut coef = [[0f32; N]; 3];
        for r in 0..N {
            for k in 0..3 {
                coef[k][r] = (atb[r][k] / ata[r][r]) as f32;
            }
        }
        Some(Surface(coef))
    }

    /// How far pixel `i` stands out from the surface (the largest channel difference).
    fn residual(&self, px: &[[f32; 3]], i: usize, w: usize, h: usize) -> f32 {
        let t = Self::terms(i % w, i / w, w, h);
        (0..3)
            .map(|k| {
                let model: f32 = self.0[k].iter().zip(&t).map(|(a, b)| a * b).sum();
                (px[i][k] - model).abs()
            })
            .fold(0.0, f32::max)
    }
}

fn neighbours(x: usize, y: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let i = y * w + x;
    [(x > 0).then(|| i - 1), (x + 1 < w).then(|| i + 1), (y > 0).then(|| i - w), (y + 1 < h).then(|| i + w)]
        .into_iter()
        .flatten()
}

fn erode(m: &[bool], w: usize, h: usize) -> Vec<bool> {
    (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            m[i] && x > 0 && y > 0 && x + 1 < w && y + 1 < h && neighbours(x, y, w, h).all(|j| m[j])
        })
        .collect()
}

/// The region as a card (principal axes, extent, fill and proportions), or `None` when it is
/// not card-shaped.
fn card_shape(pixels: &[usize], w: usize) -> Option<CardRegion> {
    let n = pixels.len() as f64;
    let (mut sx, mut sy) = (0f64, 0f64);
    for &i in pixels {
        sx += (i % w) as f64;
        sy += (i / w) as f64;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut cxx, mut cyy, mut cxy) = (0f64, 0f64, 0f64);
    for &i in pixels {
        let (dx, dy) = ((i % w) as f64 - mx, (i / w) as f64 - my);
        cxx += dx * dx;
        cyy += dy * dy;
        cxy += dx * dy;
    }
    let theta = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
    // The smallest turn that makes the region's axes the photo's axes.
    let mut angle = theta;
    while angle > std::f64::consts::FRAC_PI_4 {
        angle -= std::f64::consts::FRAC_PI_2;
    }
    while angle <= -std::f64::consts::FRAC_PI_4 {
        angle += std::f64::consts::FRAC_PI_2;
    }
    let (s, c) = angle.sin_cos();
    let (mut u0, mut u1, mut v0, mut v1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &i in pixels {
        let (dx, dy) = ((i % w) as f64 - mx, (i / w) as f64 - my);
        let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
        u0 = u0.min(u);
        u1 = u1.max(u);
        v0 = v0.min(v);
        v1 = v1.max(v);
    }
    // Extents in pixels (+1 for the last pixel, +4 for the two eroded on each side).
    let (width, height) = (u1 - u0 + 5.0, v1 - v0 + 5.0);
    let fill = (n + 2.0 * (width + height) * 2.0) / (width * height);
    let aspect = width.max(height) / width.min(height);
    if fill < 0.85 || !(1.2..=2.3).contains(&aspect) {
        return None;
    }
    let (cu, cv) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
    let center = Point { x: (mx + 0.5 + cu * c - cv * s) as f32, y: (my + 0.5 + cu * s + cv * c) as f32 };
    Some(CardRegion { center, angle: angle as f32, width: width as f32, height: height as f32 })
}

/// Rows top to bottom (cards whose centres are within half a card's height share a row), each
/// left to right.
fn reading_order(cards: &mut [CardRegion]) {
    cards.sort_by(|a, b| a.center.y.total_cmp(&b.center.y));
    let mut row_start = 0;
    for i in 1..=cards.len() {
        let new_row = i == cards.len() || {
            let top = &cards[row_start];
            cards[i].center.y - top.center.y > top.height.min(top.width) / 2.0
        };
        if new_row {
            cards[row_start..i].sort_by(|a, b| a.center.x.total_cmp(&b.center.x));
            row_start = i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, Rgb};

    /// A table of `bg` with white cards (each with dark "text" rows) at the given centres,
    /// sizes and angles (degrees).
    fn table(w: u32, h: u32, bg: [u8; 3], cards: &[(f32, f32, f32, f32, f32)]) -> DynamicImage {
        let mut img = RgbImage::from_pixel(w, h, Rgb(bg));
        for y in 0..h {
            for x in 0..w {
                for &(cx, cy, cw, ch, deg) in cards {
                    let (s, c) = deg.to_radians().sin_cos();
                    let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                    let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
                    if u.abs() <= cw / 2.0 && v.abs() <= ch / 2.0 {
                        // Text rows across the card's middle part.
                        let row = ((v + ch / 2.0) / (ch / 8.0)) as i32;
                        let text = row % 2 == 1 && u.abs() < cw * 0.35 && (u as i32).rem_euclid(7) < 4;
                        img.put_pixel(x, y, if text { Rgb([30, 30, 40]) } else { Rgb([245, 243, 238]) });
                    }
                }
            }
        }
        DynamicImage::ImageRgb8(img)
    }

    #[test]
    fn three_cards_on_a_dark_table_are_found_in_reading_order() {
        let img = table(
            1200,
            900,
            [70, 50, 35],
            &[
                (300.0, 220.0, 350.0, 200.0, 0.0),
                (850.0, 240.0, 350.0, 200.0, 8.0),
                (560.0, 640.0, 350.0, 200.0, -12.0),
            ],
        );
        let cards = find_cards(&img);
        assert_eq!(cards.len(), 3, "{cards:?}");
        let expect = [(300.0, 220.0, 0.0), (850.0, 240.0, 8.0), (560.0, 640.0, -12.0)];
        for (c, (x, y, deg)) in cards.iter().zip(expect) {
            assert!((c.center.x - x).abs() < 12.0 && (c.center.y - y).abs() < 12.0, "{c:?} vs {x},{y}");
            assert!((c.angle.to_degrees() - deg).abs() < 2.5, "{c:?} vs {deg}°");
            assert!((c.width - 350.0).abs() < 20.0 && (c.height - 200.0).abs() < 20.0, "{c:?}");
        }
        // Cut out at the crop size, with the card's proportions.
        let crop = crop_card(&img, &cards[1]);
        assert_eq!(crop.width(), CROP_SIDE as u32);
        assert!((crop.width() as f32 / crop.height() as f32 - 1.75).abs() < 0.1, "{}×{}", crop.width(), crop.height());
        // Upright: the crop's corners are card, not table (a margin of a few percent aside).
        let (mx, my) = (crop.width() / 25, crop.height() / 25);
        let (r, b) = (crop.width() - mx, crop.height() - my);
        for (x, y) in [(mx, my), (r, my), (mx, b), (r, b)] {
            assert!(crop.get_pixel(x, y)[0] > 200, "corner {x},{y} is {:?}", crop.get_pixel(x, y));
        }
    }

    #[test]
    fn dark_cards_on_a_light_table_and_a_card_standing_upright() {
        let mut img = table(1000, 800, [200, 200, 205], &[]).to_rgb8();
        for (cx, cy, cw, ch) in [(250.0f32, 400.0f32, 180.0f32, 300.0f32), (700.0, 400.0, 300.0, 180.0)] {
            for y in 0..800u32 {
                for x in 0..1000u32 {
                    if (x as f32 - cx).abs() <= cw / 2.0 && (y as f32 - cy).abs() <= ch / 2.0 {
                        img.put_pixel(x, y, Rgb([20, 30, 60]));
                    }
                }
            }
        }
        let cards = find_cards(&DynamicImage::ImageRgb8(img));
        assert_eq!(cards.len(), 2, "{cards:?}");
        // The upright card stays upright (taller than wide), the other one lies.
        assert!(cards[0].height > cards[0].width && cards[1].width > cards[1].height, "{cards:?}");
    }

    #[test]
    fn one_card_or_no_card_is_not_cut() {
        // A single card on a table.
        let one = table(1000, 700, [60, 60, 60], &[(500.0, 350.0, 600.0, 340.0, 5.0)]);
        assert!(find_cards(&one).is_empty());
        // A card filling the frame (a scan): its print is not a stack of cards.
        let full = table(1050, 600, [245, 243, 238], &[(525.0, 300.0, 1050.0, 600.0, 0.0)]);
        assert!(find_cards(&full).is_empty());
        // Blank, tiny, and noise.
        assert!(find_cards(&DynamicImage::ImageLuma8(GrayImage::from_pixel(800, 600, Luma([128])))).is_empty());
        assert!(find_cards(&DynamicImage::ImageLuma8(GrayImage::from_pixel(20, 10, Luma([0])))).is_empty());
        let noise = GrayImage::from_fn(500, 400, |x, y| Luma([((x * 7919 + y * 104_729) % 251) as u8]));
        assert!(find_cards(&DynamicImage::ImageLuma8(noise)).len() < 2);
    }

    #[test]
    fn a_napkin_beside_a_card_is_not_a_second_card() {
        // A square sheet and one card: the sheet is not card-shaped.
        let img =
            table(1200, 800, [50, 40, 30], &[(330.0, 400.0, 400.0, 400.0, 0.0), (850.0, 400.0, 350.0, 200.0, 0.0)]);
        assert!(find_cards(&img).is_empty());
    }

    #[test]
    fn at_most_eight_cards() {
        let mut cards = Vec::new();
        for row in 0..3 {
            for col in 0..4 {
                cards.push((170.0 + col as f32 * 300.0, 130.0 + row as f32 * 250.0, 240.0, 140.0, 0.0));
            }
        }
        let img = table(1240, 760, [40, 60, 40], &cards);
        assert_eq!(find_cards(&img).len(), MAX_CARDS);
    }
}
