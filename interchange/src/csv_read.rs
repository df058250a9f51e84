//! CSV/TSV reading: delimiter sniffing, the header row, rows through a [`ColumnMapping`].

use crate::mapping::{record_from_row, ColumnMapping};
use crate::{ContactRecord, ImportError, Limits, RowError};
use std::borrow::Cow;
use std::io::Cursor;

/// Picks `,` `;` or tab from the first record (quotes respected) and the next few lines: the
/// candidate that occurs most often outside quotes in the header and at least as often in the
/// following lines wins; ties prefer tab, then `;`, then `,`. Returns the delimiter and how many
/// leading bytes to skip (an Excel `sep=;` line).
pub fn sniff_delimiter(text: &str) -> (u8, usize) {
    let first_line = text.lines().next().unwrap_or("");
    if let Some(rest) = first_line.trim().strip_prefix("sep=").or_else(|| first_line.trim().strip_prefix("SEP=")) {
        if let Some(&d) = rest.as_bytes().first() {
            if rest.len() == 1 {
                let skip = text.find('\n').map(|i| i + 1).unwrap_or(text.len());
                return (d, skip);
            }
        }
    }
    let counts = |line: &str| -> [usize; 3] {
        let mut c = [0usize; 3];
        let mut quoted = false;
        for b in line.bytes() {
            match b {
                b'"' => quoted = !quoted,
                b'\t' if !quoted => c[0] += 1,
                b';' if !quoted => c[1] += 1,
                b',' if !quoted => c[2] += 1,
                _ => {}
            }
        }
        c
    };
    // The header record, which may span lines if a quoted name has a newline (rare).
    let head: String = {
        let mut out = String::new();
        let mut quoted = false;
        for ch in text.chars().take(64 * 1024) {
            if ch == '"' {
                quoted = !quoted;
            }
            if (ch == '\n' || ch == '\r') && !quoted {
                break;
            }
            out.push(ch);
        }
        out
    };
    let hc = counts(&head);
    let best = [0usize, 1, 2]
        .into_iter()
        .max_by_key(|&i| (hc[i], 2 - i)) // ties: tab, ';', ','
        .unwrap_or(2);
    if hc[best] == 0 {
        return (b',', 0);
    }
    (
        match best {
            0 => b'\t',
            1 => b';',
            _ => b',',
        },
        0,
    )
}

/// Rows of a CSV file after its header.
pub(crate) struct CsvRows<'a> {
    rdr: csv::Reader<Cursor<Cow<'a, [u8]>>>,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    line_offset: u64,
    /// Newlines counted up to `counted_to` (csv's own line numbers lag by one after CRLF).
    counted_to: usize,
    counted_lines: u64,
    delimiter: u8,
    limits: Limits,
    index: u64,
    record: csv::StringRecord,
    done: bool,
}

impl<'a> CsvRows<'a> {
    pub fn new(text: Cow<'a, str>, mapping: Option<ColumnMapping>, limits: Limits) -> Result<Self, ImportError> {
        let (delim, skip) = sniff_delimiter(&text);
        let line_offset = if skip > 0 { 1 } else { 0 };
        let bytes: Cow<'a, [u8]> = match text {
            Cow::Borrowed(s) => Cow::Borrowed(&s.as_bytes()[skip..]),
            Cow::Owned(s) => {
                let mut b = s.into_bytes();
                b.drain(..skip);
                Cow::Owned(b)
            }
        };
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .has_headers(false)
            .flexible(true)
            .from_reader(Cursor::new(bytes));
        let mut header = csv::StringRecord::new();
        match rdr.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(ImportError::Empty),
            Err(e) => return Err(ImportError::Malformed(format!("the CSV header row cannot be read: {e}"))),
        }
        let headers: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
        if headers.len() > limits.max_columns {
            return Err(ImportError::TooLarge(format!(
                "the header has {} columns, more than the {} allowed",
                headers.len(),
                limits.max_columns
            )));
        }
        if let Some(h) = headers.iter().find(|h| h.len() > 1024) {
            return Err(ImportError::Malformed(format!(
                "the first row is not a header: a {}-byte cell (is the file CSV at all?)",
                h.len()
            )));
        }
        let mapping = mapping.unwrap_or_else(|| ColumnMapping::propose(&headers));
        Ok(CsvRows {
            rdr,
            headers,
            mapping,
            line_offset,
            counted_to: 0,
            counted_lines: 0,
            delimiter: delim,
            limits,
            index: 0,
            record: csv::StringRecord::new(),
            done: false,
        })
    }
}

impl CsvRows<'_> {
    /// 1-based line of the byte offset where a record starts.
    fn line_at(&mut self, byte: usize) -> u64 {
        let bytes: &[u8] = self.rdr.get_ref().get_ref();
        let mut b = byte.min(bytes.len());
        if b < bytes.len() && bytes[b] == b'\n' && b > 0 && bytes[b - 1] == b'\r' {
            b += 1;
        }
        if b >= self.counted_to {
            self.counted_lines += bytes[self.counted_to..b].iter().filter(|&&c| c == b'\n').count() as u64;
            self.counted_to = b;
        }
        self.counted_lines + 1 + self.line_offset
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<ContactRecord, RowError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let line = self.rdr.position().line() + self.line_offset;
            match self.rdr.read_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    // Only I/O or UTF-8 errors reach here (the reader is flexible over valid UTF-8);
                    // stop rather than loop.
                    self.done = true;
                    let index = self.index;
                    return Some(Err(RowError { line, index, detail: format!("cannot read the row: {e}") }));
                }
                Ok(true) => {}
            }
            let line = match self.record.position() {
                Some(p) => self.line_at(p.byte() as usize),
                None => line,
            };
            if self.record.iter().all(|c| c.trim().is_empty()) {
                continue; // blank line or a row of empty cells
            }
            let index = self.index;
            self.index += 1;
            if self.record.len() > self.limits.max_columns {
                return Some(Err(RowError {
                    line,
                    index,
                    detail: format!(
                        "the row has {} cells, more than the {} allowed",
                        self.record.len(),
                        self.limits.max_columns
                    ),
                }));
            }
            let cells: Vec<&str> = self.record.iter().collect();
            // A quote that is never closed swallows the rest of the file into one cell: the row
            // then has fewer cells than the header and its last cell spans lines and delimiters.
            if cells.len() < self.headers.len() {
                if let Some(last) = cells.last() {
                    if last.contains('\n') && last.as_bytes().contains(&self.delimiter) {
                        let lines = last.trim_end().matches('\n').count() as u64;
                        return Some(Err(RowError {
                            line,
                            index,
                            detail: format!(
                                "a quote opened on line {line} is never closed (the cell runs to line {}); \
                                 the rows it swallowed were not read",
                                line + lines
                            ),
                        }));
                    }
                }
            }
            let extra = cells.iter().skip(self.headers.len()).filter(|c| !c.trim().is_empty()).count();
            let r = record_from_row(&cells, &self.mapping, &self.limits, line, index)
                .map_err(|mut e| {
                    if cells.iter().any(|c| c.len() > self.limits.max_field_bytes && c.contains('\n')) {
                        e.detail.push_str(" (an unclosed quote?)");
                    }
                    e
                })
                .map(|mut r| {
                    if extra > 0 {
                        r.warnings.push(format!("{extra} cells past the last header column were ignored"));
                    }
                    r
                });
            return Some(r);
        }
    }
}
