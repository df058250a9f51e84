//! Fuzz target (property tests) for the QR payload parsers: `ocr::parse_vcard`,
//! `ocr::parse_mecard` and `ocr::merge_qr` (the payload text, not the image search), on arbitrary
//! text and on generated vCards / MeCards with random folding, labels, parameters and escapes.
//!
//! Runs `PROPTEST_CASES` cases per property (default [`DEFAULT_CASES`], bounded for CI in a debug
//! build); run longer by hand, e.g.
//! `PROPTEST_CASES=1000000 cargo test -p ocr --release --test fuzz_qr`.
//! See docs/testing.md for the numbers of the long runs. Inputs that once failed are kept as plain
//! `#[test]` regression cases at the end of this file.

use ocr::{merge_qr, parse_mecard, parse_vcard, ParsedCard, ParsedField};
use proptest::prelude::*;

const DEFAULT_CASES: u32 = 1500;

/// `PROPTEST_CASES` if set, else `default`; no failure files written (regressions are kept as
/// tests below instead).
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Text of one value: letters of several scripts, the characters vCard and MeCard escape, and
/// no line breaks (those are escaped as `\n` in both formats).
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9 .@+()/-]{0,16}",
        2 => prop::collection::vec(
            prop::sample::select(vec![
                "a", "Z", "0", "7", " ", ",", ";", ":", "\\", "n", "N", "\\n", "é", "Ж", "ß", "İ", "🙂", "\t", "+", "-",
                "tel:", "mailto:", "=", "\"",
            ]),
            0..12,
        )
        .prop_map(|v| v.concat()),
        1 => any::<String>().prop_map(|s| s.replace(['\r', '\n'], "")),
    ]
}

/// vCard text escaping (RFC 6350 3.4): backslash, comma, semicolon and newline.
fn vcard_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// MeCard escaping: backslash, semicolon, colon and comma.
fn mecard_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | ';' | ':' | ',') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Fields of a contact, as a vCard or MeCard generator writes them.
#[derive(Debug, Clone)]
struct Contact {
    last: String,
    first: String,
    middle: String,
    prefix: String,
    full: String,
    org: String,
    dept: String,
    title: String,
    tel: String,
    tel_params: &'static str,
    email: String,
    url: String,
    adr: Vec<String>,
}

fn contact() -> impl Strategy<Value = Contact> {
    (
        (value_text(), value_text(), value_text(), value_text(), value_text()),
        (value_text(), value_text(), value_text()),
        (
            "[+]?[0-9 ()-]{0,18}",
            prop::sample::select(vec!["", ";TYPE=CELL", ";type=work,voice", ";TYPE=FAX", ";HOME", ";PREF=1"]),
        ),
        ("[a-z0-9.]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}", value_text()),
        prop::collection::vec(value_text(), 0..7),
    )
        .prop_map(
            |((last, first, middle, prefix, full), (org, dept, title), (tel, tel_params), (email, url), adr)| Contact {
                last,
                first,
                middle,
                prefix,
                full,
                org,
                dept,
                title,
                tel,
                tel_params,
                email,
                url,
                adr,
            },
        )
}

/// Property lines of a vCard for `c`, with random group prefixes and case.
fn vcard_lines(c: &Contact, group: bool, lower: bool) -> Vec<String> {
    let e = vcard_escape;
    let name = |n: &str| {
        let n = if group { format!("item1.{n}") } else { n.to_string() };
        if lower {
            n.to_lowercase()
        } else {
            n
        }
    };
    vec![
        "BEGIN:VCARD".to_string(),
        "VERSION:3.0".to_string(),
        format!("{}:{};{};{};{};", name("N"), e(&c.last), e(&c.first), e(&c.middle), e(&c.prefix)),
        format!("{};CHARSET=UTF-8:{}", name("FN"), e(&c.full)),
        format!("{}:{};{}", name("ORG"), e(&c.org), e(&c.dept)),
        format!("{}:{}", name("TITLE"), e(&c.title)),
        format!("{}{}:{}", name("TEL"), c.tel_params, c.tel),
        format!("{};TYPE=INTERNET:{}", name("EMAIL"), c.email),
        format!("{}:{}", name("URL"), e(&c.url)),
        format!("{};TYPE=WORK:{}", name("ADR"), c.adr.iter().map(|a| e(a)).collect::<Vec<_>>().join(";")),
        "X-UNKNOWN;X=1:whatever".to_string(),
        "END:VCARD".to_string(),
    ]
}

