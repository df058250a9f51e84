//! Every vendor sample in fixtures/import/ read with the format detected from its content.

use interchange::{read, CsvProfile, Field, Format, Kind, Parsed, ReadOptions, TextEncoding};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> Parsed {
    // No file name: the content alone must decide.
    read(&fixture(name), &ReadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn phones(r: &interchange::ContactRecord) -> Vec<(Kind, &str, &str)> {
    r.phones.iter().map(|p| (p.kind, p.number.as_str(), p.label.as_str())).collect()
}

#[test]
fn google_current_export() {
    let p = parse("google_new.csv");
    assert_eq!(p.format, Format::Csv);
    assert_eq!(p.encoding, Some(TextEncoding::Utf8));
    assert_eq!(interchange::detect_profile(p.headers.as_ref().unwrap()), CsvProfile::Google);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.records.len(), 2);
    let a = &p.records[0];
    assert_eq!(
        (a.prefix.as_str(), a.first_name.as_str(), a.middle_name.as_str(), a.last_name.as_str()),
        ("Dr.", "Anna", "Maria", "Schmidt")
    );
    assert_eq!(
        (a.company.as_str(), a.position.as_str(), a.department.as_str()),
        ("Acme GmbH", "Head of Sales", "Sales")
    );
    assert_eq!(a.notes, "Met at CeBIT");
    // `* myContacts` is Google's system group, not a tag.
    assert_eq!(a.tags, vec!["Friends", "VIP"]);
    assert_eq!(a.emails.len(), 2);
    assert_eq!((a.emails[0].kind, a.emails[0].address.as_str()), (Kind::Work, "anna@acme.de"));
    assert_eq!((a.emails[1].kind, a.emails[1].address.as_str()), (Kind::Home, "anna.schmidt@gmail.com"));
    // Two values in one cell separated by ` ::: `, both mobile.
    assert_eq!(
        phones(a),
        vec![
            (Kind::Mobile, "+49 170 1234567", ""),
            (Kind::Mobile, "+49 171 7654321", ""),
            (Kind::Fax, "+49 30 1234560", "")
        ]
    );
    assert_eq!(a.addresses.len(), 1);
    assert_eq!(a.addresses[0].kind, Kind::Work);
    assert_eq!(a.addresses[0].street, "Hauptstr. 5");
    assert_eq!(a.addresses[0].postal_code, "10115");
    assert_eq!(a.address(), "Hauptstr. 5, 10115 Berlin, Germany");
    assert_eq!(a.website(), "https://acme.de");
    assert_eq!(a.line, 2);
    let j = &p.records[1];
    assert_eq!(j.company, "Doe, Inc.");
    assert_eq!(j.suffix, "Jr.");
    // A custom Google label is kept as the label.
    assert_eq!(phones(j), vec![(Kind::Other, "+1 212 555 0100", "Assistant")]);
    assert!(j.tags.is_empty());
    // The first record's quoted address spans lines 2-4, so the second starts on line 5.
    assert_eq!(j.line, 5);
}

#[test]
fn google_legacy_export_with_bom_and_cyrillic() {
    let p = parse("google_old.csv");
    assert_eq!(p.encoding, Some(TextEncoding::Utf8Bom));
    assert_eq!(interchange::detect_profile(p.headers.as_ref().unwrap()), CsvProfile::GoogleLegacy);
    // The BOM is not part of the first header.
    assert_eq!(p.headers.as_ref().unwrap()[0], "Name");
    assert_eq!(p.records.len(), 1);
    let r = &p.records[0];
    assert_eq!(r.full_name, "Иван Петров");
    assert_eq!((r.first_name.as_str(), r.middle_name.as_str(), r.last_name.as_str()), ("Иван", "Сергеевич", "Петров"));
    assert_eq!(
        (r.company.as_str(), r.position.as_str(), r.department.as_str()),
        ("ООО «Ромашка»", "Директор", "Продажи")
    );
    assert_eq!(r.tags, vec!["Клиенты"]);
    assert_eq!(
        phones(r),
        vec![
            (Kind::Mobile, "+7 916 123-45-67", ""),
            (Kind::Work, "+7 495 123-45-67", ""),
            (Kind::Work, "+7 495 765-43-21", "")
        ]
    );
    assert_eq!(r.emails[0].kind, Kind::Work);
    assert_eq!(r.address(), "ул. Ленина, 1, Москва, 101000");
    assert_eq!(r.addresses[0].city, "Москва");
    assert_eq!(r.notes, "Звонить после 18:00");
    // Yomi and organisation metadata columns are ignored, not mistaken for phones or companies.
    let m = p.mapping.unwrap();
    let h = p.headers.unwrap();
    let f = |name: &str| m.columns[h.iter().position(|x| x == name).unwrap()];
    assert_eq!(f("Organization 1 - Yomi Name"), Field::Ignore);
    assert_eq!(f("Given Name Yomi"), Field::Ignore);
    assert_eq!(f("Organization 1 - Name"), Field::Company);
}

#[test]
fn outlook_unicode_export_utf16le() {
    let p = parse("outlook_utf16le.csv");
    assert_eq!(p.encoding, Some(TextEncoding::Utf16Le));
    assert_eq!(interchange::detect_profile(p.headers.as_ref().unwrap()), CsvProfile::Outlook);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.records.len(), 2);
    let r = &p.records[0];
    assert_eq!((r.prefix.as_str(), r.first_name.as_str(), r.last_name.as_str()), ("Mr.", "Jürgen", "Müller"));
    assert_eq!(
        (r.company.as_str(), r.department.as_str(), r.position.as_str()),
        ("Müller & Söhne KG", "Einkauf", "Einkaufsleiter")
    );
    assert_eq!(
        phones(r),
        vec![
            (Kind::Fax, "+49 211 555-0199", ""),
            (Kind::Work, "+49 211 555-0100", ""),
            (Kind::Mobile, "+49 172 5550100", "")
        ]
    );
    // E-mail Display Name and E-mail Type are not addresses.
    let emails: Vec<&str> = r.emails.iter().map(|e| e.address.as_str()).collect();
    assert_eq!(emails, vec!["j.mueller@mueller-soehne.de", "juergen@example.org"]);
    assert_eq!(r.tags, vec!["Lieferanten", "Messe 2026"]);
    assert_eq!(r.notes, "Bevorzugt per E-Mail.\nKeine Anrufe montags.");
    assert_eq!(r.website(), "www.mueller-soehne.de");
    let a = &r.addresses[0];
    assert_eq!(a.kind, Kind::Work);
    assert_eq!(a.street, "Königsallee 10, Etage 3");
    assert_eq!(
        (a.city.as_str(), a.region.as_str(), a.postal_code.as_str(), a.country.as_str()),
        ("Düsseldorf", "NRW", "40212", "Deutschland")
    );
    let s = &p.records[1];
    assert_eq!(s.last_name, "O'Neil");
    assert_eq!(phones(s), vec![(Kind::Home, "+353 1 555 0101", "")]);
    assert_eq!(s.addresses[0].kind, Kind::Home);
    assert_eq!(s.address(), "12 Elm St, Dublin, D02, Ireland");
    // The first record's quoted notes span lines 2-3.
    assert_eq!(s.line, 4);
}

