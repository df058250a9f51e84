//! QR codes on cards: vCard (BEGIN:VCARD) and MeCard (MECARD:) payloads → [`ParsedCard`].

use image::DynamicImage;

use crate::parse::{ParsedCard, ParsedField, ParsedPhone};

fn f(v: &str) -> Option<ParsedField> {
    let v = v.trim();
    if v.is_empty() {
        None
    } else {
        Some(ParsedField { value: v.to_string(), blocks: Vec::new() })
    }
}

fn e164(number: &str) -> Option<String> {
    let n = phonenumber::parse(None, number.trim()).ok()?;
    Some(n.format().mode(phonenumber::Mode::E164).to_string())
}

/// Find and decode QR codes; returns the first vCard/MeCard found.
///
/// Large images (photos) are searched on a grey copy shrunk by a whole factor to at most
/// [`QR_SIDE`] px; only when that finds a QR grid but decodes no vCard/MeCard from it (modules
/// too small at that size) is the full-size image searched too.
pub fn decode_qr(img: &DynamicImage) -> Option<ParsedCard> {
    let (card, found_grid) = decode_qr_gray(qr_gray(img));
    if card.is_none() && found_grid && qr_factor(img) > 1 {
        return decode_qr_gray(img.to_luma8()).0;
    }
    card
}

/// Longest side of the grey image the first QR search runs on.
pub const QR_SIDE: u32 = 1600;

/// Whole shrink factor that brings the longest side to at most [`QR_SIDE`].
fn qr_factor(img: &DynamicImage) -> u32 {
    img.width().max(img.height()).div_ceil(QR_SIDE).max(1)
}

/// The grey image the first QR search runs on: `img` as luma, each output pixel the mean of a
/// `factor`×`factor` block (box filter; a few pixels at the right/bottom edge are dropped). Made
/// in one pass from the RGB pixels: converting the whole 12 MP photo to grey and then
/// resampling it took ~110 of the ~150 ms the QR search cost per photo. Public for
/// `examples/qr-time.rs`.
#[doc(hidden)]
pub fn qr_gray(img: &DynamicImage) -> image::GrayImage {
    let f = qr_factor(img);
    if f == 1 {
        return match img {
            DynamicImage::ImageRgb8(rgb) => rgb_luma(rgb),
            other => other.to_luma8(),
        };
    }
    match img {
        DynamicImage::ImageRgb8(rgb) => box_shrink(rgb.width(), rgb.height(), 3, rgb.as_raw(), f),
        DynamicImage::ImageLuma8(g) => box_shrink(g.width(), g.height(), 1, g.as_raw(), f),
        other => {
            let rgb = other.to_rgb8();
            box_shrink(rgb.width(), rgb.height(), 3, rgb.as_raw(), f)
        }
    }
}

/// Luma of an RGB image with the image crate's Rec. 709 weights in 16-bit fixed point
/// (13933, 46871, 4732 / 65536): the same grey levels as `to_luma8` give or take one, in a loop
/// the compiler vectorises (`to_luma8` took 0.7 % of a card's CPU).
fn rgb_luma(rgb: &image::RgbImage) -> image::GrayImage {
    let luma = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| ((13933 * p[0] as u32 + 46871 * p[1] as u32 + 4732 * p[2] as u32 + 32768) >> 16) as u8)
        .collect();
    image::GrayImage::from_raw(rgb.width(), rgb.height(), luma).expect("buffer size")
}

