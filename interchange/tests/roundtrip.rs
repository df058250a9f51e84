//! Writers: output format details, and write-then-read giving the same records in each format.

use interchange::*;
use std::io::Cursor;

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend((0..300u32).map(|i| (i * 7 % 256) as u8));
    b
}

/// Records that use every field, with text that needs escaping.
fn samples() -> Vec<ContactRecord> {
    let a = ContactRecord {
        uid: "0b6f3c1e-9a55-4c1e-8f21-2f3f4a5b6c7d".into(),
        prefix: "Dr.".into(),
        first_name: "Anna".into(),
        middle_name: "Maria".into(),
        last_name: "Schmidt-Müller".into(),
        suffix: "PhD".into(),
        full_name: "Dr. Anna Maria Schmidt-Müller, PhD".into(),
        company: "Acme; Söhne, GmbH".into(),
        department: "R&D, Optics".into(),
        position: "Head of \"Sales\"".into(),
        phones: vec![
            Phone { kind: Kind::Mobile, number: "+49 170 1234567".into(), label: String::new() },
            Phone { kind: Kind::Work, number: "+49 30 1234560".into(), label: String::new() },
            Phone { kind: Kind::Fax, number: "+49 30 1234569".into(), label: String::new() },
            Phone { kind: Kind::Home, number: "+49 30 7654321".into(), label: String::new() },
            Phone { kind: Kind::Other, number: "+49 30 0000000".into(), label: String::new() },
        ],
        emails: vec![
            Email { kind: Kind::Work, address: "anna@acme.de".into(), label: String::new() },
            Email { kind: Kind::Home, address: "anna@home.example".into(), label: String::new() },
        ],
        websites: vec![Website { kind: Kind::Work, url: "https://acme.de/a?x=1,2;3".into(), label: String::new() }],
        addresses: vec![Address {
            kind: Kind::Work,
            label: String::new(),
            po_box: String::new(),
            extended: "Etage 3".into(),
            street: "Hauptstr. 5; Hof".into(),
            city: "Berlin".into(),
            region: "BE".into(),
            postal_code: "10115".into(),
            country: "Germany".into(),
            formatted: "Hauptstr. 5; Hof\nEtage 3\n10115 Berlin".into(),
        }],
        notes: "Line 1\nLine 2, with comma; semicolon \\ backslash\nЗаметка по-русски 🎉".into(),
        tags: vec!["VIP".into(), "Messe, 2026".into(), "Клиенты".into()],
        groups: vec!["Sales team".into(), "Berlin; Mitte".into()],
        photo: Some(Photo { mime: "image/png".into(), bytes: png() }),
        rev: "20261206T101500Z".into(),
        ..Default::default()
    };
    let b = ContactRecord {
        full_name: "Иван Петров".into(),
        first_name: "Иван".into(),
        last_name: "Петров".into(),
        company: "ООО «Ромашка»".into(),
        phones: vec![Phone { kind: Kind::Mobile, number: "+7 916 123-45-67".into(), label: String::new() }],
        ..Default::default()
    };
    vec![a, b]
}

fn content(records: &[ContactRecord]) -> Vec<ContactRecord> {
    records.iter().map(ContactRecord::content).collect()
}

fn read_all(bytes: &[u8]) -> Parsed {
    let p = read(bytes, &ReadOptions::default()).expect("readable");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    p
}

fn write_vcard(records: &[ContactRecord], v: VcardVersion) -> Vec<u8> {
    let mut w = VcardWriter::new(Vec::new(), v);
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn vcard_4_round_trip() {
    let out = write_vcard(&samples(), VcardVersion::V4);
    let p = read_all(&out);
    assert_eq!(p.format, Format::Vcard);
    assert_eq!(content(&p.records), content(&samples()));
}

#[test]
fn vcard_3_round_trip() {
    let out = write_vcard(&samples(), VcardVersion::V3);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("VERSION:3.0\r\n"));
    assert!(text.contains("PHOTO;ENCODING=b;TYPE=PNG:"));
    assert!(text.contains("TEL;TYPE=CELL:+49 170 1234567\r\n"));
    assert!(text.contains("EMAIL;TYPE=INTERNET,WORK:anna@acme.de\r\n"));
    let p = read_all(&out);
    assert_eq!(content(&p.records), content(&samples()));
}