/// Join lines with CRLF or LF and fold them (RFC 6350 3.2: a line break followed by one space
/// or tab) at the given character positions (never before a line's first character).
fn fold(lines: &[String], folds: &[(usize, usize, bool)], crlf: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let n = l.chars().count();
        let mut at: Vec<(usize, bool)> = folds
            .iter()
            .filter(|(li, _, _)| li % lines.len() == i)
            .filter(|(_, pos, _)| n > 1 && pos % n != 0)
            .map(|(_, pos, tab)| (pos % n, *tab))
            .collect();
        at.sort();
        at.dedup_by_key(|(p, _)| *p);
        for (ci, ch) in l.chars().enumerate() {
            if let Some((_, tab)) = at.iter().find(|(p, _)| *p == ci) {
                out.push_str(nl);
                out.push(if *tab { '\t' } else { ' ' });
            }
            out.push(ch);
        }
        out.push_str(nl);
    }
    out
}

fn opt(f: &Option<ParsedField>) -> Option<&str> {
    f.as_ref().map(|f| f.value.as_str())
}

fn trimmed(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// What every parse result satisfies.
fn check(card: &ParsedCard, input: &str) -> Result<(), TestCaseError> {
    let fields = [
        &card.prefix,
        &card.first_name,
        &card.middle_name,
        &card.last_name,
        &card.full_name,
        &card.position,
        &card.department,
        &card.company,
        &card.website,
        &card.address,
    ];
    for f in fields.into_iter().flatten().chain(card.emails.iter()) {
        prop_assert!(!f.value.is_empty() && f.value.trim() == f.value, "{:?}", f.value);
        prop_assert!(f.value.chars().count() <= 2 * input.chars().count(), "{:?} from {:?}", f.value, input);
    }
    for p in &card.phones {
        prop_assert!(["mobile", "work", "fax", "home", "other"].contains(&p.kind.as_str()));
        if let Some(e) = &p.e164 {
            let d = e.strip_prefix('+').unwrap_or("x");
            prop_assert!(!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()), "e164 {e:?} of {:?}", p.number);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    /// Any text: a result or `None`, never a panic.
    #[test]
    fn arbitrary_payloads(text in prop_oneof![
        any::<String>(),
        any::<String>().prop_map(|s| format!("BEGIN:VCARD\n{s}\nEND:VCARD")),
        any::<String>().prop_map(|s| format!("MECARD:{s}")),
        value_text().prop_map(|s| format!("MECARD:N:{s};TEL:{s};;")),
    ]) {
        if let Some(c) = parse_vcard(&text) {
            check(&c, &text)?;
        }
        let m = parse_mecard(&text);
        prop_assert_eq!(m.is_some(), text.trim().to_ascii_uppercase().starts_with("MECARD:"));
        if let Some(c) = m {
            check(&c, &text)?;
        }
    }

    /// Generated vCards read back the values they were written with, however they are folded,
    /// whatever line endings, group prefixes and property-name case they use.
    #[test]
    fn vcard_round_trip(
        c in contact(),
        folds in prop::collection::vec((0usize..64, 0usize..200, any::<bool>()), 0..12),
        crlf in any::<bool>(),
        group in any::<bool>(),
        lower in any::<bool>(),
    ) {
        let lines = vcard_lines(&c, group, lower);
        let plain = fold(&lines, &[], crlf);
        let folded = fold(&lines, &folds, crlf);
        let card = parse_vcard(&plain).expect("a vCard");
        check(&card, &plain)?;
        prop_assert_eq!(&parse_vcard(&folded).expect("a folded vCard"), &card, "folding changed the result");

        prop_assert_eq!(opt(&card.last_name), trimmed(&c.last));
        prop_assert_eq!(opt(&card.first_name), trimmed(&c.first));
        prop_assert_eq!(opt(&card.middle_name), trimmed(&c.middle));
        prop_assert_eq!(opt(&card.prefix), trimmed(&c.prefix));
        if trimmed(&c.full).is_some() {
            prop_assert_eq!(opt(&card.full_name), trimmed(&c.full));
        }
        prop_assert_eq!(opt(&card.company), trimmed(&c.org));
        prop_assert_eq!(opt(&card.department), trimmed(&c.dept));
        prop_assert_eq!(opt(&card.position), trimmed(&c.title));
        prop_assert_eq!(opt(&card.website), trimmed(&c.url));
        let adr: Vec<&str> = c.adr.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect();
        let adr = adr.join(", ");
        prop_assert_eq!(opt(&card.address), trimmed(&adr));
        prop_assert_eq!(card.emails.len(), 1);
        prop_assert_eq!(&card.emails[0].value, &c.email);
        prop_assert_eq!(card.phones.len(), 1);
        prop_assert_eq!(card.phones[0].number.as_str(), c.tel.trim());
    }

    /// Generated MeCards read back the values they were written with.
    #[test]
    fn mecard_round_trip(c in contact(), prefix in prop::sample::select(vec!["MECARD:", "mecard:", "  MeCard:"])) {
        let e = mecard_escape;
        let text = format!(
            "{prefix}N:{},{};TEL:{};EMAIL:{};URL:{};ORG:{};TITLE:{};NOTE:{};;",
            e(&c.last), e(&c.first), e(&c.tel), c.email, e(&c.url), e(&c.org), e(&c.title), e(&c.dept),
        );
        let card = parse_mecard(&text).expect("a MeCard");
        check(&card, &text)?;
        prop_assert_eq!(opt(&card.company), trimmed(&c.org));
        prop_assert_eq!(opt(&card.position), trimmed(&c.title));
        prop_assert_eq!(opt(&card.website), trimmed(&c.url));
        prop_assert_eq!(card.emails.len(), 1);
        prop_assert_eq!(card.phones.len(), 1);
        prop_assert_eq!(card.phones[0].number.as_str(), c.tel.as_str());
        if !c.last.contains(',') && !c.first.contains(',') {
            prop_assert_eq!(opt(&card.last_name), trimmed(&c.last));
            prop_assert_eq!(opt(&card.first_name), trimmed(&c.first));
        }
    }

    /// Merging a QR result into an OCR result keeps every QR value and loses no phone or e-mail.
    #[test]
    fn merge_keeps_qr_values(a in contact(), b in contact()) {
        let ocr = parse_vcard(&fold(&vcard_lines(&a, false, false), &[], true)).unwrap();
        let qr = parse_vcard(&fold(&vcard_lines(&b, false, false), &[], true)).unwrap();
        let mut merged = ocr.clone();
        merge_qr(&mut merged, qr.clone());
        for (m, q, o) in [
            (&merged.full_name, &qr.full_name, &ocr.full_name),
            (&merged.company, &qr.company, &ocr.company),
            (&merged.address, &qr.address, &ocr.address),
            (&merged.position, &qr.position, &ocr.position),
        ] {
            prop_assert_eq!(opt(m), opt(q).or(opt(o)));
        }
        prop_assert!(merged.phones.len() >= ocr.phones.len().max(qr.phones.len()));
        prop_assert!(merged.phones.len() <= ocr.phones.len() + qr.phones.len());
        for e in ocr.emails.iter().chain(&qr.emails) {
            prop_assert!(merged.emails.iter().any(|m| m.value.eq_ignore_ascii_case(&e.value)));
        }
    }
}

/// A payload as large as a QR code holds (2,953 bytes) and far larger: one pass over the text.
#[test]
fn long_payloads() {
    let big = format!("BEGIN:VCARD\r\n{}END:VCARD\r\n", "TEL;TYPE=CELL:+1 212 555 0142\r\n NOTE:x\r\n".repeat(2_500));
    let card = parse_vcard(&big).unwrap();
    assert_eq!(card.phones.len(), 2_500);
    let folded = format!("BEGIN:VCARD\nFN:{}\nEND:VCARD", "ab\n ".repeat(30_000));
    assert_eq!(parse_vcard(&folded).unwrap().full_name.unwrap().value, "ab".repeat(30_000));
    let me = format!("MECARD:{};;", "EMAIL:a@b.co;".repeat(8_000));
    assert_eq!(parse_mecard(&me).unwrap().emails.len(), 8_000);
    let escapes = format!("MECARD:N:{};;", "\\".repeat(100_001));
    let _ = parse_mecard(&escapes);
    let _ = parse_vcard(&format!("FN:{}", "\\n\\,".repeat(25_000)));
}

// ---------------------------------------------------------------------------------------------
// Regression cases found by the targets above
// ---------------------------------------------------------------------------------------------

/// Escapes were undone one kind after the other, so an escaped backslash followed by `n`
/// (`\\n`: a backslash and an n) became a line break, and `\\,` a lone comma.
#[test]
fn escaped_backslash_before_n_stays() {
    let v = parse_vcard("BEGIN:VCARD\nN:\\\\n;a\\\\,b;;;\nFN:x\\\\\\;y\\nz\nEND:VCARD").unwrap();
    assert_eq!(opt(&v.last_name), Some("\\n"));
    assert_eq!(opt(&v.first_name), Some("a\\,b"));
    assert_eq!(opt(&v.full_name), Some("x\\;y, z"));
    let m = parse_mecard("MECARD:N:Lee,\\\\n;TITLE:a\\:b\\\\;;").unwrap();
    assert_eq!(opt(&m.first_name), Some("\\n"));
    assert_eq!(opt(&m.position), Some("a:b\\"));
}
