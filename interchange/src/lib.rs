//! Contacts in and out of cardcrm: reading vCard 2.1/3.0/4.0, CSV/TSV (Google, Outlook, cardcrm,
//! any header through a column mapping), XLSX and JSON lines into a neutral [`ContactRecord`], and
//! writing vCard 4.0/3.0, Google-style CSV, XLSX and JSON lines. Pure: no database, no service.
//!
//! Reading is one record at a time ([`Reader`] is an iterator of `Result<ContactRecord, RowError>`),
//! so a broken row is reported with its line and the rest go on; writers take one record at a time.
//! See README.md for the formats, the caps and what each format keeps.

mod csv_read;
pub mod encoding;
mod jsonl;
mod mapping;
mod record;
mod table_write;
mod vcard_read;
mod vcard_write;
mod xlsx_read;

pub use csv_read::sniff_delimiter;
pub use encoding::{decode_text, guess_single_byte, TextEncoding};
pub use jsonl::JsonlWriter;
pub use mapping::{
    detect_profile, header_key, normalize_header, propose_mapping, AddressPart, ColumnMapping, CsvProfile, Field,
    MULTI_SEPARATOR,
};
pub use record::{Address, ContactRecord, Email, Kind, Phone, Photo, Website};
pub use table_write::{Column, CsvOptions, CsvWriter, XlsxWriter};
pub use vcard_write::{card_to_string, escape_text, VcardVersion, VcardWriter};
pub use xlsx_read::check_zip;

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A file format this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// vCard 2.1, 3.0 or 4.0 (`.vcf`; serialised `"vcf"`, as the API's `format=` spells it).
    #[serde(rename = "vcf")]
    Vcard,
    /// Comma-, semicolon- or tab-separated values.
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
    /// JSON lines (what `cardcrm import` reads).
    Jsonl,
}

impl Format {
    /// Parses `vcf|vcard|csv|tsv|xlsx|jsonl|json|ndjson` (a CLI `--format` or a file extension).
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().trim_start_matches('.').to_ascii_lowercase().as_str() {
            "vcf" | "vcard" | "vcards" => Some(Format::Vcard),
            "csv" | "tsv" | "txt" | "tab" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "jsonl" | "json" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The format a file name's extension suggests.
    pub fn from_file_name(name: &str) -> Option<Format> {
        name.rsplit_once('.').and_then(|(_, ext)| Format::parse(ext))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Vcard => "vcf",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Caps that bound the work any input can cause. Every limit gives a clear error, never a panic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest file accepted (default 256 MiB, so a 200 MB export passes).
    pub max_file_bytes: usize,
    /// Longest single value: a CSV cell, a vCard property value (default 64 KiB; the service's
    /// own caps, e.g. notes at 20,000 characters, apply later).
    pub max_field_bytes: usize,
    /// Largest vCard card or JSON line, photo included (default 8 MiB).
    pub max_card_bytes: usize,
    /// Most properties in one vCard (default 1,000).
    pub max_properties_per_card: usize,
    /// Most phones or e-mails in one record (default 100; the service keeps at most 20).
    pub max_values_per_field: usize,
    /// Largest decoded PHOTO kept (default 5 MiB); larger ones are dropped with a warning.
    pub max_photo_bytes: usize,
    /// Most columns in a CSV/XLSX header (default 1,000).
    pub max_columns: usize,
    /// Most bytes an XLSX may inflate to, all entries together (default 1 GiB).
    pub max_xlsx_uncompressed_bytes: u64,
    /// Highest inflate ratio of one XLSX entry over 1 MiB (default 200).
    pub max_xlsx_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 << 20,
            max_field_bytes: 64 << 10,
            max_card_bytes: 8 << 20,
            max_properties_per_card: 1000,
            max_values_per_field: 100,
            max_photo_bytes: 5 << 20,
            max_columns: 1000,
            max_xlsx_uncompressed_bytes: 1 << 30,
            max_xlsx_ratio: 200,
        }
    }
}

