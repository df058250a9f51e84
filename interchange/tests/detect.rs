//! Format and encoding detection, column mappings, caps and clear errors.

use interchange::*;
use std::io::{Cursor, Write};

fn opts() -> ReadOptions {
    ReadOptions::default()
}

#[test]
fn utf8_utf16_and_boms() {
    let text = "First Name,Last Name\nЁжик,Туманов\n";
    let (s, e) = decode_text(text.as_bytes()).unwrap();
    assert_eq!((s.as_ref(), e), (text, TextEncoding::Utf8));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(text.as_bytes());
    assert_eq!(decode_text(&bom).unwrap(), (text.into(), TextEncoding::Utf8Bom));
    let le: Vec<u8> = b"\xFF\xFE".iter().copied().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    assert_eq!(decode_text(&le).unwrap(), (text.into(), TextEncoding::Utf16Le));
    let be: Vec<u8> = b"\xFE\xFF".iter().copied().chain(text.encode_utf16().flat_map(|u| u.to_be_bytes())).collect();
    assert_eq!(decode_text(&be).unwrap(), (text.into(), TextEncoding::Utf16Be));
    // UTF-16LE without a BOM is recognised by its zero bytes.
    let nobom: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    assert_eq!(decode_text(&nobom).unwrap(), (text.into(), TextEncoding::Utf16Le));
    // The whole pipeline on UTF-16BE.
    let p = read(&be, &opts()).unwrap();
    assert_eq!(p.records[0].first_name, "Ёжик");
}

#[test]
fn windows_1251_or_1252_by_letter_runs() {
    let cases: [(&str, TextEncoding); 8] = [
        ("Привет, мир", TextEncoding::Windows1251),
        ("Иванов Иван Иванович;ООО Ромашка", TextEncoding::Windows1251),
        ("ёж", TextEncoding::Windows1251),
        ("Ясно", TextEncoding::Windows1251),
        ("Müller Straße Köln", TextEncoding::Windows1252),
        ("Ça va? Déjà vu, naïve café", TextEncoding::Windows1252),
        ("Grüße", TextEncoding::Windows1252),
        ("Åse Ødegård", TextEncoding::Windows1252),
    ];
    for (text, want) in cases {
        let enc = if want == TextEncoding::Windows1251 { encoding_rs::WINDOWS_1251 } else { encoding_rs::WINDOWS_1252 };
        let (bytes, _, bad) = enc.encode(text);
        assert!(!bad);
        assert_eq!(guess_single_byte(&bytes), Some(want), "{text}");
        let (back, got) = decode_text(&bytes).unwrap();
        assert_eq!((back.as_ref(), got), (text, want));
    }
    // 0x98 is undefined in 1251 and 0x81 in 1252: with both present it is neither.
    let e = decode_text(b"abc \x98 \x81 def").unwrap_err();
    assert!(matches!(e, ImportError::Encoding(_)), "{e}");
    assert!(e.to_string().contains("neither UTF-8"), "{e}");
    // A UTF-8 BOM followed by invalid UTF-8.
    let e = decode_text(b"\xEF\xBB\xBFName\n\xFF\xFE").unwrap_err();
    assert!(e.to_string().contains("byte order mark"), "{e}");
}

