//! Upload decoding: type sniffed from bytes, size/pixel limits checked from the header before any
//! pixel buffer is allocated, EXIF orientation applied.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::OcrError;

/// Bounds applied to an upload before and during decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum upload size in bytes.
    pub max_bytes: usize,
    /// Maximum width × height.
    pub max_pixels: u64,
    /// Maximum width or height.
    pub max_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 10 * 1024 * 1024, max_pixels: 40_000_000, max_side: 12_000 }
    }
}

const ALLOWED: &[ImageFormat] =
    &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP, ImageFormat::Gif, ImageFormat::Bmp, ImageFormat::Tiff];

/// Decode an uploaded image safely.
///
/// Rejects empty and oversized uploads, anything whose magic bytes are not a supported image
/// format, images whose header dimensions exceed `limits` (checked before decoding, so a
/// 20000×20000 PNG costs nothing), and truncated or corrupt files. Applies the EXIF orientation.
pub fn decode_image(bytes: &[u8], limits: &Limits) -> Result<DynamicImage, OcrError> {
    if bytes.is_empty() {
        return Err(OcrError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(OcrError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let format = image::guess_format(bytes).map_err(|_| OcrError::NotAnImage)?;
    if !ALLOWED.contains(&format) {
        return Err(OcrError::NotAnImage);
    }
    // Decoders fill missing data of a cut-off file with grey; check the end markers ourselves.
    if format == ImageFormat::Jpeg && !bytes.windows(2).any(|w| w == [0xFF, 0xD9]) {
        return Err(OcrError::Decode("truncated JPEG (no end-of-image marker)".into()));
    }
    if format == ImageFormat::Png && !bytes.windows(4).any(|w| w == b"IEND") {
        return Err(OcrError::Decode("truncated PNG (no IEND chunk)".into()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut lim = image::Limits::default();
    lim.max_image_width = Some(limits.max_side);
    lim.max_image_height = Some(limits.max_side);
    // Decoder working memory: an RGBA8 buffer of the allowed size plus slack.
    lim.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(lim);
    let mut decoder = reader.into_decoder().map_err(|e| map_err(e, None))?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(OcrError::Decode("zero-sized image".into()));
    }
    if w > limits.max_side || h > limits.max_side {
        return Err(OcrError::TooManyPixels { width: w, height: h, reason: format!("max side {}", limits.max_side) });
    }
    if (w as u64) * (h as u64) > limits.max_pixels {
        return Err(OcrError::TooManyPixels {
            width: w,
            height: h,
            reason: format!("max {} pixels", limits.max_pixels),
        });
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| map_err(e, Some((w, h))))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

fn map_err(e: image::ImageError, dims: Option<(u32, u32)>) -> OcrError {
    match e {
        image::ImageError::Limits(l) => {
            let (width, height) = dims.unwrap_or((0, 0));
            OcrError::TooManyPixels { width, height, reason: l.to_string() }
        }
        image::ImageError::Unsupported(_) => OcrError::NotAnImage,
        other => OcrError::Decode(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of a rejected upload (without printing the image on failure).
    fn rejected(r: Result<DynamicImage, OcrError>) -> OcrError {
        match r {
            Ok(img) => panic!("accepted a bad upload ({}x{})", img.width(), img.height()),
            Err(e) => e,
        }
    }

    fn small_png() -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 32, |x, y| image::Rgb([(x * 4) as u8, (y * 8) as u8, 128]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    fn small_jpeg() -> Vec<u8> {
        let img = image::RgbImage::from_fn(256, 128, |x, y| image::Rgb([(x % 256) as u8, (y * 2) as u8, 77]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg).unwrap();
        out
    }

    /// A syntactically valid PNG header (signature + IHDR with a correct CRC) claiming `w`×`h`,
    /// followed by a tiny IDAT and IEND — a few dozen bytes, nothing allocated for the pixels.
    fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut c = Vec::with_capacity(4 + data.len());
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            out.extend_from_slice(&c);
            out.extend_from_slice(&crc32(&c).to_be_bytes());
        }
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn decodes_png_and_jpeg() {
        let l = Limits::default();
        let img = decode_image(&small_png(), &l).unwrap();
        assert_eq!((img.width(), img.height()), (64, 32));
        let img = decode_image(&small_jpeg(), &l).unwrap();
        assert_eq!((img.width(), img.height()), (256, 128));
    }

    #[test]
    fn rejects_empty() {
        let e = rejected(decode_image(&[], &Limits::default()));
        assert!(matches!(e, OcrError::Empty), "{e}");
        assert!(e.is_client_error());
    }

    #[test]
    fn rejects_non_image() {
        let e = rejected(decode_image(b"%PDF-1.7\n hello this is not an image at all", &Limits::default()));
        assert!(matches!(e, OcrError::NotAnImage), "{e}");
        let e = rejected(decode_image(b"<html><body>hi</body></html>", &Limits::default()));
        assert!(matches!(e, OcrError::NotAnImage), "{e}");
        assert!(e.is_client_error());
    }

    #[test]
    fn rejects_truncated_jpeg() {
        let jpeg = small_jpeg();
        let cut = &jpeg[..jpeg.len() / 2];
        let e = rejected(decode_image(cut, &Limits::default()));
        assert!(matches!(e, OcrError::Decode(_)), "{e}");
        assert!(e.is_client_error());
        // Only the SOI + a few bytes.
        let e = rejected(decode_image(&jpeg[..40], &Limits::default()));
        assert!(e.is_client_error(), "{e}");
    }

    #[test]
    fn rejects_20000x20000_png_before_decoding() {
        let bomb = png_claiming(20_000, 20_000);
        assert!(bomb.len() < 100);
        let e = rejected(decode_image(&bomb, &Limits::default()));
        assert!(matches!(e, OcrError::TooManyPixels { .. }), "{e}");
        // Within max_side but over max_pixels.
        let l = Limits { max_side: 30_000, ..Limits::default() };
        let e = rejected(decode_image(&bomb, &l));
        assert!(matches!(e, OcrError::TooManyPixels { width: 20_000, height: 20_000, .. }), "{e}");
        assert!(e.is_client_error());
    }

    #[test]
    fn rejects_oversized_upload() {
        let l = Limits { max_bytes: 100, ..Limits::default() };
        let e = rejected(decode_image(&small_jpeg(), &l));
        assert!(matches!(e, OcrError::TooLarge { .. }), "{e}");
    }
}