/// Why a whole file cannot be read. The message names the problem for the person who sent it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is too large: {0}")]
    TooLarge(String),
    #[error("unknown format: {0}")]
    UnknownFormat(String),
    #[error("unknown text encoding: {0}")]
    Encoding(String),
    #[error("malformed file: {0}")]
    Malformed(String),
    #[error("refused: {0}")]
    ZipBomb(String),
}

/// Why one row or card was skipped; the others are still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("line {line}: {detail}")]
pub struct RowError {
    /// 1-based line in the file where the row or card starts (for XLSX: the sheet row).
    pub line: u64,
    /// 0-based position among the records of the file.
    pub index: u64,
    pub detail: String,
}

/// Errors while writing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0}")]
    TooMany(String),
}

/// How to read a file.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Read as this format, whatever the content looks like (the CLI's `--format`). When `None`
    /// the format is detected from the content.
    pub format: Option<Format>,
    /// The uploaded file's name: only breaks ties the content leaves open.
    pub file_name: Option<String>,
    /// The column mapping for CSV/XLSX; `None` uses [`propose_mapping`] on the header.
    pub mapping: Option<ColumnMapping>,
    pub limits: Limits,
}

/// Detects the format from the content; the file name is used only when the content is plain
/// text that could be a one-column CSV.
pub fn detect_format(bytes: &[u8], file_name: Option<&str>) -> Result<Format, ImportError> {
    if bytes.is_empty() || bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(b"PK\x05\x06") {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ImportError::UnknownFormat(
            "this is a legacy Excel .xls file (or a password-protected workbook); save it as .xlsx or CSV".into(),
        ));
    }
    for (magic, what) in [
        (&b"%PDF"[..], "a PDF document"),
        (&b"\x89PNG"[..], "a PNG image"),
        (&b"\xFF\xD8\xFF"[..], "a JPEG image"),
        (&b"GIF8"[..], "a GIF image"),
        (&b"\x1F\x8B"[..], "a gzip archive"),
        (&b"Rar!"[..], "a RAR archive"),
        (&b"7z\xBC\xAF"[..], "a 7-Zip archive"),
    ] {
        if bytes.starts_with(magic) {
            return Err(ImportError::UnknownFormat(format!(
                "this is {what}, not a CSV, vCard, XLSX or JSON-lines file"
            )));
        }
    }
    let text = prefix_text(bytes)?;
    classify_text(&text, file_name)
}