#[test]
fn format_from_content_not_name() {
    let vcf = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n";
    assert_eq!(detect_format(vcf, Some("contacts.csv")).unwrap(), Format::Vcard);
    assert_eq!(detect_format(b"\xEF\xBB\xBF  begin:vcard\nFN:x\nend:vcard", None).unwrap(), Format::Vcard);
    assert_eq!(detect_format(b"{\"full_name\": \"A\"}\n", Some("x.vcf")).unwrap(), Format::Jsonl);
    assert_eq!(detect_format(b"Name;Phone\nA;1\n", Some("x.txt")).unwrap(), Format::Csv);
    assert_eq!(detect_format(b"Name\tPhone\nA\t1\n", None).unwrap(), Format::Csv);
    // A one-column file: its header is a known field name, or the name says CSV.
    assert_eq!(detect_format(b"Email\na@example.com\n", None).unwrap(), Format::Csv);
    assert_eq!(detect_format(b"whatever\nx\n", Some("list.csv")).unwrap(), Format::Csv);
    let cases: [(&[u8], &str); 8] = [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", ".xls"),
        (b"[{\"a\":1}]", "JSON array"),
        (b"<html><body>hi</body></html>", "HTML"),
        (b"just some words\nwithout any delimiter\n", "not a CSV header"),
        (b"\x89PNG\r\n\x1a\nxxxx", "PNG"),
    ];
    for (bytes, want) in cases {
        let e = read(bytes, &opts()).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    // Binary noise that is no text encoding.
    let e = read(b"\x00\x01\x02\x03\xFF\xFE\x00\x00\x98\x81", &opts()).unwrap_err();
    assert!(matches!(e, ImportError::Encoding(_)), "{e}");
}

#[test]
fn forced_format_and_hint() {
    // The CLI's --format wins over the content.
    let p = read(b"full_name\nAda\n", &ReadOptions { format: Some(Format::Csv), ..opts() }).unwrap();
    assert_eq!(p.records[0].full_name, "Ada");
    let e = read(b"Name,Phone\nA,1\n", &ReadOptions { format: Some(Format::Xlsx), ..opts() }).unwrap_err();
    assert!(e.to_string().contains("not an XLSX"), "{e}");
    let e = read(b"Name,Phone\nA,1\n", &ReadOptions { format: Some(Format::Vcard), ..opts() }).unwrap_err();
    assert!(e.to_string().contains("no BEGIN:VCARD"), "{e}");
    assert_eq!(Format::from_file_name("Contacts.VCF"), Some(Format::Vcard));
    assert_eq!(Format::parse("ndjson"), Some(Format::Jsonl));
}

#[test]
fn delimiter_sniffing() {
    assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), (b',', 0));
    assert_eq!(sniff_delimiter("a;b;c\n1;2;3"), (b';', 0));
    assert_eq!(sniff_delimiter("a\tb\tc"), (b'\t', 0));
    // Commas inside a quoted header do not count.
    assert_eq!(sniff_delimiter("\"Name, full\";\"Phone, work\";Mail\n"), (b';', 0));
    // Excel's `sep=` line.
    let (d, skip) = sniff_delimiter("sep=;\nName;Phone\nA;1\n");
    assert_eq!((d, skip), (b';', 6));
    let p = read(b"sep=;\r\nName;Phone\r\nA;+1 555\r\n", &opts()).unwrap();
    assert_eq!(p.headers.unwrap(), vec!["Name", "Phone"]);
    assert_eq!(p.records[0].phones[0].number, "+1 555");
    assert_eq!(p.records[0].line, 3);
}

#[test]
fn proposed_mappings_in_three_languages() {
    let h = [
        "Имя",
        "Фамилия",
        "Отчество",
        "Телефон",
        "Мобильный",
        "Факс",
        "Эл. почта",
        "Компания",
        "Должность",
        "Город",
        "Сайт",
        "Комментарий",
        "Непонятно",
    ];
    let m = propose_mapping(&h);
    let ids: Vec<String> = m.columns.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        ids,
        vec![
            "first_name",
            "last_name",
            "middle_name",
            "phone:other",
            "phone:mobile",
            "phone:fax",
            "email",
            "company",
            "position",
            "address.city",
            "website",
            "notes",
            "ignore"
        ]
    );
    let h = [
        "Vorname",
        "Nachname",
        "Firma",
        "Telefon (geschäftlich)",
        "Handy",
        "E-Mail-Adresse",
        "PLZ",
        "Ort",
        "Straße",
        "Notizen",
    ];
    let ids: Vec<String> = propose_mapping(&h).columns.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        ids,
        vec![
            "first_name",
            "last_name",
            "company",
            "phone:work",
            "phone:mobile",
            "email",
            "address.postal_code",
            "address.city",
            "address.street",
            "notes"
        ]
    );
    // Word matches for headers nobody listed; a field that can hold one value is mapped once.
    let h = ["Contact Name", "Work phone number", "Private Mobile", "Primary E-mail", "Company Name", "Company Name"];
    let ids: Vec<String> = propose_mapping(&h).columns.iter().map(|f| f.to_string()).collect();
    assert_eq!(ids, vec!["ignore", "phone:work", "phone:mobile", "email", "company", "ignore"]);
}

