//! Small geometry helpers: rotated boxes as (center, reading axis, half sizes) and crop sampling.

use image::RgbImage;

use crate::Point;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct V2 {
    pub x: f32,
    pub y: f32,
}

impl V2 {
    pub fn new(x: f32, y: f32) -> V2 {
        V2 { x, y }
    }
    pub fn dot(self, o: V2) -> f32 {
        self.x * o.x + self.y * o.y
    }
    pub fn len(self) -> f32 {
        self.dot(self).sqrt()
    }
    pub fn scale(self, k: f32) -> V2 {
        V2::new(self.x * k, self.y * k)
    }
    pub fn add(self, o: V2) -> V2 {
        V2::new(self.x + o.x, self.y + o.y)
    }
    pub fn sub(self, o: V2) -> V2 {
        V2::new(self.x - o.x, self.y - o.y)
    }
    pub fn norm(self) -> V2 {
        let l = self.len();
        if l > 0.0 {
            self.scale(1.0 / l)
        } else {
            V2::new(1.0, 0.0)
        }
    }
}

/// A text box: `u` is the unit reading direction, `v` the unit "down" direction (perpendicular),
/// `half_w` along `u`, `half_h` along `v`, all in original-image pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextBox {
    pub center: V2,
    pub u: V2,
    pub v: V2,
    pub half_w: f32,
    pub half_h: f32,
    pub score: f32,
}

impl TextBox {
    /// The same box: same place, axes and size (the score aside).
    pub fn same_as(&self, o: &TextBox) -> bool {
        self.center == o.center && self.u == o.u && self.v == o.v && self.half_w == o.half_w && self.half_h == o.half_h
    }

    /// Corners clockwise from the reading-order top-left.
    pub fn quad(&self) -> [Point; 4] {
        let c = self.center;
        let a = self.u.scale(self.half_w);
        let b = self.v.scale(self.half_h);
        let p = |q: V2| Point { x: q.x, y: q.y };
        [p(c.sub(a).sub(b)), p(c.add(a).sub(b)), p(c.add(a).add(b)), p(c.sub(a).add(b))]
    }

    /// Re-express the box so that its reading direction is the rect axis nearest `right`.
    pub fn orient(&mut self, right: V2, down: V2) {
        // The two axes of the rectangle with their half lengths.
        let axes = [(self.u, self.half_w), (self.v, self.half_h)];
        let (mut u, hw) = if axes[0].0.dot(right).abs() >= axes[1].0.dot(right).abs() { axes[0] } else { axes[1] };
        let (mut v, hh) = if axes[0].0.dot(right).abs() >= axes[1].0.dot(right).abs() { axes[1] } else { axes[0] };
        if u.dot(right) < 0.0 {
            u = u.scale(-1.0);
        }
        if v.dot(down) < 0.0 {
            v = v.scale(-1.0);
        }
        self.u = u;
        self.v = v;
        self.half_w = hw;
        self.half_h = hh;
    }
}

