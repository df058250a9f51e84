//! Text encoding detection: BOMs, UTF-8, UTF-16 and the two Windows code pages Excel writes in
//! Russia and Germany.

use crate::ImportError;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252};
use std::borrow::Cow;

/// The encoding a text file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1251,
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8 (BOM)",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1251 => "windows-1251",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// Decodes a whole text file to UTF-8, borrowing when it already is UTF-8 (the BOM is dropped).
pub fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Cow::Borrowed(s), TextEncoding::Utf8Bom)),
            Err(e) => Err(ImportError::Encoding(format!(
                "the file starts with a UTF-8 byte order mark but byte {} is not UTF-8",
                e.valid_up_to() + 3
            ))),
        };
    }
    if bytes.starts_with(b"\xFF\xFE") {
        return decode_utf16(&bytes[2..], UTF_16LE, TextEncoding::Utf16Le);
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return decode_utf16(&bytes[2..], UTF_16BE, TextEncoding::Utf16Be);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        if s.contains('\0') {
            // UTF-16 without a BOM (ASCII text with every other byte zero), else binary.
            if let Some(enc) = utf16_without_bom(bytes) {
                let (e, t) =
                    if enc == UTF_16LE { (UTF_16LE, TextEncoding::Utf16Le) } else { (UTF_16BE, TextEncoding::Utf16Be) };
                return decode_utf16(bytes, e, t);
            }
            return Err(ImportError::Encoding("the file has NUL bytes: it is binary, not text".into()));
        }
        return Ok((Cow::Borrowed(s), TextEncoding::Utf8));
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        let t = if enc == UTF_16LE { TextEncoding::Utf16Le } else { TextEncoding::Utf16Be };
        return decode_utf16(bytes, enc, t);
    }
    if bytes.contains(&0) {
        return Err(ImportError::Encoding("the file has NUL bytes: it is binary, not text".into()));
    }
    let (enc, t) = match guess_single_byte(bytes) {
        Some(TextEncoding::Windows1251) => (WINDOWS_1251, TextEncoding::Windows1251),
        Some(TextEncoding::Windows1252) => (WINDOWS_1252, TextEncoding::Windows1252),
        _ => {
            return Err(ImportError::Encoding(
                "the text is neither UTF-8, UTF-16 (with a byte order mark), Windows-1251 nor Windows-1252".into(),
            ))
        }
    };
    let (s, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(ImportError::Encoding(format!("the text is not valid {}", t.label())));
    }
    Ok((Cow::Owned(s.into_owned()), t))
}

fn decode_utf16<'a>(
    body: &[u8],
    enc: &'static Encoding,
    t: TextEncoding,
) -> Result<(Cow<'a, str>, TextEncoding), ImportError> {
    let (s, had_errors) = enc.decode_without_bom_handling(body);
    if had_errors {
        return Err(ImportError::Encoding(format!("the file claims {} but has invalid sequences", t.label())));
    }
    Ok((Cow::Owned(s.into_owned()), t))
}

/// UTF-16 without a BOM: in the first 4 KiB, at least 40 % of the even (BE) or odd (LE) bytes are
/// zero and almost none of the other half.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_zero = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_zero = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_zero * 10 >= pairs * 4 && even_zero * 20 < pairs {
        Some(UTF_16LE)
    } else if even_zero * 10 >= pairs * 4 && odd_zero * 20 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Chooses Windows-1251 (Cyrillic) or Windows-1252 (Western European) for bytes that are not UTF-8.
///
/// Words vote. A Cyrillic word in 1251 is written entirely in high bytes (А–я are 0xC0–0xFF, Ё/ё
/// 0xA8/0xB8), while a Western word in 1252 mixes its accented letters (ä ö ü ß é, also ≥ 0xC0)
/// with ASCII letters: "Grüße", "Müller", "café". So a word of two or more letters that are all
/// high votes 1251, a word mixing ASCII and high letters votes 1252; most votes win, a tie (or no
/// votes: only one-letter words) goes to 1252. A byte that one code page leaves undefined (0x98
/// in 1251; 0x81 0x8D 0x8F 0x90 0x9D in 1252) rules that one out; `None` when both are ruled out.
pub fn guess_single_byte(bytes: &[u8]) -> Option<TextEncoding> {
    let ok_1251 = !bytes.contains(&0x98);
    let ok_1252 = !bytes.iter().any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D));
    match (ok_1251, ok_1252) {
        (false, false) => return None,
        (true, false) => return Some(TextEncoding::Windows1251),
        (false, true) => return Some(TextEncoding::Windows1252),
        _ => {}
    }
    let high = |b: u8| {
        (b >= 0xC0 && b != 0xD7 && b != 0xF7) || matches!(b, 0xA8 | 0xB8 | 0xAA | 0xBA | 0xAF | 0xBF | 0xB2 | 0xB3)
    };
    let (mut cyr, mut lat) = (0usize, 0usize);
    let (mut n_high, mut n_ascii) = (0usize, 0usize);
    for &b in bytes.iter().chain(std::iter::once(&b' ')) {
        if high(b) {
            n_high += 1;
        } else if b.is_ascii_alphabetic() {
            n_ascii += 1;
        } else {
            if n_high >= 2 && n_ascii == 0 {
                cyr += 1;
            } else if n_high >= 1 && n_ascii >= 1 {
                lat += 1;
            }
            n_high = 0;
            n_ascii = 0;
        }
    }
    if cyr > lat {
        Some(TextEncoding::Windows1251)
    } else {
        Some(TextEncoding::Windows1252)
    }
}

/// Decodes bytes named by a vCard `CHARSET=` parameter; falls back to UTF-8, then to the guess.
pub(crate) fn decode_charset(bytes: &[u8], charset: Option<&str>) -> (String, Option<String>) {
    if let Some(label) = charset {
        match Encoding::for_label(label.trim().as_bytes()) {
            Some(enc) => {
                let (s, _, had_errors) = enc.decode(bytes);
                if !had_errors {
                    return (s.into_owned(), None);
                }
            }
            None => {
                let s = guess_bytes(bytes);
                return (s, Some(format!("unknown CHARSET={label}; the text was decoded by guess")));
            }
        }
    }
    (guess_bytes(bytes), None)
}

fn guess_bytes(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let enc = match guess_single_byte(bytes) {
        Some(TextEncoding::Windows1251) => WINDOWS_1251,
        _ => WINDOWS_1252,
    };
    enc.decode_without_bom_handling(bytes).0.into_owned()
}