#[test]
fn header_keys_are_stable_and_normalised() {
    let a = header_key(&["First Name", "Last Name", "E-mail Address"]);
    // The exact value is part of the contract: the UI stores it. (FNV-1a 64 of "first name",
    // 0x1f, "last name", 0x1f, "e-mail address", checked against an independent Python one-liner.)
    assert_eq!(a, "h1-3a26b4058750c718");
    assert_eq!(header_key(&["\u{feff}first name", "  LAST   NAME ", "\"E-mail Address\""]), a);
    assert_ne!(header_key(&["Last Name", "First Name", "E-mail Address"]), a);
    assert_ne!(header_key(&["First Name", "Last Name"]), a);
    let p = read(b"First Name,Last Name,E-mail Address\nA,B,c@d.e\n", &opts()).unwrap();
    assert_eq!(header_key(p.headers.as_ref().unwrap()), a);
}

#[test]
fn a_chosen_mapping_overrides_the_proposal() {
    let csv = "Col A;Col B;Col C\nAcme;Jane Roe;+1 555 0100 ::: +1 555 0101\n";
    let p = read(csv.as_bytes(), &opts()).unwrap();
    assert!(!p.mapping.unwrap().maps_anything());
    assert_eq!(p.records.len(), 0);
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].line, 2);
    // What the UI sends back after the person chose (as JSON).
    let m: ColumnMapping = serde_json::from_str(r#"{"columns": ["company", "full_name", "phone:work"]}"#).unwrap();
    let p = read(csv.as_bytes(), &ReadOptions { mapping: Some(m.clone()), ..opts() }).unwrap();
    let r = &p.records[0];
    assert_eq!((r.company.as_str(), r.full_name.as_str()), ("Acme", "Jane Roe"));
    assert_eq!(r.phones.len(), 2);
    assert!(r.phones.iter().all(|p| p.kind == Kind::Work));
    assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"columns":["company","full_name","phone:work"]}"#);
    assert!(serde_json::from_str::<ColumnMapping>(r#"{"columns": ["nonsense"]}"#).is_err());
}

#[test]
fn field_ids_round_trip() {
    let mut all = vec![Field::Ignore, Field::Uid, Field::Rev, Field::Groups];
    for slot in [0u8, 1, 7] {
        for kind in [None, Some(Kind::Mobile), Some(Kind::Fax)] {
            all.push(Field::Phone { slot, kind });
            all.push(Field::Email { slot, kind });
            all.push(Field::Website { slot, kind });
            for part in AddressPart::ALL {
                all.push(Field::Address { slot, kind, part });
            }
        }
        all.extend([
            Field::PhoneType { slot },
            Field::EmailType { slot },
            Field::WebsiteType { slot },
            Field::AddressType { slot },
        ]);
    }
    for f in all {
        assert_eq!(f.to_string().parse::<Field>(), Ok(f), "{f}");
    }
    for bad in ["", "phone:pager", "address.moon", "phone_type:work#1", "email#300", "first_name#1x"] {
        assert!(bad.parse::<Field>().is_err(), "{bad}");
    }
    for (id, _) in Field::choices() {
        id.parse::<Field>().unwrap();
    }
}

#[test]
fn file_and_field_caps() {
    let small = Limits { max_file_bytes: 100, ..Limits::default() };
    let e = read(&[b'a'; 101], &ReadOptions { limits: small, ..opts() }).unwrap_err();
    assert!(matches!(e, ImportError::TooLarge(_)), "{e}");
    assert!(e.to_string().contains("101 bytes"), "{e}");

    let limits = Limits { max_field_bytes: 1000, ..Limits::default() };
    let csv = format!("Name,Notes\nA,short\nB,{}\nC,ok\n", "x".repeat(2000));
    let p = read(csv.as_bytes(), &ReadOptions { limits: limits.clone(), ..opts() }).unwrap();
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.errors[0].line, 3);
    assert!(p.errors[0].detail.contains("longer than the 1000-byte cap"), "{}", p.errors[0].detail);

    let vcf = format!(
        "BEGIN:VCARD\r\nFN:A\r\nNOTE:{}\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:B\r\nEND:VCARD\r\n",
        "y".repeat(2000)
    );
    let p = read(vcf.as_bytes(), &ReadOptions { limits, ..opts() }).unwrap();
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.records[0].full_name, "B");
    assert!(p.errors[0].detail.contains("NOTE is 2000 bytes"), "{}", p.errors[0].detail);

    // Properties per card.
    let mut card = String::from("BEGIN:VCARD\r\nFN:Many\r\n");
    for i in 0..50 {
        card.push_str(&format!("X-THING:{i}\r\n"));
    }
    card.push_str("END:VCARD\r\nBEGIN:VCARD\r\nFN:After\r\nEND:VCARD\r\n");
    let limits = Limits { max_properties_per_card: 20, ..Limits::default() };
    let p = read(card.as_bytes(), &ReadOptions { limits, ..opts() }).unwrap();
    assert_eq!(p.records.iter().map(|r| r.full_name.as_str()).collect::<Vec<_>>(), vec!["After"]);
    assert!(p.errors[0].detail.contains("more than 20 properties"), "{}", p.errors[0].detail);

    // A whole card over its cap (one huge folded line).
    let mut card = String::from("BEGIN:VCARD\r\nFN:Huge\r\nNOTE:a");
    for _ in 0..5000 {
        card.push_str("\r\n bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    }
    card.push_str("\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Next\r\nEND:VCARD\r\n");
    let limits = Limits { max_card_bytes: 64 * 1024, ..Limits::default() };
    let p = read(card.as_bytes(), &ReadOptions { limits, ..opts() }).unwrap();
    assert_eq!(p.records.iter().map(|r| r.full_name.as_str()).collect::<Vec<_>>(), vec!["Next"]);
    assert!(p.errors[0].detail.contains("larger than the 65536-byte cap"), "{}", p.errors[0].detail);
    assert_eq!(p.errors[0].line, 1);
}

#[test]
fn photo_over_the_cap_is_dropped_with_a_warning() {
    use base64::Engine;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0xFFu8; 4000]);
    let vcf = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pic\r\nPHOTO;ENCODING=b;TYPE=JPEG:{big}\r\nEND:VCARD\r\n");
    let limits = Limits { max_photo_bytes: 1000, ..Limits::default() };
    let p = read(vcf.as_bytes(), &ReadOptions { limits, ..opts() }).unwrap();
    let r = &p.records[0];
    assert!(r.photo.is_none());
    assert!(r.warnings[0].contains("larger than the 1000-byte cap"), "{:?}", r.warnings);
    // A linked photo is not fetched.
    let vcf = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Link\r\nPHOTO:https://example.com/a.jpg\r\nEND:VCARD\r\n";
    let p = read(vcf.as_bytes(), &opts()).unwrap();
    assert!(p.records[0].photo.is_none());
    assert_eq!(p.records[0].warnings, vec!["PHOTO given as a link was not fetched"]);
}