/// Sample the oriented box from `img` into an upright crop of `out_h` rows and `out_w` columns
/// (bilinear, supersampled when shrinking). Returns interleaved RGB.
pub(crate) fn sample_box(img: &RgbImage, b: &TextBox, out_w: u32, out_h: u32) -> RgbImage {
    let mut out = RgbImage::new(out_w.max(1), out_h.max(1));
    let (ow, oh) = out.dimensions();
    let sx = 2.0 * b.half_w / ow as f32; // source pixels per output pixel along u
    let sy = 2.0 * b.half_h / oh as f32;
    let kx = (sx.ceil() as i32).clamp(1, 4);
    let ky = (sy.ceil() as i32).clamp(1, 4);
    let origin = b.center.sub(b.u.scale(b.half_w)).sub(b.v.scale(b.half_h));
    let (iw, ih) = (img.width() as i32, img.height() as i32);
    // Sample points with x < x_max and y < y_max have their 2×2 neighbourhood inside the image.
    let (x_max, y_max) = ((iw - 1) as f32, (ih - 1) as f32);
    let row_len = iw as usize * 3;
    let raw = img.as_raw();
    let inv = 1.0 / (kx * ky) as f32;
    // The sample point of output (ox, oy), sub-sample (jx, jy), is
    // (origin + u * fu) + v * fv: the first term depends only on the column, the second only on
    // the row, so both are computed once (the same operations in the same order as per pixel).
    let along: Vec<V2> = (0..ow)
        .flat_map(|ox| {
            (0..kx).map(move |jx| {
                let fu = (ox as f32 + (jx as f32 + 0.5) / kx as f32) * sx;
                origin.add(b.u.scale(fu))
            })
        })
        .collect();
    let buf: &mut [u8] = &mut out;
    for (oy, out_row) in buf.chunks_exact_mut(ow as usize * 3).enumerate() {
        let down: Vec<V2> = (0..ky)
            .map(|jy| {
                let fv = (oy as f32 + (jy as f32 + 0.5) / ky as f32) * sy;
                b.v.scale(fv)
            })
            .collect();
        for (px_out, cols) in out_row.chunks_exact_mut(3).zip(along.chunks_exact(kx as usize)) {
            let mut acc = [0f32; 3];
            for d in &down {
                for a in cols {
                    let p = a.add(*d);
                    let px = p.x - 0.5;
                    let py = p.y - 0.5;
                    // The 2×2 neighbourhood's columns and rows, and the weights. Inside the image
                    // no clamping is needed and `as usize` is the floor of a non-negative value;
                    // at the edges the neighbours are clamped to the image.
                    let (xs, ys, ax, ay) = if px >= 0.0 && py >= 0.0 && px < x_max && py < y_max {
                        let (x0, y0) = (px as usize, py as usize);
                        ([x0, x0 + 1], [y0, y0 + 1], px - x0 as f32, py - y0 as f32)
                    } else {
                        let (x0, y0) = (px.floor(), py.floor());
                        let (ax, ay) = (px - x0, py - y0);
                        let (x0, y0) = (x0 as i32, y0 as i32);
                        let cx = |x: i32| x.clamp(0, iw - 1) as usize;
                        let cy = |y: i32| y.clamp(0, ih - 1) as usize;
                        ([cx(x0), cx(x0 + 1)], [cy(y0), cy(y0 + 1)], ax, ay)
                    };
                    let (t, d) = (&raw[ys[0] * row_len..][..row_len], &raw[ys[1] * row_len..][..row_len]);
                    for c in 0..3 {
                        let top = t[xs[0] * 3 + c] as f32 * (1.0 - ax) + t[xs[1] * 3 + c] as f32 * ax;
                        let bot = d[xs[0] * 3 + c] as f32 * (1.0 - ax) + d[xs[1] * 3 + c] as f32 * ax;
                        acc[c] += top * (1.0 - ay) + bot * ay;
                    }
                }
            }
            for c in 0..3 {
                px_out[c] = round_u8(acc[c] * inv);
            }
        }
    }
    out
}

/// `v.round().clamp(0.0, 255.0) as u8` (halves away from zero) without the `roundf` call,
/// which the baseline x86-64 target cannot inline.
#[inline]
fn round_u8(v: f32) -> u8 {
    let v = v.clamp(0.0, 255.0);
    let t = v as u32; // the floor: v >= 0
    (t + (v - t as f32 >= 0.5) as u32) as u8
}

/// Minimum-area enclosing rectangle of a point set: (center, unit axis along width, width, height).
/// Convex hull (monotone chain) + one candidate rectangle per hull edge.
pub(crate) fn min_area_rect(points: &[V2]) -> Option<(V2, V2, f32, f32)> {
    if points.is_empty() {
        return None;
    }
    let mut pts: Vec<V2> = points.to_vec();
    pts.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    pts.dedup_by(|a, b| a.x == b.x && a.y == b.y);
    let cross = |o: V2, a: V2, b: V2| (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
    let mut hull: Vec<V2> = Vec::with_capacity(pts.len() * 2);
    for &p in &pts {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower_len = hull.len() + 1;
    for &p in pts.iter().rev().skip(1) {
        while hull.len() >= lower_len && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    if hull.len() < 3 {
        // Degenerate (a line or a point): axis-aligned box of the points.
        let (x0, x1) = pts.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.x), b.max(p.x)));
        let (y0, y1) = pts.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.y), b.max(p.y)));
        return Some((V2::new((x0 + x1) / 2.0, (y0 + y1) / 2.0), V2::new(1.0, 0.0), x1 - x0, y1 - y0));
    }
    let mut best: Option<(f32, V2, V2, f32, f32)> = None;
    for i in 0..hull.len() {
        let a = hull[i];
        let b = hull[(i + 1) % hull.len()];
        let u = b.sub(a).norm();
        let v = V2::new(-u.y, u.x);
        let (mut umin, mut umax, mut vmin, mut vmax) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &hull {
            let d = p.sub(a);
            let (pu, pv) = (d.dot(u), d.dot(v));
            umin = umin.min(pu);
            umax = umax.max(pu);
            vmin = vmin.min(pv);
            vmax = vmax.max(pv);
        }
        let area = (umax - umin) * (vmax - vmin);
        if best.as_ref().is_none_or(|b| area < b.0) {
            let c = a.add(u.scale((umin + umax) / 2.0)).add(v.scale((vmin + vmax) / 2.0));
            best = Some((area, c, u, umax - umin, vmax - vmin));
        }
    }
    best.map(|(_, c, u, w, h)| (c, u, w, h))
}