#[test]
fn excel_russian_windows_1251_semicolons() {
    let p = parse("excel_cp1251_semicolon.csv");
    assert_eq!(p.encoding, Some(TextEncoding::Windows1251));
    assert_eq!(interchange::detect_profile(p.headers.as_ref().unwrap()), CsvProfile::Custom);
    assert_eq!(p.headers.as_ref().unwrap()[0], "Фамилия");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.records[0];
    assert_eq!(
        (r.last_name.as_str(), r.first_name.as_str(), r.middle_name.as_str()),
        ("Смирнова", "Ольга", "Игоревна")
    );
    assert_eq!(r.company, "АО «Вектор»");
    assert_eq!(phones(r), vec![(Kind::Mobile, "+7 (903) 111-22-33", ""), (Kind::Work, "+7 (495) 222-33-44", "")]);
    assert_eq!(r.notes, "Ёлка, встреча в январе");
    assert_eq!(r.groups, vec!["Партнёры"]);
    assert_eq!(r.address(), "г. Москва, ул. Тверская, д. 7");
    let k = &p.records[1];
    assert_eq!(k.notes, "Примечание; с точкой с запятой");
    assert_eq!(k.line, 3);
}

#[test]
fn excel_german_windows_1252() {
    let p = parse("excel_cp1252_german.csv");
    assert_eq!(p.encoding, Some(TextEncoding::Windows1252));
    let r = &p.records[0];
    assert_eq!((r.prefix.as_str(), r.first_name.as_str(), r.last_name.as_str()), ("Frau", "Käthe", "Größe"));
    assert_eq!(
        (r.company.as_str(), r.department.as_str(), r.position.as_str()),
        ("Bäckerei Größe", "Vertrieb", "Geschäftsführerin")
    );
    assert_eq!(
        phones(r),
        vec![
            (Kind::Work, "+49 221 123456", ""),
            (Kind::Mobile, "+49 151 2345678", ""),
            (Kind::Fax, "+49 221 123457", "")
        ]
    );
    assert_eq!(r.address(), "Hohe Straße 12, Köln, 50667, Deutschland");
    assert_eq!(r.notes, "Grüße aus Köln – Brötchen für 5 €");
    assert_eq!(p.records[1].first_name, "François");
    assert_eq!(p.records[1].company, "Café Übersee");
}