/// The first 64 KiB as text, for detection: a character or UTF-16 unit cut at the end is dropped
/// (the whole file is decoded strictly later).
fn prefix_text(bytes: &[u8]) -> Result<Cow<'_, str>, ImportError> {
    let cut = &bytes[..bytes.len().min(64 * 1024)];
    if let Some(body) = cut.strip_prefix(b"\xFF\xFE") {
        return Ok(encoding_rs::UTF_16LE.decode_without_bom_handling(&body[..body.len() & !1]).0);
    }
    if let Some(body) = cut.strip_prefix(b"\xFE\xFF") {
        return Ok(encoding_rs::UTF_16BE.decode_without_bom_handling(&body[..body.len() & !1]).0);
    }
    let body = cut.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cut);
    let valid = match std::str::from_utf8(body) {
        Ok(s) => Some(s),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&body[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match valid {
        Some(s) if !s.contains('\0') => Ok(Cow::Borrowed(s)),
        _ => {
            // A vCard folded inside UTF-8 characters (see `repair_split_folds`).
            let upto = cut.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(cut.len());
            if let Some(s) = vcard_read::repair_split_folds(&cut[..upto]).and_then(|b| String::from_utf8(b).ok()) {
                return Ok(Cow::Owned(s));
            }
            Ok(decode_text(&cut[..cut.len() & !1])?.0)
        }
    }
}

fn classify_text(text: &str, file_name: Option<&str>) -> Result<Format, ImportError> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = t.chars().take(11).collect::<String>().to_ascii_uppercase();
    if head == "BEGIN:VCARD" {
        return Ok(Format::Vcard);
    }
    if t.starts_with('{') {
        return Ok(Format::Jsonl);
    }
    if t.starts_with('[') {
        return Err(ImportError::UnknownFormat(
            "this is a JSON array; JSON lines (one object per line) is expected".into(),
        ));
    }
    if t.starts_with('<') {
        return Err(ImportError::UnknownFormat(
            "this is HTML or XML, not a CSV, vCard, XLSX or JSON-lines file".into(),
        ));
    }
    let hint = file_name.and_then(Format::from_file_name);
    if t.lines().take(50).any(|l| l.trim().eq_ignore_ascii_case("BEGIN:VCARD")) && hint != Some(Format::Csv) {
        return Ok(Format::Vcard);
    }
    let (delim, skip) = sniff_delimiter(t);
    let header = t[skip..].lines().next().unwrap_or("");
    let has_delim = header.as_bytes().contains(&delim);
    let one_column_known = propose_mapping(&[header.trim()]).maps_anything();
    if has_delim || skip > 0 || one_column_known || hint == Some(Format::Csv) {
        if header.chars().count() > 16 * 1024 {
            return Err(ImportError::UnknownFormat("the first line is too long to be a CSV header".into()));
        }
        return Ok(Format::Csv);
    }
    Err(ImportError::UnknownFormat(
        "the content is not a vCard (no BEGIN:VCARD), not JSON lines, not XLSX, and its first line is not a CSV header (no `,` `;` or tab)"
            .into(),
    ))
}