/// `image::imageops::thumbnail` for an RGB image made smaller on both axes (`new_w < width`,
/// `new_h < height`), pixel for pixel the same result, about 3× faster: each output pixel is the
/// rounded mean of the same whole source pixels, but the sums are made row by row (column sums
/// over the output row's source rows, then each output column's span of them) instead of pixel
/// by pixel through `GenericImageView::get_pixel`.
pub(crate) fn shrink_thumbnail(img: &RgbImage, new_w: u32, new_h: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if new_w == 0 || new_h == 0 || new_w >= w || new_h >= h {
        return image::imageops::thumbnail(img, new_w, new_h);
    }
    // The source span of an output column or row, computed as `thumbnail` does.
    let span = |o: u32, ratio: f32, len: u32| {
        let lo_f = o as f32 * ratio;
        let hi_f = lo_f + ratio;
        let lo = (lo_f.ceil() as u32).clamp(0, len - 1);
        let hi = (hi_f.ceil() as u32).clamp(lo, len);
        (lo as usize, hi as usize)
    };
    let (xr, yr) = (w as f32 / new_w as f32, h as f32 / new_h as f32);
    let cols: Vec<(usize, usize)> = (0..new_w).map(|x| span(x, xr, w)).collect();
    let rows: Vec<(usize, usize)> = (0..new_h).map(|y| span(y, yr, h)).collect();
    if cols.iter().chain(&rows).any(|&(lo, hi)| lo == hi) {
        // A span without a whole pixel: `thumbnail` blends fractions there.
        return image::imageops::thumbnail(img, new_w, new_h);
    }
    let raw = img.as_raw();
    let stride = w as usize * 3;
    let mut out = vec![0u8; new_w as usize * new_h as usize * 3];
    let mut colsum = vec![0u32; stride];
    for (out_row, &(top, bottom)) in out.chunks_exact_mut(new_w as usize * 3).zip(&rows) {
        colsum.iter_mut().for_each(|s| *s = 0);
        for row in raw[top * stride..bottom * stride].chunks_exact(stride) {
            for (s, &v) in colsum.iter_mut().zip(row) {
                *s += v as u32;
            }
        }
        let rows = (bottom - top) as u32;
        for (px, &(l, r)) in out_row.chunks_exact_mut(3).zip(&cols) {
            let n = (r - l) as u32 * rows;
            let mut acc = [0u32; 3];
            for p in colsum[l * 3..r * 3].chunks_exact(3) {
                acc[0] += p[0];
                acc[1] += p[1];
                acc[2] += p[2];
            }
            for c in 0..3 {
                px[c] = ((acc[c] + n / 2) / n).min(255) as u8;
            }
        }
    }
    RgbImage::from_raw(new_w, new_h, out).expect("buffer of the right size")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random RGB image (xorshift), smooth enough to resemble a photo in places.
    fn noise(w: u32, h: u32, seed: u32) -> RgbImage {
        let mut x = seed.max(1);
        RgbImage::from_fn(w, h, |px, py| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let base = ((px * 7 + py * 3) % 256) as u8;
            image::Rgb([base.wrapping_add((x & 0x1f) as u8), (x >> 8) as u8, (x >> 16) as u8])
        })
    }

    #[test]
    fn shrink_thumbnail_is_image_thumbnail_pixel_for_pixel() {
        for (w, h, nw, nh, seed) in [
            (1130, 680, 512, 320, 1),
            (4032, 3024, 512, 384, 2),
            (100, 61, 99, 60, 3),
            (641, 479, 64, 32, 4),
            (33, 900, 32, 96, 5),
            (5, 5, 2, 1, 6),
        ] {
            let img = noise(w, h, seed);
            let ours = shrink_thumbnail(&img, nw, nh);
            let theirs = image::imageops::thumbnail(&img, nw, nh);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            assert!(ours.as_raw() == theirs.as_raw(), "{w}x{h} -> {nw}x{nh}");
        }
    }

    /// The sampler as it was before its interior fast path: clamped bilinear reads everywhere
    /// and `f32::round`.
    fn sample_box_reference(img: &RgbImage, b: &TextBox, out_w: u32, out_h: u32) -> RgbImage {
        let mut out = RgbImage::new(out_w.max(1), out_h.max(1));
        let (w, h) = (out.width() as f32, out.height() as f32);
        let sx = 2.0 * b.half_w / w;
        let sy = 2.0 * b.half_h / h;
        let kx = (sx.ceil() as i32).clamp(1, 4);
        let ky = (sy.ceil() as i32).clamp(1, 4);
        let origin = b.center.sub(b.u.scale(b.half_w)).sub(b.v.scale(b.half_h));
        let (iw, ih) = (img.width() as i32, img.height() as i32);
        let raw = img.as_raw();
        let inv = 1.0 / (kx * ky) as f32;
        for oy in 0..out.height() {
            for ox in 0..out.width() {
                let mut acc = [0f32; 3];
                for jy in 0..ky {
                    for jx in 0..kx {
                        let fu = (ox as f32 + (jx as f32 + 0.5) / kx as f32) * sx;
                        let fv = (oy as f32 + (jy as f32 + 0.5) / ky as f32) * sy;
                        let p = origin.add(b.u.scale(fu)).add(b.v.scale(fv));
                        let (px, py) = (p.x - 0.5, p.y - 0.5);
                        let (x0, y0) = (px.floor(), py.floor());
                        let (ax, ay) = (px - x0, py - y0);
                        let (x0, y0) = (x0 as i32, y0 as i32);
                        for c in 0..3 {
                            let g = |x: i32, y: i32| -> f32 {
                                raw[(y.clamp(0, ih - 1) as usize * iw as usize + x.clamp(0, iw - 1) as usize) * 3 + c]
                                    as f32
                            };
                            let top = g(x0, y0) * (1.0 - ax) + g(x0 + 1, y0) * ax;
                            let bot = g(x0, y0 + 1) * (1.0 - ax) + g(x0 + 1, y0 + 1) * ax;
                            acc[c] += top * (1.0 - ay) + bot * ay;
                        }
                    }
                }
                let px = |c: usize| (acc[c] * inv).round().clamp(0.0, 255.0) as u8;
                out.put_pixel(ox, oy, image::Rgb([px(0), px(1), px(2)]));
            }
        }
        out
    }

    #[test]
    fn sample_box_matches_the_clamped_reference_inside_and_across_the_edges() {
        let img = noise(300, 200, 9);
        let boxes = [
            // inside, slightly rotated, shrinking (supersampled)
            (V2::new(150.0, 100.0), 0.1f32, 80.0, 12.0, 96, 24),
            // enlarging
            (V2::new(100.0, 60.0), -0.05, 20.0, 6.0, 160, 48),
            // crossing the left and top edges, and the bottom-right corner
            (V2::new(10.0, 5.0), 0.3, 40.0, 10.0, 120, 30),
            (V2::new(295.0, 197.0), 0.0, 30.0, 8.0, 90, 24),
            // upside down, sideways
            (V2::new(150.0, 100.0), std::f32::consts::PI, 60.0, 10.0, 144, 24),
            (V2::new(150.0, 100.0), std::f32::consts::FRAC_PI_2, 60.0, 10.0, 144, 24),
        ];
        for (center, angle, half_w, half_h, ow, oh) in boxes {
            let u = V2::new(angle.cos(), angle.sin());
            let b = TextBox { center, u, v: V2::new(-u.y, u.x), half_w, half_h, score: 1.0 };
            let ours = sample_box(&img, &b, ow, oh);
            let reference = sample_box_reference(&img, &b, ow, oh);
            assert!(ours.as_raw() == reference.as_raw(), "box at {center:?}, angle {angle}");
        }
        for v in [0.0f32, 0.49999997, 0.5, 1.5, 2.4999998, 2.5, 254.49998, 254.5, 255.0, 300.0, -1.0] {
            assert_eq!(round_u8(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
        }
    }
}