#[test]
fn csv_quoted_fields_with_newlines() {
    let p = parse("embedded_newlines.csv");
    assert_eq!(p.records.len(), 3);
    let r = &p.records[0];
    assert_eq!(r.full_name, "Lee, Min-jun");
    assert_eq!(r.company, "Seoul \"Tech\" Co.");
    assert_eq!(r.notes, "Line one\nLine two, with comma\n\"quoted\" line three");
    assert_eq!(p.records[1].line, 5);
    assert_eq!(p.records[2].notes, "Multi\nline with CRLF");
    assert_eq!(p.records[2].line, 6);
}

#[test]
fn iphone_vcard_30_grouped_items_and_photo() {
    let p = parse("iphone_v30.vcf");
    assert_eq!(p.format, Format::Vcard);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.records.len(), 2);
    let r = &p.records[0];
    assert_eq!(r.full_name, "Mr. Johnny Q. Appleseed PhD");
    assert_eq!(
        (r.prefix.as_str(), r.first_name.as_str(), r.middle_name.as_str(), r.last_name.as_str(), r.suffix.as_str()),
        ("Mr.", "Johnny", "Q.", "Appleseed", "PhD")
    );
    assert_eq!((r.company.as_str(), r.department.as_str()), ("Apple Inc.", "Engineering, iOS"));
    assert_eq!(r.position, "Senior Engineer");
    assert_eq!(
        phones(r),
        vec![
            (Kind::Mobile, "+1 (408) 555-0100", ""),
            (Kind::Work, "+1 408 555 0101", ""),
            (Kind::Other, "+1 408 555 0102", "Assistant"),
        ]
    );
    // The grouped EMAIL's `_$!<Work>!$_` label is just its kind.
    assert_eq!(
        (r.emails[0].kind, r.emails[0].address.as_str(), r.emails[0].label.as_str()),
        (Kind::Work, "johnny@apple.example", "")
    );
    assert_eq!(r.emails[1].kind, Kind::Home);
    assert_eq!(r.addresses[0].kind, Kind::Work);
    assert_eq!(r.address(), "1 Infinite Loop, Cupertino, CA, 95014, United States");
    assert_eq!(r.websites[0].url, "https://apple.example/johnny");
    assert_eq!(r.websites[0].label, "HomePage");
    assert_eq!(r.notes, "First line\nSecond line, with comma; and semicolon");
    assert_eq!(r.tags, vec!["Colleagues", "iOS Team"]);
    assert_eq!(r.rev, "2026-12-01T10:15:00Z");
    let photo = r.photo.as_ref().expect("photo");
    assert_eq!(photo.mime, "image/jpeg");
    assert_eq!(&photo.bytes[..3], &[0xFF, 0xD8, 0xFF]);
    assert!(photo.bytes.len() > 100);
    let pizza = &p.records[1];
    assert_eq!(pizza.full_name, "Pizza Napoli");
    assert_eq!(pizza.company, "Pizza Napoli");
    assert_eq!(phones(pizza), vec![(Kind::Other, "+1 408 555 0199", "Main")]);
    assert_eq!(pizza.line, 27);
}

