//! JSON-lines batch mode: what `cardcrm dedup pairs --input contacts.jsonl` does.

use crate::{
    candidate_pairs, normalize_fields, score_candidates, BlockStats, ContactFields, DedupError, Normalized, Settings,
};
use rayon::prelude::*;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::time::Instant;

/// What a batch run did, with phase timings in milliseconds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub contacts: usize,
    pub pairs: usize,
    pub blocking: BlockStats,
    /// Reading, parsing and normalising the input.
    pub read_ms: u64,
    pub block_ms: u64,
    pub score_ms: u64,
    pub write_ms: u64,
    pub total_ms: u64,
}

const CHUNK_BYTES: usize = 8 << 20;

/// Read contacts in the JSON-lines shape of `gen_contacts.py` (one object per line, blank lines
/// allowed, unknown fields ignored) and normalise them, in parallel. A malformed line is an error
/// naming its (1-based) line number.
pub fn parse_contacts_jsonl(mut input: impl BufRead, s: &Settings) -> Result<Vec<Normalized>, DedupError> {
    let mut out: Vec<Normalized> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES + 4096);
    let mut line_no = 0usize; // lines before this chunk
    loop {
        buf.clear();
        let mut lines_in_chunk = 0usize;
        while buf.len() < CHUNK_BYTES {
            let n = input.read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            lines_in_chunk += 1;
        }
        if lines_in_chunk == 0 {
            break;
        }
        // Validate UTF-8 once per chunk, so the JSON parser borrows strings without checking
        // each again; an invalid chunk is parsed line by line, which names the bad line.
        let parse = |i: usize, line: Line| parse_line(line, line_no + i + 1, s);
        let parsed: Vec<Result<Option<Normalized>, DedupError>> = match std::str::from_utf8(&buf) {
            Ok(text) => {
                let lines: Vec<&str> = text.split('\n').take(lines_in_chunk).collect();
                lines.par_iter().enumerate().with_min_len(256).map(|(i, l)| parse(i, Line::Text(l))).collect()
            }
            Err(_) => {
                let lines: Vec<&[u8]> = buf.split(|&b| b == b'\n').take(lines_in_chunk).collect();
                lines.par_iter().enumerate().with_min_len(256).map(|(i, l)| parse(i, Line::Bytes(l))).collect()
            }
        };
        for r in parsed {
            if let Some(n) = r? {
                out.push(n);
            }
        }
        line_no += lines_in_chunk;
    }
    Ok(out)
}

/// The JSON shape of [`crate::ContactInput`], borrowing the text from the input buffer where
/// it has no escapes (most lines): no allocation per field.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ContactRef<'a> {
    id: i64,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    first_name: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    middle_name: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    last_name: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    full_name: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    company: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    position: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cows_or_null")]
    emails: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "cows_or_null")]
    phones: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    website: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "cow_or_null")]
    address: Cow<'a, str>,
}

/// A borrowed string (owned only when it had escapes); `null` reads as empty.
struct CowStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed("")))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(V)
    }
}

fn cow_or_null<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Cow<'a, str>, D::Error> {
    Ok(CowStr::deserialize(d)?.0)
}

fn cows_or_null<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Vec<Cow<'a, str>>, D::Error> {
    let v: Option<Vec<CowStr<'a>>> = Option::deserialize(d)?;
    Ok(v.unwrap_or_default().into_iter().map(|c| c.0).collect())
}

impl ContactFields for ContactRef<'_> {
    fn id(&self) -> i64 {
        self.id
    }
    fn first_name(&self) -> &str {
        &self.first_name
    }
    fn middle_name(&self) -> &str {
        &self.middle_name
    }
    fn last_name(&self) -> &str {
        &self.last_name
    }
    fn full_name(&self) -> &str {
        &self.full_name
    }
    fn company(&self) -> &str {
        &self.company
    }
    fn position(&self) -> &str {
        &self.position
    }
    fn website(&self) -> &str {
        &self.website
    }
    fn address(&self) -> &str {
        &self.address
    }
    fn emails(&self) -> impl Iterator<Item = &str> {
        self.emails.iter().map(|x| x.as_ref())
    }
    fn phones(&self) -> impl Iterator<Item = &str> {
        self.phones.iter().map(|x| x.as_ref())
    }
}

enum Line<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

fn parse_line(line: Line, line_no: usize, s: &Settings) -> Result<Option<Normalized>, DedupError> {
    let parsed = match line {
        Line::Text(t) => {
            let t = t.strip_suffix('\r').unwrap_or(t);
            if t.trim().is_empty() {
                return Ok(None);
            }
            serde_json::from_str::<ContactRef>(t)
        }
        Line::Bytes(b) => {
            let b = b.strip_suffix(b"\r").unwrap_or(b);
            if b.iter().all(|c| c.is_ascii_whitespace()) {
                return Ok(None);
            }
            serde_json::from_slice::<ContactRef>(b)
        }
    };
    match parsed {
        Ok(c) => Ok(Some(normalize_fields(&c, s))),
        Err(e) => Err(DedupError::Parse { line: line_no, message: e.to_string() }),
    }
}

