//! vCard 4.0 (RFC 6350) and 3.0 (RFC 2426) writing: escaping, 75-octet folding, CRLF.

use crate::record::{ContactRecord, Kind};
use base64::Engine;
use std::io::{self, Write};

/// Which vCard version to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VcardVersion {
    /// vCard 3.0, for older phones and Outlook.
    #[serde(rename = "3.0")]
    V3,
    /// vCard 4.0 (RFC 6350), the default.
    #[default]
    #[serde(rename = "4.0")]
    V4,
}

impl VcardVersion {
    pub fn parse(s: &str) -> Option<VcardVersion> {
        match s.trim() {
            "3" | "3.0" => Some(VcardVersion::V3),
            "4" | "4.0" => Some(VcardVersion::V4),
            _ => None,
        }
    }
}

/// Writes cards one at a time to `W` (a file, an HTTP body): nothing is kept between cards.
pub struct VcardWriter<W: Write> {
    w: W,
    version: VcardVersion,
    buf: String,
}

impl<W: Write> VcardWriter<W> {
    pub fn new(w: W, version: VcardVersion) -> Self {
        VcardWriter { w, version, buf: String::new() }
    }

    /// Writes one card.
    pub fn write(&mut self, r: &ContactRecord) -> io::Result<()> {
        self.buf.clear();
        card_into(&mut self.buf, r, self.version);
        self.w.write_all(self.buf.as_bytes())
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// One card as text (what a CardDAV resource holds), CRLF line ends, folded.
pub fn card_to_string(r: &ContactRecord, version: VcardVersion) -> String {
    let mut s = String::new();
    card_into(&mut s, r, version);
    s
}

/// Escapes a text value: backslash, comma, semicolon and newlines (`\n`).
pub fn escape_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: RFC 6868 caret escapes, quoted when it holds `:` `;` `,` or a space.
fn param_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    let v = v.replace("\r\n", "\n");
    for c in v.chars() {
        match c {
            '^' => out.push_str("^^"),
            '\n' | '\r' => out.push_str("^n"),
            '"' => out.push_str("^'"),
            c => out.push(c),
        }
    }
    if out.contains([':', ';', ',', ' ']) || out.is_empty() {
        format!("\"{out}\"")
    } else {
        out
    }
}

/// Appends `line` folded at 75 octets (never inside a UTF-8 sequence) and CRLF.
pub(crate) fn fold_into(out: &mut String, line: &str) {
    let mut budget = 75;
    let mut start = 0;
    let mut used = 0;
    for (i, c) in line.char_indices() {
        let n = c.len_utf8();
        if used + n > budget {
            out.push_str(&line[start..i]);
            out.push_str("\r\n ");
            start = i;
            used = 1; // the leading space counts
            budget = 75;
        }
        used += n;
    }
    out.push_str(&line[start..]);
    out.push_str("\r\n");
}

fn tel_types(k: Kind, v: VcardVersion) -> Option<&'static str> {
    match (k, v) {
        (Kind::Mobile, VcardVersion::V4) => Some("cell"),
        (Kind::Mobile, VcardVersion::V3) => Some("CELL"),
        (Kind::Work, VcardVersion::V4) => Some("work"),
        (Kind::Work, VcardVersion::V3) => Some("WORK"),
        (Kind::Home, VcardVersion::V4) => Some("home"),
        (Kind::Home, VcardVersion::V3) => Some("HOME"),
        (Kind::Fax, VcardVersion::V4) => Some("fax"),
        (Kind::Fax, VcardVersion::V3) => Some("FAX"),
        (Kind::Other, _) => None,
    }
}

/// work/home for e-mails, sites and addresses (mobile and fax mean nothing there).
fn place_types(k: Kind, v: VcardVersion) -> Option<&'static str> {
    match k {
        Kind::Work | Kind::Fax | Kind::Mobile => tel_types(Kind::Work, v),
        Kind::Home => tel_types(Kind::Home, v),
        Kind::Other => None,
    }
}

struct Card<'a> {
    out: &'a mut String,
    item: u32,
}