#[test]
fn vcard_parameter_spellings() {
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Types\r\n\
        TEL;TYPE=WORK,VOICE:1\r\n\
        TEL;TYPE=work;TYPE=cell:2\r\n\
        TEL;WORK;FAX:3\r\n\
        tel;type=\"home,voice\":4\r\n\
        TEL;TYPE=PREF;TYPE=CELL:5\r\n\
        TEL;X-CUSTOM=1:6\r\n\
        EMAIL;INTERNET;PREF:a@b.c\r\n\
        END:VCARD\r\n";
    let p = read(vcf.as_bytes(), &opts()).unwrap();
    let kinds: Vec<Kind> = p.records[0].phones.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, vec![Kind::Work, Kind::Mobile, Kind::Fax, Kind::Home, Kind::Mobile, Kind::Other]);
    assert_eq!(p.records[0].emails[0].kind, Kind::Other);
    // Folding with a tab, LF-only line ends, unknown properties, lower-case names, a label that
    // comes before its property.
    let vcf = "begin:vcard\nversion:4.0\nfn:Fold\n\ted Name\nitem9.X-ABLabel:Pager\nitem9.TEL:+1 555\nX-UNKNOWN;FOO=bar:baz\nend:vcard\n";
    let p = read(vcf.as_bytes(), &opts()).unwrap();
    let r = &p.records[0];
    assert_eq!(r.full_name, "Folded Name");
    assert_eq!((r.phones[0].kind, r.phones[0].label.as_str()), (Kind::Other, "Pager"));
}