/// Batch duplicate detection over JSON lines: prints one line per pair,
/// `{"a":1,"b":2,"score":0.9731}` with `a < b`, sorted.
pub fn run_pairs_jsonl(input: impl BufRead, out: impl Write, s: &Settings) -> Result<Stats, DedupError> {
    let t0 = Instant::now();
    let norm = parse_contacts_jsonl(input, s)?;
    let t1 = Instant::now();
    let (cands, blocking) = candidate_pairs(&norm, s);
    let t2 = Instant::now();
    let pairs = score_candidates(&norm, &cands, s);
    drop(cands);
    let t3 = Instant::now();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    for p in &pairs {
        writeln!(w, "{{\"a\":{},\"b\":{},\"score\":{:.4}}}", p.a, p.b, p.score)?;
    }
    w.flush()?;
    let t4 = Instant::now();
    let ms = |a: Instant, b: Instant| (b - a).as_millis() as u64;
    Ok(Stats {
        contacts: norm.len(),
        pairs: pairs.len(),
        blocking,
        read_ms: ms(t0, t1),
        block_ms: ms(t1, t2),
        score_ms: ms(t2, t3),
        write_ms: ms(t3, t4),
        total_ms: ms(t0, t4),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id": 1, "cluster": 5, "first_name": "Anna", "last_name": "Petrova", "emails": ["anna@acme.com"], "phones": ["+79161234567"], "locale": "ru_RU"}
{"id": 2, "cluster": 5, "first_name": "Анна", "last_name": "Петрова", "emails": ["Anna@ACME.com"], "phones": []}

{"id": 3, "first_name": "Boris", "last_name": "Ivanov", "emails": ["boris@other.org"]}
"#;

    #[test]
    fn pairs_from_jsonl() {
        let mut out = Vec::new();
        let st = run_pairs_jsonl(GOOD.as_bytes(), &mut out, &Settings::default()).unwrap();
        assert_eq!(st.contacts, 3);
        assert_eq!(st.pairs, 1);
        let text = String::from_utf8(out).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], 2);
        assert!(v["score"].as_f64().unwrap() > 0.9);
    }

    #[test]
    fn malformed_line_names_line_number() {
        let bad = format!("{GOOD}{{\"id\": 4, \"first_name\": \"X\"\n{{\"id\": 5}}\n");
        let err = run_pairs_jsonl(bad.as_bytes(), Vec::new(), &Settings::default()).unwrap_err();
        match &err {
            DedupError::Parse { line, .. } => assert_eq!(*line, 5),
            e => panic!("unexpected {e:?}"),
        }
        assert!(err.to_string().starts_with("line 5:"), "{err}");
        // wrong type
        let bad = "{\"id\": 1}\n{\"id\": \"x\"}\n";
        let err = run_pairs_jsonl(bad.as_bytes(), Vec::new(), &Settings::default()).unwrap_err();
        assert!(err.to_string().starts_with("line 2:"), "{err}");
        // not JSON at all, CRLF endings
        let bad = "{\"id\": 1}\r\nhello\r\n";
        let err = run_pairs_jsonl(bad.as_bytes(), Vec::new(), &Settings::default()).unwrap_err();
        assert!(err.to_string().starts_with("line 2:"), "{err}");
    }

    #[test]
    fn nulls_escapes_and_unknown_fields() {
        let text = r#"{"id": 7, "first_name": null, "last_name": "Pe\u0074rova", "emails": null, "phones": ["+7 916 123 45 67"], "extra": {"x": [1, 2]}}"#;
        let n = parse_contacts_jsonl(text.as_bytes(), &Settings::default()).unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].id, 7);
        assert_eq!(n[0].last, "petrova");
        assert_eq!(n[0].phones, vec!["+79161234567".to_string()]);
        // the same contact through ContactInput gives the same keys
        let c: crate::ContactInput = serde_json::from_str(text).unwrap();
        assert_eq!(crate::normalize(&c, &Settings::default()), n[0]);
    }

    #[test]
    fn invalid_utf8_names_line() {
        let mut bad = b"{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3, \"company\": \"".to_vec();
        bad.extend_from_slice(&[0xff, 0xfe]);
        bad.extend_from_slice(b"\"}\n");
        let err = run_pairs_jsonl(&bad[..], Vec::new(), &Settings::default()).unwrap_err();
        assert!(err.to_string().starts_with("line 3:"), "{err}");
    }

    #[test]
    fn empty_input() {
        let st = run_pairs_jsonl("".as_bytes(), Vec::new(), &Settings::default()).unwrap();
        assert_eq!(st.contacts, 0);
        assert_eq!(st.pairs, 0);
    }

    #[test]
    fn io_error_is_reported() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk gone"))
            }
        }
        let err = run_pairs_jsonl(std::io::BufReader::new(Broken), Vec::new(), &Settings::default()).unwrap_err();
        assert!(matches!(err, DedupError::Io(_)));
    }
}
