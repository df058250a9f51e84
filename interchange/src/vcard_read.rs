//! vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350) reading, one card at a time.

use crate::encoding::decode_charset;
use crate::mapping::is_plain_kind_label;
use crate::record::{push_unique, Address, ContactRecord, Email, Kind, Phone, Photo, Website};
use crate::{Limits, RowError};
use base64::Engine;
use std::borrow::Cow;

/// Cards of a vCard file, in order. Holds the decoded text and an offset into it.
pub(crate) struct VcardCards<'a> {
    text: Cow<'a, str>,
    pos: usize,
    /// 1-based number of the physical line at `pos`.
    line: u64,
    limits: Limits,
    index: u64,
}

/// Some phones fold vCard lines inside a UTF-8 sequence (`\xD0` CRLF space `\x98`), which leaves
/// the file invalid UTF-8 although its unfolded text is fine. Moves each cut sequence's leading
/// bytes after the fold (line numbers stay); `None` when that does not make the file UTF-8.
pub(crate) fn repair_split_folds(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' && i + 1 < bytes.len() && (bytes[i + 1] == b' ' || bytes[i + 1] == b'\t') {
            // `out` ends with the folded line (and maybe a CR): does it end inside a character?
            let cr = out.last() == Some(&b'\r');
            let end = out.len() - cr as usize;
            let mut k = 0;
            while k < 3 && k < end && (out[end - 1 - k] & 0xC0) == 0x80 {
                k += 1;
            }
            let partial = if k < end {
                let lead = out[end - 1 - k];
                let need = match lead {
                    0xC0..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF7 => 4,
                    _ => 0,
                };
                if need > k + 1 {
                    k + 1
                } else {
                    0
                }
            } else {
                0
            };
            let moved: Vec<u8> = out.drain(end - partial..end).collect();
            if cr {
                out.pop();
                out.push(b'\r');
            }
            out.push(b'\n');
            out.push(bytes[i + 1]);
            out.extend(moved);
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    std::str::from_utf8(&out).is_ok().then_some(out)
}

/// One property line after unfolding: `group.NAME;params:value`.
#[derive(Debug, Default)]
struct Prop {
    group: String,
    name: String,
    /// (upper-case key, value) with lists split: `TYPE=work,voice` gives two entries.
    params: Vec<(String, String)>,
    value: String,
}

impl Prop {
    fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn types(&self) -> Vec<String> {
        self.params.iter().filter(|(k, _)| k == "TYPE").map(|(_, v)| v.to_lowercase()).collect()
    }
    fn encoding(&self) -> Option<String> {
        self.param("ENCODING").map(|e| e.to_ascii_uppercase())
    }
}

impl<'a> VcardCards<'a> {
    pub fn new(text: Cow<'a, str>, limits: Limits) -> Self {
        VcardCards { text, pos: 0, line: 1, limits, index: 0 }
    }

    /// The physical line at `pos` (without its CR/LF) and the offset after it.
    fn peek(&self) -> Option<(usize, usize)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let (end, next) = match rest.find('\n') {
            Some(i) => (self.pos + i, self.pos + i + 1),
            None => (self.text.len(), self.text.len()),
        };
        let end = if end > self.pos && self.text.as_bytes()[end - 1] == b'\r' { end - 1 } else { end };
        Some((end, next))
    }

    fn advance(&mut self, next: usize) {
        self.pos = next;
        self.line += 1;
    }

    /// The next logical line (folded continuation lines, QP soft breaks and 2.1 base64 runs joined)
    /// with its first line number; `overflow` is set when it passed `cap` bytes (the rest is dropped).
    fn logical_line(&mut self, cap: usize) -> Option<(String, u64, bool)> {
        let (end, next) = self.peek()?;
        let first_line = self.line;
        // Never copy more than the cap, however long the physical line.
        let mut overflow = end - self.pos > cap;
        let mut take = end.min(self.pos + cap);
        while !self.text.is_char_boundary(take) {
            take -= 1;
        }
        let mut s = self.text[self.pos..take].to_string();
        self.advance(next);
        let push = |s: &mut String, part: &str, overflow: &mut bool| {
            if s.len() + part.len() > cap {
                *overflow = true;
            } else {
                s.push_str(part);
            }
        };
        while let Some((end, next)) = self.peek() {
            let l = &self.text[self.pos..end];
            if l.starts_with(' ') || l.starts_with('\t') {
                push(&mut s, &l[1..], &mut overflow);
                self.advance(next);
            } else {
                break;
            }
        }
        let head_upper = s[..value_start(&s).unwrap_or(s.len()).min(s.len())].to_ascii_uppercase();
        if head_upper.contains("QUOTED-PRINTABLE") {
            while s.ends_with('=') {
                let Some((end, next)) = self.peek() else { break };
                s.pop();
                push(&mut s, &self.text[self.pos..end], &mut overflow);
                self.advance(next);
            }
        } else if head_upper.contains("BASE64") || head_upper.contains("ENCODING=B") {
            // vCard 2.1 writers put base64 on unindented lines ending with a blank line.
            while let Some((end, next)) = self.peek() {
                let l = self.text[self.pos..end].trim();
                if l.is_empty()
                    || l.contains(':')
                    || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
                {
                    break;
                }
                push(&mut s, l, &mut overflow);
                self.advance(next);
            }
        }
        Some((s, first_line, overflow))
    }
}