#[test]
fn vcard_output_is_escaped_folded_crlf() {
    let out = String::from_utf8(write_vcard(&samples(), VcardVersion::V4)).unwrap();
    // every line ends with CRLF, none longer than 75 octets, no lone LF
    assert!(out.ends_with("END:VCARD\r\n"));
    for line in out.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains('\n') && !line.contains('\r'));
    }
    let unfolded = out.replace("\r\n ", "");
    assert!(unfolded.contains("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:0b6f3c1e-9a55-4c1e-8f21-2f3f4a5b6c7d\r\n"));
    assert!(unfolded.contains("\r\nFN:Dr. Anna Maria Schmidt-Müller\\, PhD\r\n"));
    assert!(unfolded.contains("\r\nN:Schmidt-Müller;Anna;Maria;Dr.;PhD\r\n"));
    assert!(unfolded.contains("\r\nORG:Acme\\; Söhne\\, GmbH;R&D\\, Optics\r\n"));
    assert!(unfolded.contains("\r\nTEL;TYPE=cell:+49 170 1234567\r\n"));
    assert!(unfolded.contains("\r\nTEL:+49 30 0000000\r\n"));
    assert!(unfolded
        .contains("\r\nNOTE:Line 1\\nLine 2\\, with comma\\; semicolon \\\\ backslash\\nЗаметка по-русски 🎉\r\n"));
    assert!(unfolded.contains("\r\nCATEGORIES:VIP,Messe\\, 2026,Клиенты\r\n"));
    assert!(unfolded.contains("\r\nX-CARDCRM-GROUPS:Sales team,Berlin\\; Mitte\r\n"));
    assert!(unfolded.contains("ADR;TYPE=work;LABEL=\"Hauptstr. 5; Hof^nEtage 3^n10115 Berlin\":;Etage 3;Hauptstr. 5\\; Hof;Berlin;BE;10115;Germany\r\n"));
    assert!(unfolded.contains("\r\nPHOTO:data:image/png;base64,iVBORw0KGgo"));
    assert!(unfolded.contains("\r\nREV:20261206T101500Z\r\nEND:VCARD\r\n"));
}

#[test]
fn folding_never_splits_a_utf8_sequence() {
    for pad in 0..8 {
        let r = ContactRecord {
            full_name: format!("{}{}", "x".repeat(pad), "Жё🎉é".repeat(40)), ..Default::default()
        };
        let s = card_to_string(&r, VcardVersion::V4);
        // String::from_utf8 on each physical line proves no line starts or ends inside a char.
        for line in s.as_bytes().split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= 75);
            std::str::from_utf8(line).expect("whole characters per line");
        }
        let back = read_all(s.as_bytes());
        assert_eq!(back.records[0].full_name, r.full_name);
    }
}