impl Card<'_> {
    fn prop(&mut self, name: &str, params: &[(&str, String)], value: &str, label: &str) {
        let mut line = String::with_capacity(name.len() + value.len() + 16);
        let group = if label.is_empty() {
            None
        } else {
            self.item += 1;
            Some(format!("item{}", self.item))
        };
        if let Some(g) = &group {
            line.push_str(g);
            line.push('.');
        }
        line.push_str(name);
        for (k, v) in params {
            line.push(';');
            line.push_str(k);
            line.push('=');
            line.push_str(v);
        }
        line.push(':');
        line.push_str(value);
        fold_into(self.out, &line);
        if let Some(g) = group {
            let l = format!("{g}.X-ABLabel:{}", escape_text(label));
            fold_into(self.out, &l);
        }
    }
}

fn card_into(out: &mut String, r: &ContactRecord, v: VcardVersion) {
    let mut c = Card { out, item: 0 };
    c.out.push_str("BEGIN:VCARD\r\n");
    c.out.push_str(match v {
        VcardVersion::V3 => "VERSION:3.0\r\n",
        VcardVersion::V4 => "VERSION:4.0\r\n",
    });
    if !r.uid.is_empty() {
        c.prop("UID", &[], &escape_text(&r.uid), "");
    }
    c.prop("FN", &[], &escape_text(&r.display_name()), "");
    let n = [&r.last_name, &r.first_name, &r.middle_name, &r.prefix, &r.suffix]
        .iter()
        .map(|s| escape_text(s))
        .collect::<Vec<_>>()
        .join(";");
    c.prop("N", &[], &n, "");
    if !r.company.is_empty() || !r.department.is_empty() {
        let org = if r.department.is_empty() {
            escape_text(&r.company)
        } else {
            format!("{};{}", escape_text(&r.company), escape_text(&r.department))
        };
        c.prop("ORG", &[], &org, "");
    }
    if !r.position.is_empty() {
        c.prop("TITLE", &[], &escape_text(&r.position), "");
    }
    let ty = |t: Option<&'static str>| -> Vec<(&'static str, String)> {
        t.map(|t| vec![("TYPE", t.to_string())]).unwrap_or_default()
    };
    for p in &r.phones {
        c.prop("TEL", &ty(tel_types(p.kind, v)), &escape_text(&p.number), &p.label);
    }
    for e in &r.emails {
        let mut params = ty(place_types(e.kind, v));
        if v == VcardVersion::V3 {
            match params.first_mut() {
                Some(p) => p.1 = format!("INTERNET,{}", p.1),
                None => params.push(("TYPE", "INTERNET".into())),
            }
        }
        c.prop("EMAIL", &params, &escape_text(&e.address), &e.label);
    }
    for w in &r.websites {
        c.prop("URL", &ty(place_types(w.kind, v)), &escape_text(&w.url), &w.label);
    }
    for a in &r.addresses {
        let mut params = ty(place_types(a.kind, v));
        if !a.formatted.is_empty() {
            params.push(("LABEL", param_value(&a.formatted)));
        }
        let value = [&a.po_box, &a.extended, &a.street, &a.city, &a.region, &a.postal_code, &a.country]
            .iter()
            .map(|s| escape_text(s))
            .collect::<Vec<_>>()
            .join(";");
        c.prop("ADR", &params, &value, &a.label);
    }
    if !r.notes.is_empty() {
        c.prop("NOTE", &[], &escape_text(&r.notes), "");
    }
    if !r.tags.is_empty() {
        let t = r.tags.iter().map(|t| escape_text(t)).collect::<Vec<_>>().join(",");
        c.prop("CATEGORIES", &[], &t, "");
    }
    if !r.groups.is_empty() {
        let t = r.groups.iter().map(|t| escape_text(t)).collect::<Vec<_>>().join(",");
        c.prop("X-CARDCRM-GROUPS", &[], &t, "");
    }
    if let Some(p) = &r.photo {
        let data = base64::engine::general_purpose::STANDARD.encode(&p.bytes);
        let mime = if p.mime.is_empty() { "application/octet-stream" } else { p.mime.as_str() };
        match v {
            VcardVersion::V4 => c.prop("PHOTO", &[], &format!("data:{mime};base64,{data}"), ""),
            VcardVersion::V3 => {
                let sub = mime.rsplit('/').next().unwrap_or("jpeg").to_ascii_uppercase();
                c.prop("PHOTO", &[("ENCODING", "b".into()), ("TYPE", param_value(&sub))], &data, "")
            }
        }
    }
    if !r.rev.is_empty() {
        c.prop("REV", &[], &escape_text(&r.rev), "");
    }
    c.out.push_str("END:VCARD\r\n");
}
