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
    let (w, h) = (out.width() as f32, out.height() as f32);
    let sx = 2.0 * b.half_w / w; // source pixels per output pixel along u
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
                    let px = p.x - 0.5;
                    let py = p.y - 0.5;
                    let x0 = px.floor();
                    let y0 = py.floor();
                    let ax = px - x0;
                    let ay = py - y0;
                    let (x0, y0) = (x0 as i32, y0 as i32);
                    for c in 0..3 {
                        let g = |x: i32, y: i32| -> f32 {
                            let x = x.clamp(0, iw - 1) as usize;
                            let y = y.clamp(0, ih - 1) as usize;
                            raw[(y * iw as usize + x) * 3 + c] as f32
                        };
                        let top = g(x0, y0) * (1.0 - ax) + g(x0 + 1, y0) * ax;
                        let bot = g(x0, y0 + 1) * (1.0 - ax) + g(x0 + 1, y0 + 1) * ax;
                        acc[c] += top * (1.0 - ay) + bot * ay;
                    }
                }
            }
            out.put_pixel(
                ox,
                oy,
                image::Rgb([
                    (acc[0] * inv).round().clamp(0.0, 255.0) as u8,
                    (acc[1] * inv).round().clamp(0.0, 255.0) as u8,
                    (acc[2] * inv).round().clamp(0.0, 255.0) as u8,
                ]),
            );
        }
    }
    out
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