#[test]
fn labels_use_item_groups_and_come_back() {
    let r = ContactRecord {
        full_name: "Label Test".into(),
        phones: vec![
            Phone { kind: Kind::Work, number: "+1 555 0100".into(), label: "Assistant".into() },
            Phone { kind: Kind::Other, number: "+1 555 0101".into(), label: "Zentrale, Berlin; 2".into() },
        ],
        emails: vec![Email { kind: Kind::Home, address: "x@example.com".into(), label: "Private inbox".into() }],
        addresses: vec![Address {
            kind: Kind::Other,
            label: "Summer house".into(),
            city: "Sochi".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    for v in [VcardVersion::V3, VcardVersion::V4] {
        let s = card_to_string(&r, v);
        assert!(s.contains("item1.TEL;TYPE="), "{s}");
        assert!(s.contains("item1.X-ABLabel:Assistant\r\n"));
        assert!(s.contains("item2.X-ABLabel:Zentrale\\, Berlin\\; 2\r\n"));
        let back = read_all(s.as_bytes());
        assert_eq!(back.records[0].content(), r);
    }
}

#[test]
fn csv_google_round_trip_and_headers() {
    let mut w = CsvWriter::new(Vec::new(), CsvOptions { bom: true, ..Default::default() }).unwrap();
    for r in samples() {
        w.write(&r).unwrap();
    }
    let out = w.finish().unwrap();
    assert!(out.starts_with(b"\xEF\xBB\xBFFirst Name,Middle Name,Last Name,Name Prefix,Name Suffix,Organization Name,"));
    let p = read_all(&out);
    assert_eq!(p.encoding, Some(TextEncoding::Utf8Bom));
    assert_eq!(detect_profile(p.headers.as_ref().unwrap()), CsvProfile::Cardcrm);
    // CSV has no photo column; everything else comes back.
    let expected: Vec<ContactRecord> =
        samples().into_iter().map(|r| ContactRecord { photo: None, ..r.content() }).collect();
    assert_eq!(content(&p.records), expected);

    // Without cardcrm's columns the file is plain Google: it reads as Google and keeps all but
    // uid/groups/rev/full name.
    let mut w = CsvWriter::new(Vec::new(), CsvOptions { cardcrm_columns: false, ..Default::default() }).unwrap();
    w.write(&samples()[0]).unwrap();
    let out = w.finish().unwrap();
    let p = read_all(&out);
    assert_eq!(detect_profile(p.headers.as_ref().unwrap()), CsvProfile::Google);
    let r = &p.records[0];
    assert_eq!(r.phones, samples()[0].phones);
    assert_eq!(r.tags, samples()[0].tags);
    assert!(r.uid.is_empty() && r.groups.is_empty());
}

#[test]
fn csv_overflow_values_share_the_last_slot() {
    let r = ContactRecord {
        full_name: "Many Phones".into(),
        phones: (0..8)
            .map(|i| Phone { kind: Kind::Mobile, number: format!("+1 555 010{i}"), label: String::new() })
            .collect(),
        ..Default::default()
    };
    let mut w = CsvWriter::new(Vec::new(), CsvOptions::default()).unwrap();
    w.write(&r).unwrap();
    let p = read_all(&w.finish().unwrap());
    let numbers: Vec<&str> = p.records[0].phones.iter().map(|p| p.number.as_str()).collect();
    assert_eq!(numbers, r.phones.iter().map(|p| p.number.as_str()).collect::<Vec<_>>());
}

#[test]
fn xlsx_round_trip_with_all_columns() {
    let mut w = XlsxWriter::new(&Column::ALL).unwrap();
    for r in samples() {
        w.write(&r).unwrap();
    }
    let mut buf = Cursor::new(Vec::new());
    w.finish(&mut buf).unwrap();
    let bytes = buf.into_inner();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let p = read_all(&bytes);
    assert_eq!(p.format, Format::Xlsx);
    assert_eq!(detect_profile(p.headers.as_ref().unwrap()), CsvProfile::Cardcrm);
    // XLSX keeps the visible text: the address flattened, no labels, no photo, no rev, web site
    // kinds dropped.
    let expected: Vec<ContactRecord> = samples()
        .into_iter()
        .map(|r| {
            let flat = r.address();
            // Phones come back grouped by their kind's column, in the column order.
            let order = [Kind::Mobile, Kind::Work, Kind::Home, Kind::Fax, Kind::Other];
            let mut phones = r.phones.clone();
            phones.sort_by_key(|p| order.iter().position(|k| *k == p.kind));
            ContactRecord {
                phones,
                photo: None,
                rev: String::new(),
                addresses: if flat.is_empty() {
                    vec![]
                } else {
                    vec![Address { formatted: flat, ..Default::default() }]
                },
                websites: r.websites.iter().map(|w| Website { kind: Kind::Other, ..w.clone() }).collect(),
                ..r.content()
            }
        })
        .collect();
    assert_eq!(content(&p.records), expected);
}

#[test]
fn xlsx_with_chosen_columns_and_10k_rows() {
    let cols = [Column::FullName, Column::Company, Column::Phones, Column::Emails, Column::Tags];
    let mut w = XlsxWriter::new(&cols).unwrap();
    for i in 0..10_000 {
        w.write(&ContactRecord {
            full_name: format!("Person {i}"),
            company: format!("Company {}", i % 97),
            phones: vec![Phone { kind: Kind::Mobile, number: format!("+1 555 {i:06}"), label: String::new() }],
            emails: vec![Email { kind: Kind::Work, address: format!("p{i}@example.com"), label: String::new() }],
            tags: vec!["A".into(), "B".into()],
            ..Default::default()
        })
        .unwrap();
    }
    let mut buf = Cursor::new(Vec::new());
    w.finish(&mut buf).unwrap();
    let p = read_all(&buf.into_inner());
    assert_eq!(p.headers.as_deref().unwrap(), &["Full Name", "Company", "Phones", "E-mails", "Tags"]);
    assert_eq!(p.records.len(), 10_000);
    let last = &p.records[9_999];
    assert_eq!(last.full_name, "Person 9999");
    assert_eq!(last.phones[0].number, "+1 555 009999");
    assert_eq!(last.emails[0].address, "p9999@example.com");
    assert_eq!(last.tags, vec!["A", "B"]);
    assert_eq!(last.line, 10_001);
}

#[test]
fn jsonl_round_trip() {
    let mut w = JsonlWriter::new(Vec::new());
    for r in samples() {
        w.write(&r).unwrap();
    }
    let out = w.finish().unwrap();
    // Phones and e-mails as objects, so their kinds come back.
    let first: serde_json::Value = serde_json::from_slice(out.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["phones"][0]["number"], "+49 170 1234567");
    assert!(first["phones"][0]["kind"].is_string());
    assert_eq!(first["address"], "Hauptstr. 5; Hof, Etage 3, 10115 Berlin");
    let p = read_all(&out);
    assert_eq!(p.format, Format::Jsonl);
    let r = &p.records[0];
    let s = &samples()[0];
    assert_eq!(
        (r.uid.as_str(), r.full_name.as_str(), r.company.as_str(), r.notes.as_str()),
        (s.uid.as_str(), s.full_name.as_str(), s.company.as_str(), s.notes.as_str())
    );
    assert_eq!(r.tags, s.tags);
    assert_eq!(r.groups, s.groups);
    assert_eq!(
        r.phones.iter().map(|p| &p.number).collect::<Vec<_>>(),
        s.phones.iter().map(|p| &p.number).collect::<Vec<_>>()
    );
    assert_eq!(r.address(), s.address());
    assert_eq!(r.website(), s.website());
}

#[test]
fn column_ids_parse_back() {
    for c in Column::ALL.into_iter().chain([Column::Phones, Column::Emails, Column::Rev]) {
        assert_eq!(Column::parse(&c.id()), Some(c), "{}", c.id());
    }
    assert_eq!(Column::parse("nope"), None);
    let v: Vec<Column> = serde_json::from_str(r#"["full_name","phone:mobile","emails"]"#).unwrap();
    assert_eq!(v, vec![Column::FullName, Column::Phone(Kind::Mobile), Column::Emails]);
}
