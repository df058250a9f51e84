//! Properties: no input makes a reader panic, and vCard write→read keeps any record.

use interchange::*;
use proptest::prelude::*;
use std::io::Cursor;

fn small_limits() -> Limits {
    Limits {
        max_field_bytes: 512,
        max_card_bytes: 4096,
        max_properties_per_card: 40,
        max_photo_bytes: 256,
        max_columns: 64,
        max_xlsx_uncompressed_bytes: 1 << 20,
        ..Limits::default()
    }
}

/// Reads every way there is; only checks that it returns.
fn read_every_way(bytes: &[u8]) {
    let mut formats = vec![None];
    formats.extend([Format::Csv, Format::Vcard, Format::Jsonl, Format::Xlsx].map(Some));
    for format in formats {
        let opts = ReadOptions { format, limits: small_limits(), ..Default::default() };
        if let Ok(reader) = Reader::new(bytes, &opts) {
            let _ = reader.profile();
            for r in reader.take(10_000).flatten() {
                let _ = (r.address(), r.website(), r.display_name());
            }
        }
    }
}

/// Lines that look like vCard, CSV and JSON, glued at random.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("BEGIN:VCARD".to_string()),
        Just("END:VCARD".to_string()),
        Just("VERSION:2.1".to_string()),
        Just(" folded".to_string()),
        Just("\tfolded".to_string()),
        Just("N;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:=CE=CE=".to_string()),
        Just("NOTE;ENCODING=QUOTED-PRINTABLE:=".to_string()),
        Just("=D0=".to_string()),
        Just("PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQ".to_string()),
        Just("AAAA====".to_string()),
        Just("PHOTO:data:image/png;base64,iVBOR".to_string()),
        Just("PHOTO:data:,".to_string()),
        Just("item1.X-ABLabel:_$!<Mobile>!$_".to_string()),
        Just("item1.TEL;TYPE=\"work,cell\":+1".to_string()),
        Just("ADR;LABEL=\"a^n^'^^\":;;a\\;b;c".to_string()),
        Just("TEL;;;=;TYPE=:".to_string()),
        Just("\"unclosed,".to_string()),
        Just("Name,Phone,E-mail".to_string()),
        Just("Phone 1 - Type;Phone 1 - Value".to_string()),
        Just("a,\"b\"\"c\",d".to_string()),
        Just("{\"full_name\":\"x\",\"phones\":[{\"number\":\"1\"}]}".to_string()),
        Just("{\"emails\":[1]}".to_string()),
        Just("sep=;".to_string()),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        read_every_way(&bytes);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_format_like_text(
        lines in proptest::collection::vec(fragment(), 0..30),
        crlf in any::<bool>(),
        enc in 0u8..4,
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let bytes = match enc {
            0 => text.into_bytes(),
            1 => { let mut b = b"\xEF\xBB\xBF".to_vec(); b.extend(text.as_bytes()); b }
            2 => b"\xFF\xFE".iter().copied().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect(),
            _ => encoding_rs::WINDOWS_1251.encode(&text).0.into_owned(),
        };
        read_every_way(&bytes);
    }
}

fn workbook() -> Vec<u8> {
    let mut w = XlsxWriter::new(&[Column::FullName, Column::Phones, Column::Notes]).unwrap();
    for i in 0..20 {
        w.write(&ContactRecord {
            full_name: format!("P {i}"),
            phones: vec![Phone { number: format!("+1 {i}"), ..Default::default() }],
            notes: "n".repeat(i),
            ..Default::default()
        })
        .unwrap();
    }
    let mut c = Cursor::new(Vec::new());
    w.finish(&mut c).unwrap();
    c.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// A damaged workbook (bytes flipped or cut) is an error or fewer rows, never a panic.
    #[test]
    fn no_panic_on_damaged_xlsx(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
        let mut b = workbook();
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] = v;
        }
        read_every_way(&b);
        let n = cut.index(b.len());
        read_every_way(&b[..n]);
    }
}