/// Offset of the ':' that ends the name and parameters (quotes respected).
fn value_start(line: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_prop(line: &str) -> Option<Prop> {
    let colon = value_start(line)?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = split_quoted(head, b';').into_iter();
    let name_part = parts.next()?.trim();
    let (group, name) = match name_part.rsplit_once('.') {
        Some((g, n)) => (g.to_string(), n.to_ascii_uppercase()),
        None => (String::new(), name_part.to_ascii_uppercase()),
    };
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        match p.split_once('=') {
            Some((k, v)) => {
                let k = k.trim().to_ascii_uppercase();
                for v in split_quoted(v, b',') {
                    let v = v.trim().trim_matches('"');
                    // `TYPE="work,voice"`: a quoted list is still a list for TYPE.
                    let parts: Vec<&str> = if k == "TYPE" { v.split(',').collect() } else { vec![v] };
                    for v in parts {
                        let v = v.trim();
                        if !v.is_empty() {
                            params.push((k.clone(), rfc6868_decode(v)));
                        }
                    }
                }
            }
            None => {
                let up = p.to_ascii_uppercase();
                let key = match up.as_str() {
                    "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" | "B" => "ENCODING",
                    _ => "TYPE",
                };
                params.push((key.to_string(), p.to_string()));
            }
        }
    }
    Some(Prop { group, name, params, value: value.to_string() })
}