/// Box-filter `f`× shrink of an 8-bit grey (`channels` = 1) or RGB (3) image to luma, with
/// the image crate's Rec. 709 weights (0.2126, 0.7152, 0.0722).
fn box_shrink(w: u32, h: u32, channels: usize, data: &[u8], f: u32) -> image::GrayImage {
    let (ow, oh, f) = ((w / f) as usize, (h / f) as usize, f as usize);
    let stride = w as usize * channels;
    let mut out = vec![0u8; ow * oh];
    // Per output row: sums of weighted luma (×10000) over the f×f block of each output pixel.
    let mut acc = vec![0u64; ow];
    for oy in 0..oh {
        acc.iter_mut().for_each(|a| *a = 0);
        for row in data[oy * f * stride..].chunks_exact(stride).take(f) {
            for (a, block) in acc.iter_mut().zip(row.chunks_exact(f * channels)) {
                *a += if channels == 3 {
                    block
                        .chunks_exact(3)
                        .map(|p| 2126 * p[0] as u64 + 7152 * p[1] as u64 + 722 * p[2] as u64)
                        .sum::<u64>()
                } else {
                    block.iter().map(|&v| 10000 * v as u64).sum::<u64>()
                };
            }
        }
        let div = (10000 * f * f) as u64;
        for (o, a) in out[oy * ow..(oy + 1) * ow].iter_mut().zip(&acc) {
            *o = ((a + div / 2) / div).min(255) as u8;
        }
    }
    image::GrayImage::from_raw(ow as u32, oh as u32, out).expect("buffer size")
}

/// Search `gray` for QR codes: the first vCard/MeCard decoded, and whether any QR grid
/// (three finder patterns) was found at all.
fn decode_qr_gray(gray: image::GrayImage) -> (Option<ParsedCard>, bool) {
    let mut prepared = if gray.width() / 8 <= THRESHOLD_MAX_T as u32 {
        rqrr::PreparedImage::without_preparation(threshold_like_rqrr(gray))
    } else {
        rqrr::PreparedImage::prepare(gray)
    };
    let grids = prepared.detect_grids();
    let found_grid = !grids.is_empty();
    for grid in grids {
        if let Ok((_, content)) = grid.decode() {
            let c = content.trim_start_matches('\u{feff}');
            let up = c.trim_start().to_ascii_uppercase();
            if up.starts_with("BEGIN:VCARD") {
                if let Some(card) = parse_vcard(c) {
                    return (Some(card), true);
                }
            } else if up.starts_with("MECARD:") {
                if let Some(card) = parse_mecard(c) {
                    return (Some(card), true);
                }
            }
        }
    }
    (None, found_grid)
}

/// Exact `floor(n / d)` for `n < 2^32` by a multiplication (Granlund and Montgomery, "Division
/// by invariant integers using multiplication", theorem 4.2).
#[derive(Clone, Copy)]
struct DivBy {
    m: u128,
    shift: u32,
}

impl DivBy {
    fn new(d: u64) -> Self {
        assert!(d > 0 && d <= 1 << 32);
        let l = 64 - (d - 1).leading_zeros(); // ceil(log2 d)
        let shift = 32 + l;
        DivBy { m: (1u128 << shift) / d as u128 + 1, shift }
    }

    #[inline]
    fn div(self, n: u64) -> u64 {
        debug_assert!(n < 1 << 32);
        ((n as u128 * self.m) >> self.shift) as u64
    }
}

/// Widest averaging window (width / 8) [`threshold_like_rqrr`] takes: images up to 32,775 px wide.
const THRESHOLD_MAX_T: usize = 4096;

/// rqrr's `PreparedImage::prepare` thresholding, value for value (1 = black, 0 = white), without
/// its two integer divisions per pixel (1.9 % of a card's CPU before): the running averages
/// divide by a multiplication that is exact for their range, and the comparison with the row
/// average is made without dividing. `tests::threshold_matches_rqrr` checks it against rqrr.
fn threshold_like_rqrr(mut gray: image::GrayImage) -> image::GrayImage {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    assert!(w / 8 <= THRESHOLD_MAX_T);
    if w == 0 || h == 0 {
        return gray;
    }
    let t = (w / 8).max(1) as u64;
    let by_t = DivBy::new(t);
    let mut row_average = vec![0u64; w];
    let (mut avg_v, mut avg_u) = (0u64, 0u64);
    for (y, row) in gray.chunks_exact_mut(w).enumerate() {
        row_average.iter_mut().for_each(|a| *a = 0);
        for x in 0..w {
            let (v, u) = if y % 2 == 0 { (w - 1 - x, x) } else { (x, w - 1 - x) };
            // avg ≤ 255 · t, so avg · (t − 1) < 2^32 while t ≤ THRESHOLD_MAX_T.
            avg_v = by_t.div(avg_v * (t - 1)) + row[v] as u64;
            avg_u = by_t.div(avg_u * (t - 1)) + row[u] as u64;
            row_average[v] += avg_v;
            row_average[u] += avg_u;
        }
        // rqrr: black when p < avg · 95 / (200 t), i.e. (p + 1) · 200 t <= avg · 95.
        for (p, &a) in row.iter_mut().zip(&row_average) {
            *p = ((*p as u64 + 1) * 200 * t <= a * 95) as u8;
        }
    }
    gray
}