enum Rows<'a> {
    Csv(csv_read::CsvRows<'a>),
    Vcard(vcard_read::VcardCards<'a>),
    Xlsx(xlsx_read::XlsxRows),
    Jsonl(jsonl::JsonLines<'a>),
}

/// Reads a file one record at a time. Created by [`Reader::new`]; iterate it for
/// `Result<ContactRecord, RowError>` in file order.
pub struct Reader<'a> {
    format: Format,
    encoding: Option<TextEncoding>,
    rows: Rows<'a>,
}

impl<'a> Reader<'a> {
    /// Checks the size, detects the format and encoding, reads the CSV/XLSX header. Fails only
    /// for problems of the whole file; row problems come from the iterator.
    pub fn new(bytes: &'a [u8], opts: &ReadOptions) -> Result<Reader<'a>, ImportError> {
        let limits = opts.limits.clone();
        if bytes.len() > limits.max_file_bytes {
            return Err(ImportError::TooLarge(format!(
                "{} bytes, more than the {} allowed",
                bytes.len(),
                limits.max_file_bytes
            )));
        }
        let format = match opts.format {
            Some(f) => f,
            None => detect_format(bytes, opts.file_name.as_deref())?,
        };
        if format == Format::Xlsx {
            if !bytes.starts_with(b"PK\x03\x04") {
                return Err(ImportError::UnknownFormat("the file is not an XLSX workbook (no zip header)".into()));
            }
            let rows = xlsx_read::XlsxRows::new(bytes, opts.mapping.clone(), limits)?;
            return Ok(Reader { format, encoding: None, rows: Rows::Xlsx(rows) });
        }
        if bytes.is_empty() {
            return Err(ImportError::Empty);
        }
        let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
        let repaired: Option<String> = if format == Format::Vcard && !utf16 && std::str::from_utf8(bytes).is_err() {
            vcard_read::repair_split_folds(bytes).and_then(|b| String::from_utf8(b).ok())
        } else {
            None
        };
        let (text, enc) = match repaired {
            Some(s) => match s.strip_prefix('\u{feff}') {
                Some(rest) => (Cow::Owned(rest.to_string()), TextEncoding::Utf8Bom),
                None => (Cow::Owned(s), TextEncoding::Utf8),
            },
            None => decode_text(bytes)?,
        };
        if format == Format::Vcard && !text.as_bytes().windows(11).any(|w| w.eq_ignore_ascii_case(b"BEGIN:VCARD")) {
            return Err(ImportError::Malformed("there is no BEGIN:VCARD in the file".into()));
        }
        let rows = match format {
            Format::Csv => Rows::Csv(csv_read::CsvRows::new(text, opts.mapping.clone(), limits)?),
            Format::Vcard => Rows::Vcard(vcard_read::VcardCards::new(text, limits)),
            Format::Jsonl => Rows::Jsonl(jsonl::JsonLines::new(text, limits)),
            Format::Xlsx => unreachable!("handled above"),
        };
        Ok(Reader { format, encoding: Some(enc), rows })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The text encoding (`None` for XLSX).
    pub fn encoding(&self) -> Option<TextEncoding> {
        self.encoding
    }

    /// The header row of a CSV or XLSX file.
    pub fn headers(&self) -> Option<&[String]> {
        match &self.rows {
            Rows::Csv(c) => Some(&c.headers),
            Rows::Xlsx(x) => Some(&x.headers),
            _ => None,
        }
    }

    /// The column mapping in use for a CSV or XLSX file (proposed or given).
    pub fn mapping(&self) -> Option<&ColumnMapping> {
        match &self.rows {
            Rows::Csv(c) => Some(&c.mapping),
            Rows::Xlsx(x) => Some(&x.mapping),
            _ => None,
        }
    }

    /// The exporter the header looks like (CSV/XLSX only).
    pub fn profile(&self) -> Option<CsvProfile> {
        self.headers().map(detect_profile)
    }

    /// [`header_key`] of the header (CSV/XLSX only).
    pub fn header_key(&self) -> Option<String> {
        self.headers().map(header_key)
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<ContactRecord, RowError>;
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.rows {
            Rows::Csv(r) => r.next(),
            Rows::Vcard(r) => r.next(),
            Rows::Xlsx(r) => r.next(),
            Rows::Jsonl(r) => r.next(),
        }
    }
}

/// Exactly one vCard, as a CardDAV resource body holds: the record, or why not (not a vCard, a
/// broken card, no card or more than one).
pub fn read_single_vcard(bytes: &[u8], limits: &Limits) -> Result<ContactRecord, ImportError> {
    let opts = ReadOptions { format: Some(Format::Vcard), limits: limits.clone(), ..Default::default() };
    let mut cards = Reader::new(bytes, &opts)?;
    let first = match cards.next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(ImportError::Malformed(e.to_string())),
        None => return Err(ImportError::Malformed("there is no vCard in the body".into())),
    };
    if cards.next().is_some() {
        return Err(ImportError::Malformed("the body holds more than one vCard".into()));
    }
    Ok(first)
}

/// A whole file read into memory (for small files and tests; use [`Reader`] for large ones).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub format: Format,
    pub encoding: Option<TextEncoding>,
    pub headers: Option<Vec<String>>,
    pub mapping: Option<ColumnMapping>,
    pub records: Vec<ContactRecord>,
    pub errors: Vec<RowError>,
}

/// Reads every record of a file.
pub fn read(bytes: &[u8], opts: &ReadOptions) -> Result<Parsed, ImportError> {
    let mut r = Reader::new(bytes, opts)?;
    let mut p = Parsed {
        format: r.format(),
        encoding: r.encoding(),
        headers: r.headers().map(|h| h.to_vec()),
        mapping: r.mapping().cloned(),
        records: Vec::new(),
        errors: Vec::new(),
    };
    for item in &mut r {
        match item {
            Ok(c) => p.records.push(c),
            Err(e) => p.errors.push(e),
        }
    }
    Ok(p)
}