fn split_quoted(s: &str, sep: u8) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == sep && !quoted {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// RFC 6868 parameter value escapes: `^n` newline, `^'` double quote, `^^` caret.
fn rfc6868_decode(v: &str) -> String {
    if !v.contains('^') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut it = v.chars().peekable();
    while let Some(c) = it.next() {
        if c == '^' {
            match it.peek() {
                Some('n') | Some('N') => {
                    out.push('\n');
                    it.next();
                }
                Some('\'') => {
                    out.push('"');
                    it.next();
                }
                Some('^') => {
                    out.push('^');
                    it.next();
                }
                _ => out.push('^'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a value on an unescaped separator (a backslash escapes the next character).
fn split_escaped(v: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut esc = false;
    for (i, c) in v.char_indices() {
        if esc {
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == sep {
            out.push(&v[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&v[start..]);
    out
}

/// Undoes vCard text escapes: `\\` `\,` `\;` `\:` and `\n`/`\N` (newline); other backslashes stay.
fn unescape(v: &str) -> String {
    if !v.contains('\\') {
        return v.trim().to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(c @ ('\\' | ',' | ';' | ':')) => out.push(c),
                Some(c) => {
                    out.push('\\');
                    out.push(c);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

fn qp_decode(v: &str) -> Vec<u8> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            let hex = |c: u8| (c as char).to_digit(16);
            if i + 2 < b.len() {
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
            }
            if i + 1 == b.len() {
                break; // a trailing soft break
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The value's text: QP and CHARSET handled.
fn decoded_value(p: &Prop, warnings: &mut Vec<String>) -> String {
    if p.encoding().as_deref() == Some("QUOTED-PRINTABLE") {
        let bytes = qp_decode(&p.value);
        let (s, w) = decode_charset(&bytes, p.param("CHARSET"));
        if let Some(w) = w {
            warnings.push(format!("{}: {w}", p.name));
        }
        s.replace("\r\n", "\n")
    } else {
        p.value.clone()
    }
}

fn kind_of(name: &str, types: &[String]) -> Kind {
    let has = |t: &str| types.iter().any(|x| x == t);
    if name == "TEL" && has("fax") {
        Kind::Fax
    } else if name == "TEL" && (has("cell") || has("mobile") || has("iphone")) {
        Kind::Mobile
    } else if has("work") {
        Kind::Work
    } else if has("home") {
        Kind::Home
    } else {
        Kind::Other
    }
}

/// Apple's `_$!<Mobile>!$_` built-in labels shown as plain text.
fn clean_label(l: &str) -> String {
    let l = l.trim();
    l.strip_prefix("_$!<").and_then(|x| x.strip_suffix(">!$_")).unwrap_or(l).to_string()
}

fn sniff_mime(b: &[u8]) -> &'static str {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if b.starts_with(b"\x89PNG") {
        "image/png"
    } else if b.starts_with(b"GIF8") {
        "image/gif"
    } else if b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

fn mime_from_type(t: &str) -> Option<String> {
    let t = t.trim().to_ascii_lowercase();
    if t.contains('/') {
        return Some(t);
    }
    match t.as_str() {
        "jpeg" | "jpg" => Some("image/jpeg".into()),
        "png" => Some("image/png".into()),
        "gif" => Some("image/gif".into()),
        "webp" => Some("image/webp".into()),
        "bmp" => Some("image/bmp".into()),
        _ => None,
    }
}

fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(&clean).ok()
}

fn photo(p: &Prop, limits: &Limits, warnings: &mut Vec<String>) -> Option<Photo> {
    let v = p.value.trim();
    let (data, mut mime) = if let Some(rest) = v.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',')?;
        if !meta.to_ascii_lowercase().ends_with(";base64") {
            warnings.push("PHOTO data: URI is not base64; dropped".into());
            return None;
        }
        (data, Some(meta[..meta.len() - 7].to_ascii_lowercase()).filter(|m| !m.is_empty()))
    } else if matches!(p.encoding().as_deref(), Some("B") | Some("BASE64")) {
        let mime = p.param("MEDIATYPE").or_else(|| p.param("TYPE")).and_then(mime_from_type);
        (v, mime)
    } else {
        if !v.is_empty() {
            warnings.push("PHOTO given as a link was not fetched".into());
        }
        return None;
    };
    if data.len() / 4 * 3 > limits.max_photo_bytes + 3 {
        warnings.push(format!(
            "PHOTO of about {} bytes is larger than the {}-byte cap; dropped",
            data.len() / 4 * 3,
            limits.max_photo_bytes
        ));
        return None;
    }
    let Some(bytes) = decode_b64(data) else {
        warnings.push("PHOTO is not valid base64; dropped".into());
        return None;
    };
    if bytes.is_empty() {
        return None;
    }
    if bytes.len() > limits.max_photo_bytes {
        warnings.push(format!(
            "PHOTO of {} bytes is larger than the {}-byte cap; dropped",
            bytes.len(),
            limits.max_photo_bytes
        ));
        return None;
    }
    if mime.as_deref().is_none_or(|m| !m.starts_with("image/")) {
        mime = Some(sniff_mime(&bytes).to_string());
    }
    Some(Photo { mime: mime.unwrap_or_default(), bytes })
}

/// Builds a record from a card's properties.
fn build(props: Vec<Prop>, limits: &Limits, line: u64, index: u64) -> Result<ContactRecord, RowError> {
    let mut r = ContactRecord { line, index, ..Default::default() };
    let err = |detail: String| RowError { line, index, detail };
    let labels: Vec<(String, String)> = props
        .iter()
        .filter(|p| p.name == "X-ABLABEL" && !p.group.is_empty())
        .map(|p| (p.group.to_ascii_lowercase(), clean_label(&unescape(&p.value))))
        .collect();
    let label_of = |p: &Prop| -> Option<String> {
        if p.group.is_empty() {
            return None;
        }
        let g = p.group.to_ascii_lowercase();
        labels.iter().find(|(x, _)| *x == g).map(|(_, l)| l.clone()).filter(|l| !l.is_empty())
    };
    // kind and label of a grouped or typed value.
    let kind_label = |p: &Prop| -> (Kind, String) {
        let mut kind = kind_of(&p.name, &p.types());
        let mut label = String::new();
        if let Some(l) = label_of(p) {
            if kind == Kind::Other && p.name != "URL" {
                if let Some(k) = Kind::from_label(&l) {
                    kind = k;
                }
            }
            if !is_plain_kind_label(&l) {
                label = l;
            }
        }
        (kind, label)
    };
    let mut warnings = Vec::new();
    let mut labels_text: Vec<(Kind, String)> = Vec::new();
    for p in &props {
        if p.name == "PHOTO" {
            if r.photo.is_none() {
                r.photo = photo(p, limits, &mut warnings);
            }
            continue;
        }
        if !matches!(
            p.name.as_str(),
            "FN" | "N"
                | "ORG"
                | "TITLE"
                | "ROLE"
                | "TEL"
                | "EMAIL"
                | "URL"
                | "ADR"
                | "LABEL"
                | "NOTE"
                | "CATEGORIES"
                | "X-CARDCRM-GROUPS"
                | "UID"
                | "REV"
        ) {
            continue;
        }
        let raw = decoded_value(p, &mut warnings);
        if raw.len() > limits.max_field_bytes {
            return Err(err(format!(
                "{} is {} bytes, longer than the {}-byte cap",
                p.name,
                raw.len(),
                limits.max_field_bytes
            )));
        }
        match p.name.as_str() {
            "FN" if r.full_name.is_empty() => r.full_name = unescape(&raw),
            "N" => {
                let c: Vec<String> = split_escaped(&raw, ';')
                    .into_iter()
                    .map(|x| {
                        split_escaped(x, ',')
                            .into_iter()
                            .map(unescape)
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                let get = |i: usize| c.get(i).cloned().unwrap_or_default();
                r.last_name = get(0);
                r.first_name = get(1);
                r.middle_name = get(2);
                r.prefix = get(3);
                r.suffix = get(4);
            }
            "ORG" => {
                let c: Vec<String> = split_escaped(&raw, ';').into_iter().map(unescape).collect();
                r.company = c.first().cloned().unwrap_or_default();
                r.department = c.iter().skip(1).filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(", ");
            }
            "TITLE" => r.position = unescape(&raw),
            "ROLE" if r.position.is_empty() => r.position = unescape(&raw),
            "TEL" => {
                let v = unescape(&raw);
                let v = v.strip_prefix("tel:").unwrap_or(&v).trim().to_string();
                if !v.is_empty() {
                    let (kind, label) = kind_label(p);
                    r.phones.push(Phone { kind, number: v, label });
                }
            }
            "EMAIL" => {
                let v = unescape(&raw);
                let v = v.strip_prefix("mailto:").unwrap_or(&v).trim().to_string();
                if !v.is_empty() {
                    let (kind, label) = kind_label(p);
                    r.emails.push(Email { kind, address: v, label });
                }
            }
            "URL" => {
                let v = unescape(&raw);
                if !v.is_empty() {
                    let (kind, label) = kind_label(p);
                    r.websites.push(Website { kind, url: v, label });
                }
            }
            "ADR" => {
                let c: Vec<String> = split_escaped(&raw, ';').into_iter().map(unescape).collect();
                let get = |i: usize| c.get(i).cloned().unwrap_or_default();
                let (kind, label) = kind_label(p);
                let a = Address {
                    kind,
                    label,
                    po_box: get(0),
                    extended: get(1),
                    street: get(2),
                    city: get(3),
                    region: get(4),
                    postal_code: get(5),
                    country: get(6),
                    // RFC 6350's own example writes `\n` in LABEL (RFC 6868 says `^n`): take both.
                    formatted: p
                        .param("LABEL")
                        .map(|l| l.replace("\\n", "\n").replace("\\N", "\n").trim().to_string())
                        .unwrap_or_default(),
                };
                if !a.is_empty() {
                    r.addresses.push(a);
                }
            }
            "LABEL" => labels_text.push((kind_of("LABEL", &p.types()), unescape(&raw))),
            "NOTE" => {
                let v = unescape(&raw);
                if !v.is_empty() {
                    if !r.notes.is_empty() {
                        r.notes.push('\n');
                    }
                    r.notes.push_str(&v);
                }
            }
            "CATEGORIES" => {
                for t in split_escaped(&raw, ',') {
                    push_unique(&mut r.tags, &unescape(t));
                }
            }
            "X-CARDCRM-GROUPS" => {
                for t in split_escaped(&raw, ',') {
                    push_unique(&mut r.groups, &unescape(t));
                }
            }
            "UID" => r.uid = unescape(&raw),
            "REV" => r.rev = unescape(&raw),
            _ => {}
        }
    }
    // vCard 2.1/3.0 LABEL properties: the formatted text of the address of the same kind.
    for (kind, text) in labels_text {
        if text.is_empty() {
            continue;
        }
        match r.addresses.iter_mut().find(|a| a.kind == kind && a.formatted.is_empty()) {
            Some(a) => a.formatted = text,
            None => r.addresses.push(Address { kind, formatted: text, ..Default::default() }),
        }
    }
    if r.phones.len() > limits.max_values_per_field || r.emails.len() > limits.max_values_per_field {
        return Err(err(format!("more than {} phones or e-mails in one card", limits.max_values_per_field)));
    }
    r.warnings = warnings;
    if r.is_empty() {
        return Err(err("the card has no name, company, phone, e-mail, address or notes".into()));
    }
    Ok(r)
}

fn is(line: &str, what: &str) -> bool {
    line.trim().eq_ignore_ascii_case(what)
}

impl Iterator for VcardCards<'_> {
    type Item = Result<ContactRecord, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let cap = self.limits.max_card_bytes;
        // Find the next BEGIN:VCARD.
        let start_line = loop {
            let (end, next) = self.peek()?;
            let line = self.line;
            let (begin, end_card) = {
                let l = &self.text[self.pos..end];
                (is(l, "BEGIN:VCARD"), is(l, "END:VCARD"))
            };
            self.advance(next);
            if begin {
                break line;
            }
            if end_card {
                let index = self.index;
                self.index += 1;
                return Some(Err(RowError { line, index, detail: "END:VCARD without a BEGIN:VCARD".into() }));
            }
        };
        let index = self.index;
        self.index += 1;
        let mut props: Vec<Prop> = Vec::new();
        let mut bytes = 0usize;
        let mut problem: Option<String> = None;
        loop {
            let before = (self.pos, self.line);
            let Some((l, line, overflow)) = self.logical_line(cap) else {
                return Some(Err(RowError {
                    line: start_line,
                    index,
                    detail: format!(
                        "BEGIN:VCARD at line {start_line} has no END:VCARD (the file ends at line {})",
                        self.line.saturating_sub(1)
                    ),
                }));
            };
            if is(&l, "END:VCARD") {
                break;
            }
            if is(&l, "BEGIN:VCARD") {
                // Leave the new card for the next call.
                (self.pos, self.line) = before;
                return Some(Err(RowError {
                    line: start_line,
                    index,
                    detail: format!(
                        "BEGIN:VCARD at line {start_line} has no END:VCARD before the next BEGIN:VCARD at line {line}"
                    ),
                }));
            }
            if problem.is_some() || l.trim().is_empty() {
                continue;
            }
            bytes += l.len();
            if overflow || bytes > cap {
                problem = Some(format!("the card is larger than the {cap}-byte cap (at line {line})"));
                props.clear();
                continue;
            }
            match parse_prop(&l) {
                Some(p) => props.push(p),
                None => {
                    // A line without a colon: tolerated when it is text after a property
                    // (some writers wrap NOTE without folding), else skipped.
                    continue;
                }
            }
            if props.len() > self.limits.max_properties_per_card {
                problem = Some(format!(
                    "the card has more than {} properties (at line {line})",
                    self.limits.max_properties_per_card
                ));
                props.clear();
            }
        }
        if let Some(detail) = problem {
            return Some(Err(RowError { line: start_line, index, detail }));
        }
        Some(build(props, &self.limits, start_line, index))
    }
}