#[test]
fn android_vcard_21_quoted_printable() {
    let p = parse("android_v21_qp.vcf");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.records[0];
    assert_eq!((r.last_name.as_str(), r.first_name.as_str()), ("Иванов", "Иван"));
    // QP with a soft line break inside FN.
    assert_eq!(r.full_name, "Иван Иванович Иванов");
    // CHARSET=windows-1251 inside a UTF-8 file.
    assert_eq!(r.company, "ООО «Рога и копыта»");
    assert_eq!(r.notes, "Позвонить в понедельник, обсудить договор №42");
    // Bare 2.1 parameters: TEL;CELL;PREF, TEL;WORK;VOICE, TEL;HOME;FAX.
    assert_eq!(
        phones(r),
        vec![
            (Kind::Mobile, "+79161234567", ""),
            (Kind::Work, "+7 495 111-22-33", ""),
            (Kind::Fax, "+7 495 111-22-34", "")
        ]
    );
    assert_eq!((r.emails[0].kind, r.emails[0].address.as_str()), (Kind::Home, "ivanov@mail.example"));
    // 2.1 base64 on unindented lines ending with a blank line.
    let photo = r.photo.as_ref().expect("photo");
    assert_eq!(photo.mime, "image/jpeg");
    assert_eq!(&photo.bytes[..3], &[0xFF, 0xD8, 0xFF]);
    let m = &p.records[1];
    assert_eq!(m.full_name, "Matti Virtanen");
    assert_eq!(m.addresses[0].street, "Mannerheimintie 1\nOffice 5");
    assert_eq!(m.addresses[0].kind, Kind::Work);
    assert_eq!(m.line, 21);
}

#[test]
fn vcard_40_folded_lines_and_data_uri() {
    let p = parse("v40_folded.vcf");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.records[0];
    assert_eq!(r.uid, "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");
    assert_eq!(r.full_name, "Dr. María José García-López");
    assert_eq!((r.first_name.as_str(), r.last_name.as_str(), r.prefix.as_str()), ("María José", "García-López", "Dr."));
    assert_eq!(r.department, "Departamento de Física, Óptica");
    // TYPE="work,voice" (quoted list) and a tel: URI.
    assert_eq!(phones(r), vec![(Kind::Work, "+34-954-55-00-00", ""), (Kind::Mobile, "+34 600 123 456", "")]);
    assert_eq!(
        r.notes,
        "Это длинная заметка, которая сложена на несколько строк по 75 октетов; в ней есть кириллица, emoji 🎉 и запятые, чтобы проверить разворачивание."
    );
    let a = &r.addresses[0];
    assert_eq!(a.formatted, "Av. Reina Mercedes s/n\\n41012 Sevilla\\nEspaña".replace("\\n", "\n"));
    assert_eq!(a.city, "Sevilla");
    assert_eq!(r.address(), "Av. Reina Mercedes s/n, 41012 Sevilla, España");
    assert_eq!(r.tags, vec!["Academia", "Conference 2026"]);
    assert_eq!(r.rev, "20261206T101500Z");
    let photo = r.photo.as_ref().expect("photo");
    assert_eq!(photo.mime, "image/png");
    assert!(photo.bytes.starts_with(b"\x89PNG"));
}

