//! XLSX reading through calamine (first sheet, header row), after a zip-bomb check.

use crate::mapping::{record_from_row, ColumnMapping};
use crate::{ContactRecord, ImportError, Limits, RowError};
use calamine::{Data, Reader as _, Xlsx};
use std::io::{Cursor, Read};

/// Refuses a zip whose entries would inflate past `limits.max_xlsx_uncompressed_bytes` in total,
/// or any entry over 1 MiB that inflates more than `limits.max_xlsx_ratio` times its compressed
/// size. The sizes in the central directory are checked first, then every entry is inflated into
/// a counting sink (capped), so a directory that lies about sizes is caught too.
pub fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::Malformed(format!("the XLSX file is not a readable zip archive: {e}")))?;
    if zip.len() > 10_000 {
        return Err(ImportError::TooLarge(format!("the XLSX archive has {} entries (at most 10,000)", zip.len())));
    }
    let cap = limits.max_xlsx_uncompressed_bytes;
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| ImportError::Malformed(format!("the XLSX archive is damaged: {e}")))?;
        declared = declared.saturating_add(f.size());
        let ratio_bad = f.size() > (1 << 20) && f.size() / f.compressed_size().max(1) > limits.max_xlsx_ratio;
        if ratio_bad {
            return Err(ImportError::ZipBomb(format!(
                "entry `{}` would inflate {} times ({} bytes from {}); refused as a zip bomb",
                f.name().map(|n| n.to_string()).unwrap_or_default(),
                f.size() / f.compressed_size().max(1),
                f.size(),
                f.compressed_size()
            )));
        }
        if declared > cap {
            return Err(ImportError::ZipBomb(format!(
                "the XLSX would inflate to more than {cap} bytes; refused as a zip bomb or an oversized workbook"
            )));
        }
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| ImportError::Malformed(format!("the XLSX archive is damaged: {e}")))?;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Err(ImportError::Malformed(format!("the XLSX archive is damaged: {e}"))),
            };
            total += n as u64;
            if total > cap {
                return Err(ImportError::ZipBomb(format!(
                    "the XLSX inflates to more than {cap} bytes (its directory said {declared}); refused as a zip bomb"
                )));
            }
        }
    }
    Ok(())
}

/// Text of a cell: numbers without a trailing `.0` (phone numbers typed as numbers), dates as
/// calamine shows them.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The rows of the first sheet after its header. calamine parses the sheet into memory (it has
/// no row-streaming API over shared strings), bounded by the uncompressed-size cap.
pub(crate) struct XlsxRows {
    range: calamine::Range<Data>,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    row: usize,
    first_row: u64,
    limits: Limits,
    index: u64,
}

impl XlsxRows {
    pub fn new(bytes: &[u8], mapping: Option<ColumnMapping>, limits: Limits) -> Result<Self, ImportError> {
        check_zip(bytes, &limits)?;
        let mut wb: Xlsx<_> =
            Xlsx::new(Cursor::new(bytes)).map_err(|e| ImportError::Malformed(format!("not an XLSX workbook: {e}")))?;
        let names = wb.sheet_names();
        let first = names.first().cloned().ok_or(ImportError::Empty)?;
        let range = wb
            .worksheet_range(&first)
            .map_err(|e| ImportError::Malformed(format!("sheet `{first}` cannot be read: {e}")))?;
        if range.is_empty() {
            return Err(ImportError::Empty);
        }
        if range.width() > limits.max_columns {
            return Err(ImportError::TooLarge(format!(
                "sheet `{first}` has {} columns, more than the {} allowed",
                range.width(),
                limits.max_columns
            )));
        }
        let headers: Vec<String> = range
            .rows()
            .next()
            .map(|r| r.iter().map(|c| cell_text(c).trim().to_string()).collect())
            .unwrap_or_default();
        let mapping = mapping.unwrap_or_else(|| ColumnMapping::propose(&headers));
        let first_row = range.start().map(|(r, _)| r as u64 + 1).unwrap_or(1);
        Ok(XlsxRows { range, headers, mapping, row: 1, first_row, limits, index: 0 })
    }
}

impl Iterator for XlsxRows {
    type Item = Result<ContactRecord, RowError>;
    fn next(&mut self) -> Option<Self::Item> {
        let width = self.range.width();
        loop {
            if self.row >= self.range.height() {
                return None;
            }
            let i = self.row;
            self.row += 1;
            let cells: Vec<String> =
                (0..width).map(|c| self.range.get((i, c)).map(cell_text).unwrap_or_default()).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let index = self.index;
            self.index += 1;
            return Some(record_from_row(&cells, &self.mapping, &self.limits, self.first_row + i as u64, index));
        }
    }
}