fn clean(s: String) -> String {
    s.replace('\r', "").trim().to_string()
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Zа-яА-ЯёЁäöüß0-9 ,;:\\\\\"'\n🎉^.=@+()-]{0,24}".prop_map(clean)
}

fn word() -> impl Strategy<Value = String> {
    text().prop_map(|s| if s.is_empty() { "x".to_string() } else { s })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(Kind::ALL.to_vec())
}

fn place_kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![Kind::Work, Kind::Home, Kind::Other])
}

fn label() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "", "Assistant", "Zentrale, Berlin; 2", "Дача", "a^b\"c"]).prop_map(String::from)
}

fn address() -> impl Strategy<Value = Address> {
    (place_kind(), label(), proptest::collection::vec(text(), 7), text())
        .prop_map(|(kind, label, p, formatted)| Address {
            kind,
            label,
            po_box: p[0].clone(),
            extended: p[1].clone(),
            street: p[2].clone(),
            city: p[3].clone(),
            region: p[4].clone(),
            postal_code: p[5].clone(),
            country: p[6].clone(),
            // A literal backslash-n in LABEL reads as a newline (RFC 6350's own example does that).
            formatted: formatted.replace('\\', "/"),
        })
        .prop_filter("not empty", |a| !a.is_empty())
}

fn record() -> impl Strategy<Value = ContactRecord> {
    let names = (word(), text(), text(), text(), text(), text(), "[a-z0-9:-]{0,36}");
    let work = (text(), text(), text(), text(), "[0-9TZ:-]{0,20}");
    let lists = (
        proptest::collection::vec((kind(), word(), label()), 0..4),
        proptest::collection::vec((place_kind(), word(), label()), 0..3),
        proptest::collection::vec((place_kind(), word(), label()), 0..2),
        proptest::collection::vec(address(), 0..3),
        proptest::collection::vec(word(), 0..4),
        proptest::collection::vec(word(), 0..3),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    );
    (names, work, lists).prop_map(
        |((full, first, middle, last, prefix, suffix, uid), (company, department, position, notes, rev), l)| {
            let (phones, emails, sites, addresses, tags, groups, photo) = l;
            let mut r = ContactRecord {
                uid,
                full_name: full,
                first_name: first,
                middle_name: middle,
                last_name: last,
                prefix,
                suffix,
                company,
                department,
                position,
                notes,
                rev,
                phones: phones.into_iter().map(|(kind, number, label)| Phone { kind, number, label }).collect(),
                emails: emails.into_iter().map(|(kind, address, label)| Email { kind, address, label }).collect(),
                websites: sites.into_iter().map(|(kind, url, label)| Website { kind, url, label }).collect(),
                addresses,
                photo: photo.map(|b| Photo { mime: "image/png".into(), bytes: [b"\x89PNG".to_vec(), b].concat() }),
                ..Default::default()
            };
            for t in tags {
                if !r.tags.contains(&t) {
                    r.tags.push(t);
                }
            }
            for g in groups {
                if !r.groups.contains(&g) {
                    r.groups.push(g);
                }
            }
            r
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn vcard_write_then_read_keeps_the_record(records in proptest::collection::vec(record(), 1..4), v4 in any::<bool>()) {
        let version = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
        let mut w = VcardWriter::new(Vec::new(), version);
        for r in &records {
            w.write(r).unwrap();
        }
        let out = w.finish().unwrap();
        for line in out.split(|&b| b == b'\n') {
            prop_assert!(line.len() <= 76); // 75 octets + CR
            prop_assert!(std::str::from_utf8(line).is_ok());
        }
        let p = read(&out, &ReadOptions::default()).unwrap();
        prop_assert!(p.errors.is_empty(), "{:?}", p.errors);
        let back: Vec<ContactRecord> = p.records.iter().map(ContactRecord::content).collect();
        prop_assert_eq!(back, records);
    }
}