#[test]
fn broken_vcard_reports_each_card_and_keeps_the_good_ones() {
    let p = parse("broken.vcf");
    let names: Vec<&str> = p.records.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, vec!["Good One", "Good Two"]);
    let errs: Vec<(u64, &str)> = p.errors.iter().map(|e| (e.line, e.detail.as_str())).collect();
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert_eq!(errs[0].0, 6);
    assert!(errs[0].1.contains("no END:VCARD before the next BEGIN:VCARD at line 10"), "{}", errs[0].1);
    assert_eq!(errs[1], (15, "END:VCARD without a BEGIN:VCARD"));
    assert_eq!(errs[2].0, 16);
    assert!(errs[2].1.contains("no name"));
    assert_eq!(errs[3].0, 20);
    assert!(errs[3].1.contains("has no END:VCARD"));
    // index counts every card, failed ones too, in file order
    assert_eq!(p.records[1].index, 2);
}

#[test]
fn broken_csv_rows_are_reported_with_their_lines() {
    let p = parse("broken.csv");
    let names: Vec<&str> = p.records.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, vec!["Good Row", "Extra"]);
    assert_eq!(p.records[1].warnings, vec!["2 cells past the last header column were ignored"]);
    let errs: Vec<u64> = p.errors.iter().map(|e| e.line).collect();
    assert_eq!(errs, vec![5, 6]);
    assert!(p.errors[1].detail.contains("never closed"), "{}", p.errors[1].detail);
    assert!(p.errors[1].detail.contains("line 7"), "{}", p.errors[1].detail);
}

#[test]
fn jsonl_in_the_shape_cardcrm_import_reads() {
    let p = parse("sample.jsonl");
    assert_eq!(p.format, Format::Jsonl);
    assert_eq!(p.records.len(), 2);
    let a = &p.records[0];
    assert_eq!(a.full_name, "Anna Schmidt");
    assert_eq!(phones(a), vec![(Kind::Work, "+49 170 1234567", "")]);
    assert_eq!(a.website(), "acme.de");
    assert_eq!(a.address(), "Berlin");
    let b = &p.records[1];
    assert_eq!(b.company, "");
    assert_eq!(b.phones.len(), 2);
    assert_eq!(b.tags, vec!["Клиенты"]);

    let p = parse("broken.jsonl");
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.records[1].company, "Only Company");
    assert_eq!(phones(&p.records[1]), vec![(Kind::Mobile, "+1 555 0101", "")]);
    let lines: Vec<u64> = p.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 5, 6]);
    assert!(p.errors[0].detail.starts_with("not a contact"));
}

#[test]
fn hand_made_xlsx_with_shared_strings_and_numbers() {
    let p = parse("sales_sheet.xlsx");
    assert_eq!(p.format, Format::Xlsx);
    assert_eq!(p.encoding, None);
    assert_eq!(p.headers.as_deref().unwrap()[1], "Firma");
    assert_eq!(p.records.len(), 3);
    let r = &p.records[0];
    assert_eq!((r.full_name.as_str(), r.company.as_str()), ("Peter Klein", "Klein & Co"));
    // A phone typed as a number has no ".0".
    assert_eq!(r.phones[0].number, "4989123456");
    assert_eq!(r.addresses[0].city, "München");
    assert_eq!(r.notes, "Kunde seit 2019");
    assert_eq!(r.line, 2);
    // The empty row 3 is skipped; line numbers stay the sheet's.
    assert_eq!(p.records[1].line, 4);
    assert_eq!(p.records[2].notes, "nur eine Notiz");
}

#[test]
fn a_zip_that_is_not_a_workbook() {
    let e = read(&fixture("broken_not_workbook.xlsx"), &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("not an XLSX workbook"), "{e}");
    // A truncated workbook.
    let b = fixture("sales_sheet.xlsx");
    let e = read(&b[..b.len() / 2], &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("zip"), "{e}");
}