#[test]
fn zip_bombs_are_refused_before_calamine() {
    // 20 MB of zeros deflates ~1000:1.
    let mut buf = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..20 {
            z.write_all(&chunk).unwrap();
        }
        z.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let e = read(&bytes, &opts()).unwrap_err();
    assert!(matches!(e, ImportError::ZipBomb(_)), "{e}");
    assert!(e.to_string().contains("zip bomb"), "{e}");
    // Over the total cap even at a modest ratio.
    let limits = Limits { max_xlsx_uncompressed_bytes: 1 << 20, max_xlsx_ratio: 100_000, ..Limits::default() };
    let e = check_zip(&bytes, &limits).unwrap_err();
    assert!(e.to_string().contains("more than 1048576 bytes"), "{e}");
    // A normal workbook passes.
    let mut w = XlsxWriter::new(&[Column::FullName]).unwrap();
    w.write(&ContactRecord { full_name: "A".into(), ..Default::default() }).unwrap();
    let mut out = Cursor::new(Vec::new());
    w.finish(&mut out).unwrap();
    check_zip(out.get_ref(), &Limits::default()).unwrap();
}

#[test]
fn detection_survives_a_character_cut_at_64_kib() {
    // Rows of emoji (surrogate pairs in UTF-16, 4 bytes in UTF-8) so the sniffed prefix ends
    // inside a character for some offset.
    for offset in 0..4 {
        let mut text = String::from("Name,Notes\n");
        text.push_str(&"x".repeat(offset));
        text.push_str(",pad\n");
        while text.len() < 70_000 {
            text.push_str("Emoji 🎉🎉🎉,🎉 note 🎉\n");
        }
        let rows = text.lines().count() - 1;
        let le: Vec<u8> =
            b"\xFF\xFE".iter().copied().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        for bytes in [text.as_bytes().to_vec(), le] {
            let p = read(&bytes, &opts()).unwrap();
            assert_eq!(p.format, Format::Csv);
            assert_eq!(p.records.len() + p.errors.len(), rows);
        }
    }
}

#[test]
fn one_endless_line_is_capped_not_copied() {
    let mut v = b"BEGIN:VCARD\r\nNOTE:".to_vec();
    v.extend(std::iter::repeat_n(b'a', 20 << 20));
    let limits = Limits { max_card_bytes: 64 << 10, ..Limits::default() };
    let t = std::time::Instant::now();
    let p = read(&v, &ReadOptions { limits, ..opts() }).unwrap();
    assert!(p.records.is_empty());
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].detail.contains("has no END:VCARD"), "{}", p.errors[0].detail);
    assert!(t.elapsed().as_secs() < 10);
}

#[test]
fn a_single_vcard_for_carddav() {
    let card = card_to_string(
        &ContactRecord { full_name: "One".into(), uid: "u-1".into(), ..Default::default() },
        VcardVersion::V4,
    );
    let r = read_single_vcard(card.as_bytes(), &Limits::default()).unwrap();
    assert_eq!((r.full_name.as_str(), r.uid.as_str()), ("One", "u-1"));
    let two = format!("{card}{card}");
    let e = read_single_vcard(two.as_bytes(), &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("more than one"), "{e}");
    let e = read_single_vcard(b"BEGIN:VCARD\r\nFN:x\r\n", &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("line 1: BEGIN:VCARD at line 1 has no END:VCARD"), "{e}");
    let e = read_single_vcard(b"hello", &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("no BEGIN:VCARD"), "{e}");
}

#[test]
fn a_fold_inside_a_utf8_character_is_mended() {
    // "Жанна Ёлкина" folded right after the first byte of "Ж", and a 4-byte emoji cut after 2.
    let mut v = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xD0\r\n \x96\xD0\xB0\xD0\xBD\xD0\xBD\xD0\xB0 \xD0\x81\xD0\xBB\xD0\xBA\xD0\xB8\xD0\xBD\xD0\xB0\r\n".to_vec();
    v.extend(b"NOTE:party \xF0\x9F\n \x8E\x89 time\r\nTEL:1\r\nEND:VCARD\r\n");
    // "Иса" (0x98 and 0x81 inside: neither Windows-1251 nor 1252 can be the guess).
    v.extend(b"BEGIN:VCARD\r\nFN:\xD0\x98\xD1\r\n \x81\xD0\xB0\r\nEND:VCARD\r\n");
    assert!(std::str::from_utf8(&v).is_err());
    let p = read(&v, &opts()).unwrap();
    assert_eq!(p.format, Format::Vcard);
    assert_eq!(p.encoding, Some(TextEncoding::Utf8));
    let r = &p.records[0];
    assert_eq!(r.full_name, "Жанна Ёлкина");
    assert_eq!(r.notes, "party 🎉 time");
    assert_eq!(p.records[1].full_name, "Иса");
    assert_eq!(p.records[1].line, 9);
}