/// Undo vCard / MeCard escapes in one pass: `\n` is a line break (written ", "); `\,` `\;` `\:`
/// `\\` are the character; other backslashes stay. One pass, so an escaped backslash followed
/// by an `n` stays a backslash and an `n`.
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push_str(", "),
            Some(c @ (',' | ';' | ':' | '\\')) => out.push(c),
            Some(c) => {
                out.push('\\');
                out.push(c);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Split on `sep` not preceded by a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut esc = false;
    for c in s.chars() {
        if esc {
            out.last_mut().unwrap().push('\\');
            out.last_mut().unwrap().push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == sep {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(c);
        }
    }
    out
}

fn phone_kind(params: &str) -> &'static str {
    let p = params.to_ascii_uppercase();
    if p.contains("FAX") {
        "fax"
    } else if p.contains("CELL") || p.contains("MOBILE") {
        "mobile"
    } else if p.contains("HOME") {
        "home"
    } else if p.contains("WORK") || p.contains("VOICE") {
        "work"
    } else {
        "other"
    }
}

/// Parse a vCard 2.1/3.0/4.0 text.
pub fn parse_vcard(text: &str) -> Option<ParsedCard> {
    // Unfold continuation lines.
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split(['\n']) {
        let raw = raw.trim_end_matches('\r');
        if (raw.starts_with(' ') || raw.starts_with('\t')) && !lines.is_empty() {
            lines.last_mut().unwrap().push_str(&raw[1..]);
        } else {
            lines.push(raw.to_string());
        }
    }
    let mut card = ParsedCard::default();
    let mut any = false;
    for l in &lines {
        let Some((key, value)) = l.split_once(':') else { continue };
        let mut parts = key.split(';');
        let name = parts.next().unwrap_or("").to_ascii_uppercase();
        let name = name.rsplit('.').next().unwrap_or(&name).to_string(); // item1.TEL
        let params = parts.collect::<Vec<_>>().join(";");
        match name.as_str() {
            "N" => {
                let p: Vec<String> = split_unescaped(value, ';').iter().map(|x| unescape(x)).collect();
                card.last_name = f(p.first().map(String::as_str).unwrap_or(""));
                card.first_name = f(p.get(1).map(String::as_str).unwrap_or(""));
                card.middle_name = f(p.get(2).map(String::as_str).unwrap_or(""));
                card.prefix = f(p.get(3).map(String::as_str).unwrap_or(""));
                any = true;
            }
            "FN" => {
                card.full_name = f(&unescape(value));
                any = true;
            }
            "ORG" => {
                let p: Vec<String> = split_unescaped(value, ';').iter().map(|x| unescape(x)).collect();
                card.company = f(p.first().map(String::as_str).unwrap_or(""));
                if let Some(d) = p.get(1) {
                    card.department = f(d);
                }
                any = true;
            }
            "TITLE" => {
                card.position = f(&unescape(value));
                any = true;
            }
            "TEL" => {
                let number = value.trim().trim_start_matches("tel:").to_string();
                card.phones.push(ParsedPhone {
                    kind: phone_kind(&params).into(),
                    e164: e164(&number),
                    number,
                    blocks: vec![],
                });
                any = true;
            }
            "EMAIL" => {
                if let Some(e) = f(value.trim().trim_start_matches("mailto:")) {
                    card.emails.push(e);
                }
                any = true;
            }
            "URL" => {
                card.website = f(&unescape(value));
                any = true;
            }
            "ADR" => {
                // PO box; extended; street; locality; region; postal code; country
                let p: Vec<String> = split_unescaped(value, ';')
                    .iter()
                    .map(|x| unescape(x).trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect();
                card.address = f(&p.join(", "));
                any = true;
            }
            _ => {}
        }
    }
    if card.full_name.is_none() {
        let parts: Vec<String> = [&card.first_name, &card.middle_name, &card.last_name]
            .iter()
            .filter_map(|x| x.as_ref().map(|f| f.value.clone()))
            .collect();
        card.full_name = f(&parts.join(" "));
    }
    any.then_some(card)
}

/// Parse a MeCard (`MECARD:N:Doe,John;TEL:…;EMAIL:…;;`).
pub fn parse_mecard(text: &str) -> Option<ParsedCard> {
    let body = text.trim();
    let body = body.get(7..).filter(|_| body.to_ascii_uppercase().starts_with("MECARD:"))?;
    let mut card = ParsedCard::default();
    for item in split_unescaped(body, ';') {
        let Some((k, v)) = item.split_once(':') else { continue };
        let v = unescape(v);
        match k.to_ascii_uppercase().as_str() {
            "N" => {
                let (last, first) = v.split_once(',').unwrap_or((v.as_str(), ""));
                card.last_name = f(last);
                card.first_name = f(first);
                let full: Vec<&str> = [first.trim(), last.trim()].into_iter().filter(|x| !x.is_empty()).collect();
                card.full_name = f(&full.join(" "));
            }
            "TEL" => card.phones.push(ParsedPhone {
                kind: "other".into(),
                e164: e164(&v),
                number: v.clone(),
                blocks: vec![],
            }),
            "EMAIL" => {
                if let Some(e) = f(&v) {
                    card.emails.push(e)
                }
            }
            "URL" => card.website = f(&v),
            "ADR" => card.address = f(&v),
            "ORG" => card.company = f(&v),
            "TITLE" => card.position = f(&v),
            "NOTE" | "BDAY" | "SOUND" | "NICKNAME" => {}
            _ => {}
        }
    }
    Some(card)
}

/// Merge a QR result into OCR parse results: QR data is exact, so it fills missing fields and
/// replaces OCR values; phones and e-mails are unioned (QR kinds win for the same number).
pub fn merge_qr(ocr: &mut ParsedCard, qr: ParsedCard) {
    fn take(dst: &mut Option<ParsedField>, src: Option<ParsedField>) {
        if let Some(mut s) = src {
            if let Some(d) = dst.as_ref() {
                s.blocks = d.blocks.clone();
            }
            *dst = Some(s);
        }
    }
    take(&mut ocr.prefix, qr.prefix);
    take(&mut ocr.first_name, qr.first_name);
    take(&mut ocr.middle_name, qr.middle_name);
    take(&mut ocr.last_name, qr.last_name);
    take(&mut ocr.full_name, qr.full_name);
    take(&mut ocr.position, qr.position);
    take(&mut ocr.department, qr.department);
    take(&mut ocr.company, qr.company);
    take(&mut ocr.website, qr.website);
    take(&mut ocr.address, qr.address);
    for p in qr.phones {
        match ocr.phones.iter_mut().find(|o| o.e164.is_some() && o.e164 == p.e164) {
            Some(o) => {
                if p.kind != "other" {
                    o.kind = p.kind;
                }
            }
            None => ocr.phones.push(p),
        }
    }
    for e in qr.emails {
        if !ocr.emails.iter().any(|o| o.value.eq_ignore_ascii_case(&e.value)) {
            ocr.emails.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VCARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Smith;Avery;;Dr.;\r\nFN:Avery Smith\r\nORG:Contoso;Cloud & AI Department\r\nTITLE:Senior Researcher\r\nTEL;TYPE=CELL:+44 7911 123456\r\nTEL;TYPE=WORK,VOICE:+44 20 9876 5432\r\nTEL;TYPE=FAX:+44 20 6789 2345\r\nEMAIL:avery.smith@contoso.com\r\nURL:https://www.contoso.com/\r\nADR;TYPE=WORK:;;2 Kingdom Street;London;;W2 6BD;UK\r\nEND:VCARD\r\n";

    fn check_avery(c: &ParsedCard) {
        assert_eq!(c.first_name.as_ref().unwrap().value, "Avery");
        assert_eq!(c.last_name.as_ref().unwrap().value, "Smith");
        assert_eq!(c.prefix.as_ref().unwrap().value, "Dr.");
        assert_eq!(c.company.as_ref().unwrap().value, "Contoso");
        assert_eq!(c.department.as_ref().unwrap().value, "Cloud & AI Department");
        assert_eq!(c.position.as_ref().unwrap().value, "Senior Researcher");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+447911123456"), ("work", "+442098765432"), ("fax", "+442067892345")]);
        assert_eq!(c.emails[0].value, "avery.smith@contoso.com");
        assert_eq!(c.address.as_ref().unwrap().value, "2 Kingdom Street, London, W2 6BD, UK");
    }

    #[test]
    fn vcard_text() {
        check_avery(&parse_vcard(VCARD).unwrap());
    }

    #[test]
    fn mecard_text() {
        let c = parse_mecard("MECARD:N:Lee,Bianca;TEL:+19178570839;EMAIL:bianca.lee@example.com;URL:www.example.com;;")
            .unwrap();
        assert_eq!(c.full_name.unwrap().value, "Bianca Lee");
        assert_eq!(c.phones[0].e164.as_deref(), Some("+19178570839"));
        assert_eq!(c.emails[0].value, "bianca.lee@example.com");
    }

    fn qr_image(payload: &str, scale: u32, offset: u32) -> DynamicImage {
        let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
        let small = code.render::<image::Luma<u8>>().module_dimensions(scale, scale).build();
        // Put it on a larger "card" with some margin.
        let mut card =
            image::GrayImage::from_pixel(small.width() + 2 * offset, small.height() + offset, image::Luma([235]));
        image::imageops::overlay(&mut card, &small, offset as i64, (offset / 2) as i64);
        DynamicImage::ImageLuma8(card)
    }

    #[test]
    fn decodes_generated_vcard_qr() {
        let img = qr_image(VCARD, 4, 300);
        let c = decode_qr(&img).expect("QR decoded");
        check_avery(&c);
    }

    #[test]
    fn decodes_generated_mecard_qr_and_merges() {
        let img = qr_image("MECARD:N:Lee,Bianca;TEL:+19178570839;EMAIL:bianca.lee@example.com;;", 5, 100);
        let qr = decode_qr(&img).expect("QR decoded");
        let mut ocr = ParsedCard {
            full_name: Some(ParsedField { value: "Bianca Lec".into(), blocks: vec![1] }),
            phones: vec![ParsedPhone {
                kind: "mobile".into(),
                number: "(917) 857-0839".into(),
                e164: Some("+19178570839".into()),
                blocks: vec![3],
            }],
            ..Default::default()
        };
        merge_qr(&mut ocr, qr);
        assert_eq!(ocr.full_name.as_ref().unwrap().value, "Bianca Lee");
        assert_eq!(ocr.full_name.as_ref().unwrap().blocks, vec![1]);
        assert_eq!(ocr.phones.len(), 1);
        assert_eq!(ocr.phones[0].kind, "mobile");
        assert_eq!(ocr.emails.len(), 1);
    }

    #[test]
    fn box_shrink_averages_luma_blocks() {
        // 4x2 RGB, factor 2: two output pixels.
        let px = [
            [255, 255, 255],
            [0, 0, 0],
            [255, 0, 0],
            [255, 0, 0],
            [255, 255, 255],
            [0, 0, 0],
            [255, 0, 0],
            [255, 0, 0],
        ];
        let data: Vec<u8> = px.iter().flatten().copied().collect();
        let g = box_shrink(4, 2, 3, &data, 2);
        assert_eq!(g.dimensions(), (2, 1));
        assert_eq!(g.as_raw(), &vec![128, 54]); // (255+0)/2; 0.2126*255
        let rgb = image::RgbImage::from_raw(4, 2, data).unwrap();
        let luma = DynamicImage::ImageRgb8(rgb).to_luma8();
        assert_eq!(luma.get_pixel(2, 0).0[0], 54, "same weights as the image crate");
    }

    #[test]
    fn threshold_matches_rqrr() {
        for d in [1u64, 2, 3, 7, 141, 200, 504, 2500, 16_384, 1 << 32] {
            let by = DivBy::new(d);
            for n in [0u64, 1, d - 1, d, d + 1, 12_345_678, (1 << 32) - 1, (1 << 32) - d.min(1 << 31)]
                .into_iter()
                .filter(|&n| n < 1 << 32)
            {
                assert_eq!(by.div(n), n / d, "{n} / {d}");
            }
        }
        let mut x = 99u32;
        for (w, h) in [(1u32, 1u32), (7, 3), (64, 40), (1130, 68), (1601, 9)] {
            // Noise over a gradient, and a generated QR code on a grey, unevenly lit card.
            let gray = image::GrayImage::from_fn(w, h, |px, py| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                image::Luma([((px * 255 / w.max(1)) as u8 / 2).wrapping_add((x % 128) as u8) ^ (py as u8)])
            });
            let ours = threshold_like_rqrr(gray.clone());
            let theirs = rqrr::PreparedImage::prepare(gray);
            for (i, &p) in ours.as_raw().iter().enumerate() {
                let black = theirs.get_pixel_at(i % w as usize, i / w as usize) == 1u8;
                assert_eq!(p == 1, black, "{w}x{h} pixel {i}");
            }
        }
        let qr = qr_image(VCARD, 6, 40).to_luma8();
        let lit = image::GrayImage::from_fn(qr.width(), qr.height(), |px, py| {
            image::Luma([(qr.get_pixel(px, py).0[0] as u32 * (150 + px * 100 / qr.width()) / 255) as u8])
        });
        let ours = threshold_like_rqrr(lit.clone());
        let theirs = rqrr::PreparedImage::prepare(lit);
        for (i, &p) in ours.as_raw().iter().enumerate() {
            let w = ours.width() as usize;
            assert_eq!(p == 1, theirs.get_pixel_at(i % w, i / w) == 1u8, "pixel {i}");
        }
    }

    #[test]
    fn rgb_luma_is_the_image_crates_luma_within_one_level() {
        let mut x = 7u32;
        let rgb = image::RgbImage::from_fn(64, 64, |_, _| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            image::Rgb([x as u8, (x >> 8) as u8, (x >> 16) as u8])
        });
        let ours = rgb_luma(&rgb);
        let theirs = DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
        for (a, b) in ours.as_raw().iter().zip(theirs.as_raw()) {
            assert!(a.abs_diff(*b) <= 1, "{a} vs {b}");
        }
        let white = image::RgbImage::from_pixel(2, 2, image::Rgb([255, 255, 255]));
        assert_eq!(rgb_luma(&white).as_raw(), &vec![255; 4]);
    }

    /// A QR the size it has on a 12 MP card photo (modules 8-12 px) on an image over 3200 px wide:
    /// decoded from the 3× shrunk grey copy, from grey and from RGB pixels. (Modules under ~6 px
    /// at full size are lost in the shrink — as they were with the earlier 1600 px thumbnail.)
    #[test]
    fn decodes_qr_on_large_image() {
        for module in [8u32, 12] {
            let luma = qr_image(VCARD, module, 1700);
            assert_eq!(qr_factor(&luma), 3);
            let (first, grid) = decode_qr_gray(qr_gray(&luma));
            assert!(first.is_some() && grid, "module {module}: first pass");
            check_avery(&decode_qr(&luma).expect("QR decoded from grey"));
            let rgb = DynamicImage::ImageRgb8(luma.to_rgb8());
            check_avery(&decode_qr(&rgb).expect("QR decoded from RGB"));
        }
    }

    #[test]
    fn no_qr_on_blank_image() {
        assert!(decode_qr(&DynamicImage::new_luma8(200, 100)).is_none());
    }
}
