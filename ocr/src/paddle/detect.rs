//! The detector's output turned into text boxes: connected regions of the probability map, their
//! scores, boxes of one line merged, and the image as the network's input tensor.

use super::*;

/// Connected components (8-neighbourhood) of the binary map; returns each component's boundary
/// pixels (pixel centres), which is all `min_area_rect` needs.
pub(super) fn components(mask: &[bool], w: usize, h: usize) -> Vec<Vec<V2>> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut boundary = Vec::new();
        while let Some(i) = stack.pop() {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            let mut edge = false;
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    if dx == 0 && dy == 0 {
                        continue;
                    }
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        edge = true;
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if !mask[j] {
                        edge = true;
                    } else if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            if edge {
                boundary.push(V2::new(x as f32, y as f32));
            }
        }
        out.push(boundary);
    }
    out
}

/// Join boxes that are pieces of one text line (DB splits lines at wide word gaps, e.g. in large
/// bold names): same baseline band, similar height, gap below ~0.8 × the text height.
pub(super) fn merge_line_boxes(boxes: Vec<TextBox>, right: V2, down: V2) -> Vec<TextBox> {
    // Extents in the page frame.
    let ext = |b: &TextBox| {
        let q = b.quad();
        let xs = q.map(|p| p.x * right.x + p.y * right.y);
        let ys = q.map(|p| p.x * down.x + p.y * down.y);
        [
            xs.iter().cloned().fold(f32::MAX, f32::min),
            xs.iter().cloned().fold(f32::MIN, f32::max),
            ys.iter().cloned().fold(f32::MAX, f32::min),
            ys.iter().cloned().fold(f32::MIN, f32::max),
        ]
    };
    // (extent, members)
    let mut items: Vec<([f32; 4], Vec<usize>)> = boxes.iter().enumerate().map(|(i, b)| (ext(b), vec![i])).collect();
    items.sort_by(|a, b| a.0[0].total_cmp(&b.0[0]));
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..items.len() {
            for j in 0..items.len() {
                if i == j {
                    continue;
                }
                let (a, b) = (items[i].0, items[j].0);
                if b[0] < a[0] {
                    continue; // b must start right of a's start
                }
                let (ha, hb) = (a[3] - a[2], b[3] - b[2]);
                let hmin = ha.min(hb);
                let overlap = a[3].min(b[3]) - a[2].max(b[2]);
                let gap = b[0] - a[1];
                if ha.max(hb) <= 1.45 * hmin && overlap >= 0.6 * hmin && gap <= 0.8 * hmin {
                    let members = items[j].1.clone();
                    items[i].0 = [a[0].min(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].max(b[3])];
                    items[i].1.extend(members);
                    items.remove(j);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    items
        .into_iter()
        .map(|(e, members)| {
            if members.len() == 1 {
                return boxes[members[0]];
            }
            // Axis: length-weighted mean of the pieces' axes; extent: all piece corners projected on it.
            let mut u = V2::new(0.0, 0.0);
            for &m in &members {
                u = u.add(boxes[m].u.scale(boxes[m].half_w));
            }
            let u = if u.len() > 0.0 { u.norm() } else { right };
            let v = V2::new(-u.y, u.x);
            let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
            for &m in &members {
                for p in boxes[m].quad() {
                    let p = V2::new(p.x, p.y);
                    x0 = x0.min(p.dot(u));
                    x1 = x1.max(p.dot(u));
                    y0 = y0.min(p.dot(v));
                    y1 = y1.max(p.dot(v));
                }
            }
            let _ = e;
            let center = u.scale((x0 + x1) / 2.0).add(v.scale((y0 + y1) / 2.0));
            let score = members.iter().map(|&m| boxes[m].score).fold(0.0, f32::max);
            TextBox { center, u, v, half_w: (x1 - x0) / 2.0, half_h: (y1 - y0) / 2.0, score }
        })
        .collect()
}

/// Mean detector probability inside the rotated rectangle (in detector-map coordinates).
pub(super) fn box_score(prob: &[f32], pw: usize, ph: usize, rect: &rten_imageproc::RotatedRect) -> f32 {
    let corners = rect.corners();
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for c in corners {
        x0 = x0.min(c.x);
        y0 = y0.min(c.y);
        x1 = x1.max(c.x);
        y1 = y1.max(c.y);
    }
    let xs = (x0.floor().max(0.0) as usize).min(pw - 1);
    let xe = (x1.ceil().max(0.0) as usize).min(pw - 1);
    let ys = (y0.floor().max(0.0) as usize).min(ph - 1);
    let ye = (y1.ceil().max(0.0) as usize).min(ph - 1);
    let (mut sum, mut n) = (0f32, 0usize);
    for y in ys..=ye {
        for x in xs..=xe {
            if rect.contains(PointF::from_yx(y as f32, x as f32)) {
                sum += prob[y * pw + x];
                n += 1;
            }
        }
    }
    if n == 0 {
        0.0
    } else {
        sum / n as f32
    }
}

/// HWC RGB u8 → NCHW BGR f32 normalised with per-channel mean/std (in BGR order as PaddleOCR does).
pub(super) fn to_nchw(img: &RgbImage, mean: [f32; 3], std: [f32; 3]) -> NdTensor<f32, 4> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut data = vec![0f32; 3 * h * w];
    let raw = img.as_raw();
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * 3;
            for ch in 0..3 {
                let src = raw[i + 2 - ch]; // BGR
                data[(ch * h + y) * w + x] = (src as f32 / 255.0 - mean[ch]) / std[ch];
            }
        }
    }
    NdTensor::from_data([1, 3, h, w], data)
}
