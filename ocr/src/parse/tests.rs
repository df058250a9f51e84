//! Whole-card tests of [`parse_card`]: synthetic cards in several languages and layouts, each checking
//! the fields it shows.

use super::*;
use crate::Point;

fn line(text: &str, y: f32, h: f32) -> Line {
    let w = 20.0 * text.chars().count() as f32;
    Line {
        text: text.into(),
        confidence: 0.99,
        quad: [
            Point { x: 50.0, y },
            Point { x: 50.0 + w, y },
            Point { x: 50.0 + w, y: y + h },
            Point { x: 50.0, y: y + h },
        ],
    }
}

fn card(texts: &[(&str, f32)]) -> Vec<Line> {
    let mut y = 10.0;
    texts
        .iter()
        .map(|(t, h)| {
            let l = line(t, y, *h);
            y += h * 1.4;
            l
        })
        .collect()
}

fn v(f: &Option<ParsedField>) -> &str {
    f.as_ref().map(|f| f.value.as_str()).unwrap_or("")
}

#[test]
fn english_card() {
    let lines = card(&[
        ("Bradshaw, Mcdonald and Alvarado", 36.0),
        ("Bianca Lee", 52.0),
        ("Engineer, site", 30.0),
        ("Mobile: (917) 857-0839", 26.0),
        ("Tel: (212) 555-0142", 26.0),
        ("bianca.lee@bradshawmcdona.ru", 26.0),
        ("www.bradshawmcdona.ru", 26.0),
        ("3571 Lee Corners Suite 853, Hartmanbury, SC 53440", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(v(&c.full_name), "Bianca Lee");
    assert_eq!(v(&c.first_name), "Bianca");
    assert_eq!(v(&c.last_name), "Lee");
    assert_eq!(v(&c.position), "Engineer, site");
    assert_eq!(v(&c.company), "Bradshaw, Mcdonald and Alvarado");
    assert_eq!(v(&c.website), "www.bradshawmcdona.ru");
    assert_eq!(v(&c.address), "3571 Lee Corners Suite 853, Hartmanbury, SC 53440");
    assert_eq!(c.emails[0].value, "bianca.lee@bradshawmcdona.ru");
    assert_eq!(c.phones.len(), 2);
    assert_eq!(c.phones[0].kind, "mobile");
    assert_eq!(c.phones[0].e164.as_deref(), Some("+19178570839"));
    assert_eq!(c.phones[1].kind, "work");
    assert_eq!(c.full_name.as_ref().unwrap().blocks, vec![1]);
}

#[test]
fn german_labels_and_national_numbers() {
    let lines = card(&[
        ("Silke Gutknecht", 52.0),
        ("Elektroniker", 30.0),
        ("Mobil: 0151 1424974", 26.0),
        ("Tel.: 030 28287270", 26.0),
        ("Fax 030 28287271", 26.0),
        ("silke.gutknecht@klemtagcokg.de", 26.0),
        ("Klemt AG & Co. KG", 36.0),
        ("Leszek-Seip-Ring 8445, 50936 Parchim", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(v(&c.full_name), "Silke Gutknecht");
    assert_eq!(v(&c.position), "Elektroniker");
    assert_eq!(v(&c.company), "Klemt AG & Co. KG");
    assert_eq!(v(&c.address), "Leszek-Seip-Ring 8445, 50936 Parchim");
    let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
    assert_eq!(k, vec![("mobile", "+491511424974"), ("work", "+493028287270"), ("fax", "+493028287271")]);
}

#[test]
fn french_and_spanish_labels() {
    let lines = card(&[
        ("Julien Moreau", 52.0),
        ("Directeur commercial", 30.0),
        ("Portable : 06 12 34 56 78", 26.0),
        ("Tél. 01 42 68 53 00", 26.0),
        ("Móvil: +34 612 345 678", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
    assert_eq!(k, vec![("mobile", "+33612345678"), ("work", "+33142685300"), ("mobile", "+34612345678")]);
    assert_eq!(v(&c.position), "Directeur commercial");
}

#[test]
fn russian_card() {
    let lines = card(&[
        ("Монетка", 36.0),
        ("Василий Игнатьев", 52.0),
        ("Микробиолог", 30.0),
        ("Моб.: 8 (916) 434-78-19", 26.0),
        ("Тел.: +7 (495) 123-45-67", 26.0),
        ("Факс: 8 (495) 765-43-21", 26.0),
        ("vasilii.ignatev@ignatev.ru", 26.0),
        ("www.ignatev.ru", 26.0),
        ("клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints { default_region: "US".into(), ..Default::default() });
    assert_eq!(v(&c.first_name), "Василий");
    assert_eq!(v(&c.last_name), "Игнатьев");
    assert_eq!(v(&c.position), "Микробиолог");
    assert_eq!(v(&c.company), "Монетка");
    assert_eq!(v(&c.address), "клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713");
    let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
    assert_eq!(k, vec![("mobile", "+79164347819"), ("work", "+74951234567"), ("fax", "+74957654321")]);
}

#[test]
fn ocr_confusions_in_email_and_url() {
    let lines = card(&[
        ("Emma Stone", 52.0),
        ("Sales Manager", 30.0),
        ("E-mail: emma.stone@c0ntoso,com", 26.0),
        ("www.c0nt0so.com", 26.0),
        ("Te1: +1 (2O2) 555-Ol42", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(c.emails[0].value, "emma.stone@contoso.com");
    assert_eq!(v(&c.website), "www.contoso.com");
    assert_eq!(c.phones[0].e164.as_deref(), Some("+12025550142"));
    // rn/m: domain agrees with the website
    let lines = card(&[("Jo Ann", 40.0), ("jo@systernatic.com", 20.0), ("https://www.systematic.coml", 20.0)]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(c.emails[0].value, "jo@systematic.com");
    assert_eq!(v(&c.website), "https://www.systematic.com/");
}

#[test]
fn contoso_like_multiline_address_and_prefix() {
    let lines = card(&[
        ("avery.smith@contoso.com", 26.0),
        ("https://www.contoso.com/", 26.0),
        ("mob: +44 (0) 7911 123456", 26.0),
        ("Dr. Avery Smith", 52.0),
        ("tel: +44(0)20 98765432", 26.0),
        ("fax: +44 (0)2067892345", 26.0),
        ("Senior Researcher", 30.0),
        ("Cloud & Al Department", 30.0),
        ("Contoso", 60.0),
        ("2 Kingdom Street", 26.0),
        ("Paddington, London, W2 6BD", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(v(&c.prefix), "Dr.");
    assert_eq!(v(&c.full_name), "Avery Smith");
    assert_eq!(v(&c.position), "Senior Researcher");
    assert_eq!(v(&c.department), "Cloud & AI Department");
    assert_eq!(v(&c.company), "Contoso");
    assert_eq!(v(&c.address), "2 Kingdom Street, Paddington, London, W2 6BD");
    let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
    assert_eq!(k, vec![("mobile", "+447911123456"), ("work", "+442098765432"), ("fax", "+442067892345")]);
}

#[test]
fn two_numbers_on_one_line_and_cell_label() {
    let lines = card(&[("Chris Smith", 50.0), ("Cell: +1 (987) 123-4567  Fax: +1 (987) 312-6745", 26.0)]);
    let c = parse_card(&lines, &ParseHints::default());
    let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
    assert_eq!(k, vec![("mobile", "+19871234567"), ("fax", "+19873126745")]);
}

#[test]
fn hints_known_company_and_title_words() {
    let lines = card(&[("Nora Quist", 50.0), ("Zymurgist", 30.0), ("Quist Brewing", 30.0)]);
    let plain = parse_card(&lines, &ParseHints::default());
    let hints = ParseHints {
        known_companies: vec!["Quist Brewing".into()],
        title_words: vec!["zymurgist".into()],
        ..Default::default()
    };
    let c = parse_card(&lines, &hints);
    assert_eq!(v(&c.company), "Quist Brewing");
    assert_eq!(v(&c.position), "Zymurgist");
    // Without hints the layout rule still finds the position right under the name.
    assert_eq!(v(&plain.position), "Zymurgist");
}

#[test]
fn national_number_follows_other_numbers_country() {
    let lines = card(&[
        ("Carmela Fliegner", 52.0),
        ("Florist", 30.0),
        ("Mobil: 015 149 20624", 26.0),
        ("Fax: 030 265 97278", 26.0),
        ("Tel.: +49 30 280 11095", 26.0),
        ("carmela.fliegner@lweragcokgaa.co.uk", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
    assert_eq!(k, vec![("mobile", "+491514920624"), ("fax", "+493026597278"), ("work", "+493028011095")]);
}

#[test]
fn us_address_without_comma() {
    let lines = card(&[("Chris Smith", 50.0), ("4001 1stAve NE Redmond, WA 98052", 26.0)]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(v(&c.address), "4001 1st Ave NE, Redmond, WA 98052");
}

// --- conventions of real cards (issue 22) ----------------------------------------------------

fn phones(c: &ParsedCard) -> Vec<(&str, &str)> {
    c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap_or(""))).collect()
}

#[test]
fn one_letter_labels_before_values() {
    let lines = card(&[
        ("Elisa Turner", 52.0),
        ("Account Manager", 30.0),
        ("T +49 30 1234567", 26.0),
        ("M +49 151 23456789", 26.0),
        ("F: +49 30 1234568", 26.0),
        ("E elisa.turner@turner-bau.de", 26.0),
        ("W www.turner-bau.de", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(c.emails[0].value, "elisa.turner@turner-bau.de");
    assert_eq!(v(&c.website), "www.turner-bau.de");
    assert_eq!(phones(&c), vec![("work", "+49301234567"), ("mobile", "+4915123456789"), ("fax", "+49301234568")]);
    // With a bar, a colon, or glued to the value by the recogniser.
    for (e, w) in [("E | elisa.turner@x.com", "W | www.x.com"), ("E: elisa.turner@x.com", "W: x.com")] {
        let c = parse_card(&card(&[("Elisa Turner", 52.0), (e, 26.0), (w, 26.0)]), &ParseHints::default());
        assert_eq!(c.emails[0].value, "elisa.turner@x.com");
        assert!(
            v(&c.website).ends_with("x.com") && !v(&c.website).starts_with("ww.") && !v(&c.website).starts_with('|')
        );
        assert!(v(&c.website) == "www.x.com" || v(&c.website) == "x.com", "{}", v(&c.website));
    }
    let c = parse_card(
        &card(&[("Maggie Robert", 52.0), ("Emaggie@francoissa.com", 26.0), ("Wwww.francoissa.com", 26.0)]),
        &ParseHints::default(),
    );
    assert_eq!(c.emails[0].value, "maggie@francoissa.com");
    assert_eq!(v(&c.website), "www.francoissa.com");
    // An address that really starts with e/m keeps it.
    let c = parse_card(&card(&[("Emma Stone", 52.0), ("Emma.stone@x.com", 26.0)]), &ParseHints::default());
    assert_eq!(c.emails[0].value, "emma.stone@x.com");
    let c =
        parse_card(&card(&[("Jo Blake", 52.0), ("e.smith@x.com", 26.0), ("www.x.com", 26.0)]), &ParseHints::default());
    assert_eq!(c.emails[0].value, "e.smith@x.com");
    assert_eq!(v(&c.website), "www.x.com");
}

#[test]
fn word_labels_in_several_languages() {
    let lines = card(&[
        ("Julie Martin", 52.0),
        ("Tél. 01 42 68 53 00", 26.0),
        ("Portable : 06 12 34 56 78", 26.0),
        ("Courriel : julie.martin@exemple.fr", 26.0),
        ("Site web : www.exemple.fr", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(c.emails[0].value, "julie.martin@exemple.fr");
    assert_eq!(v(&c.website), "www.exemple.fr");
    assert_eq!(phones(&c), vec![("work", "+33142685300"), ("mobile", "+33612345678")]);
    let lines = card(&[
        ("Иван Петров", 52.0),
        ("Тел. 8 (495) 123-45-67", 26.0),
        ("Моб. 8 (916) 434-78-19", 26.0),
        ("Телефон: +7 495 751-76-11", 26.0),
        ("Мобильный: +7 903 214-21-37", 26.0),
        ("Эл. почта: ivan.petrov@petrov.ru", 26.0),
        ("Сайт: petrov.ru", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(c.emails[0].value, "ivan.petrov@petrov.ru");
    assert_eq!(v(&c.website), "petrov.ru");
    assert_eq!(
        phones(&c),
        vec![
            ("work", "+74951234567"),
            ("mobile", "+79164347819"),
            ("work", "+74957517611"),
            ("mobile", "+79032142137")
        ]
    );
    let c = parse_card(&card(&[("Uwe Kranz", 52.0), ("Handy 0151 23456789", 26.0)]), &ParseHints::default());
    assert_eq!(phones(&c), vec![("mobile", "+4915123456789")]);
}

#[test]
fn labels_after_values() {
    let lines = card(&[
        ("Leo Krebs", 52.0),
        ("030 28287270 Büro", 26.0),
        ("0151 23456789 (mobil)", 26.0),
        ("030 28287271 Fax", 26.0),
        ("Leszek-Seip-Ring 8, 50936 Parchim", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(phones(&c), vec![("work", "+493028287270"), ("mobile", "+4915123456789"), ("fax", "+493028287271")]);
    assert_eq!(v(&c.address), "Leszek-Seip-Ring 8, 50936 Parchim");
    let c = parse_card(
        &card(&[("Ann Lee", 52.0), ("07700 382069 (mobile)", 26.0), ("+44 20 7946 0018 office", 26.0)]),
        &ParseHints::default(),
    );
    assert_eq!(phones(&c), vec![("mobile", "+447700382069"), ("work", "+442079460018")]);
    assert_eq!(v(&c.address), "");
    let c = parse_card(
        &card(&[("Ann Lee", 52.0), ("+44 7700 382069 (M)", 26.0), ("+44 20 7946 0018 (F)", 26.0)]),
        &ParseHints::default(),
    );
    assert_eq!(phones(&c), vec![("mobile", "+447700382069"), ("fax", "+442079460018")]);
}

#[test]
fn names_in_capitals_and_surname_first() {
    let hints = ParseHints::default();
    let name = |t: &str, email: &str| {
        let c = parse_card(&card(&[(t, 52.0), ("Florist", 30.0), (email, 26.0)]), &hints);
        (v(&c.first_name).to_string(), v(&c.last_name).to_string(), v(&c.full_name).to_string())
    };
    let want = |f: &str, l: &str| (f.to_string(), l.to_string(), format!("{f} {l}"));
    assert_eq!(name("ELISA TURNER", "info@x.com"), want("Elisa", "Turner"));
    assert_eq!(name("TURNER Elisa", "info@x.com"), want("Elisa", "Turner"));
    assert_eq!(name("Turner, Elisa", "info@x.com"), want("Elisa", "Turner"));
    // elisa.turner@ does not decide it (turner.elisa@ is a habit too); an initial does.
    assert_eq!(name("Turner Elisa", "elisa.turner@x.com"), want("Turner", "Elisa"));
    assert_eq!(name("Turner Elisa", "e.turner@x.com"), want("Elisa", "Turner"));
    assert_eq!(name("Elisa Turner", "turner.elisa@x.com"), want("Elisa", "Turner"));
    assert_eq!(name("Elisa TURNER", "info@x.com"), want("Elisa", "Turner"));
    assert_eq!(name("OSBORNE Ross", "info@x.com"), want("Ross", "Osborne"));
    assert_eq!(name("ROSS OSBoRNE", "info@x.com"), want("Ross", "Osborne"));
    assert_eq!(name("ELISA M. TURNER", "info@x.com"), ("Elisa".into(), "Turner".into(), "Elisa M. Turner".into()));
    assert_eq!(name("McDonald Ross", "info@x.com"), want("McDonald", "Ross"));
    assert_eq!(name("O'CONNOR Seán", "info@x.com"), want("Seán", "O'Connor"));
    assert_eq!(name("GREIN GROTH Tino", "info@x.com"), want("Tino", "Grein Groth"));
    assert_eq!(name("РОГОВ Соломон", "solomon.rogov@rogov.ru"), want("Соломон", "Рогов"));
    assert_eq!(name("Klaus-D.Beckmann", "info@x.com"), want("Klaus-D.", "Beckmann"));
    let c = parse_card(&card(&[("DR. MAGGIE ROBERT", 52.0)]), &hints);
    assert_eq!((v(&c.prefix), v(&c.full_name)), ("Dr.", "Maggie Robert"));
    let c = parse_card(&card(&[("Pr MAGGIE ROBERT", 52.0)]), &hints);
    assert_eq!((v(&c.prefix), v(&c.full_name)), ("Pr", "Maggie Robert"));
}

#[test]
fn company_over_two_lines() {
    let hints = ParseHints::default();
    let company = |a: &str, b: &str, email: &str| {
        let lines = card(&[("Uschi Losekann", 52.0), ("Pilot", 30.0), (a, 36.0), (b, 36.0), (email, 26.0)]);
        v(&parse_card(&lines, &hints).company).to_string()
    };
    assert_eq!(company("Kreusel GmbH", "& Co. KG", "u@kreusel.de"), "Kreusel GmbH & Co. KG");
    assert_eq!(company("Kreusel GmbH", "&C0.KG", "u@kreusel.de"), "Kreusel GmbH & Co. KG");
    assert_eq!(company("Moore, Daniels", "and Wheeler", "u@x.com"), "Moore, Daniels and Wheeler");
    assert_eq!(company("Durand", "Jourdan SARL", "u@durandjourdan.fr"), "Durand Jourdan SARL");
    assert_eq!(company("Schönland", "Wagner GbR", "u@schoenlandwagner.com"), "Schönland Wagner GbR");
    // The title under a one-line company stays the title.
    let lines = card(&[("Acme GmbH", 36.0), ("Uschi Losekann", 52.0), ("Pilot", 30.0)]);
    let c = parse_card(&lines, &hints);
    assert_eq!((v(&c.company), v(&c.position)), ("Acme GmbH", "Pilot"));
}

#[test]
fn address_over_several_lines() {
    let hints = ParseHints::default();
    let lines = card(&[
        ("Nicholson, Douglas and Scott", 36.0),
        ("Cheryl Roberts", 52.0),
        ("Air cabin crew", 30.0),
        ("cheryl@nicholson.de", 26.0),
        ("Flat 71W", 26.0),
        ("Beth Roads", 26.0),
        ("Lewiston", 26.0),
        ("L5H 8YW", 26.0),
        ("United Kingdom", 26.0),
    ]);
    let c = parse_card(&lines, &hints);
    assert_eq!(v(&c.address), "Flat 71W, Beth Roads, Lewiston, L5H 8YW, United Kingdom");
    assert_eq!(v(&c.position), "Air cabin crew");
    assert_eq!(v(&c.company), "Nicholson, Douglas and Scott");
    // The title right under the name is not the address's first line.
    let lines = card(&[
        ("Selim Karge", 52.0),
        ("Altenpfleger", 28.0),
        ("Rupert-Koch-Ring 928", 26.0),
        ("89457 Potsdam", 26.0),
        ("Deutschland", 26.0),
    ]);
    let c = parse_card(&lines, &hints);
    assert_eq!(v(&c.address), "Rupert-Koch-Ring 928, 89457 Potsdam, Deutschland");
    assert_eq!(v(&c.position), "Altenpfleger");
    let lines = card(&[
        ("Monique Lemaire", 52.0),
        ("M 07 84 15 30 31", 26.0),
        ("42, avenue Nathalie Labbé", 26.0),
        ("78201Morel", 26.0),
    ]);
    let c = parse_card(&lines, &hints);
    assert_eq!(v(&c.address), "42, avenue Nathalie Labbé, 78201 Morel");
    assert_eq!(phones(&c), vec![("mobile", "+33784153031")]);
    let c = parse_card(
        &card(&[("Kim Ode", 52.0), ("Doreen-Gehringer-StraBe 57", 26.0), ("50348Bad Brückenau", 26.0)]),
        &hints,
    );
    assert_eq!(v(&c.address), "Doreen-Gehringer-Straße 57, 50348 Bad Brückenau");
}

#[test]
fn phone_region_from_the_card_never_from_the_domain() {
    let us = ParseHints::default();
    // From the address: a German number on a card with a .co.uk site.
    let lines = card(&[
        ("Leo Krebs", 52.0),
        ("Tel 030 28287270", 26.0),
        ("leo@krebs.co.uk", 26.0),
        ("www.krebs.co.uk", 26.0),
        ("Budigstraße 4, 30216 Döbeln", 26.0),
    ]);
    assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+493028287270")]);
    // From the printed +: the other number's country code.
    let lines =
        card(&[("Leo Krebs", 52.0), ("T +49 30 28287270", 26.0), ("M 0151 23456789", 26.0), ("www.krebs.co.uk", 26.0)]);
    assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+493028287270"), ("mobile", "+4915123456789")]);
    // From the default region when the card says nothing (and a .co.uk site is no clue).
    let de = ParseHints { default_region: "DE".into(), ..Default::default() };
    let lines = card(&[("Leo Krebs", 52.0), ("Tel 030 2828 7270", 26.0), ("www.krebs.co.uk", 26.0)]);
    assert_eq!(phones(&parse_card(&lines, &de)), vec![("work", "+493028287270")]);
    let gb = ParseHints { default_region: "GB".into(), ..Default::default() };
    let lines = card(&[("Ann Lee", 52.0), ("Tel 020 7946 0018", 26.0), ("www.lee.de", 26.0)]);
    assert_eq!(phones(&parse_card(&lines, &gb)), vec![("work", "+442079460018")]);
    // From the language of the labels and the legal form.
    let lines =
        card(&[("Dowerg GmbH", 36.0), ("Uwe Kranz", 52.0), ("Telefon 0221 2345678", 26.0), ("www.dowerg.co.uk", 26.0)]);
    assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+492212345678")]);
}

#[test]
fn russian_card_in_other_conventions() {
    let lines = card(&[
        ("РОГОВ Соломон", 52.0),
        ("Политолог", 30.0),
        ("Овчинников", 36.0),
        ("Групп", 36.0),
        ("Т +7 (812) 236-34-12", 26.0),
        ("М 8 (903) 628-63-17", 26.0),
        ("Ф +7 (812) 236-34-13", 26.0),
        ("Эл. почта: solomon.rogov@rogov.de", 26.0),
        ("Сайт: www.rogov.de", 26.0),
        ("пр. Социалистический, д. 95", 26.0),
        ("ст. Магнитогорск, 254814", 26.0),
        ("Россия", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!((v(&c.first_name), v(&c.last_name), v(&c.full_name)), ("Соломон", "Рогов", "Соломон Рогов"));
    assert_eq!(v(&c.position), "Политолог");
    assert_eq!(v(&c.company), "Овчинников Групп");
    assert_eq!(c.emails[0].value, "solomon.rogov@rogov.de");
    assert_eq!(v(&c.website), "www.rogov.de");
    assert_eq!(v(&c.address), "пр. Социалистический, д. 95, ст. Магнитогорск, 254814, Россия");
    assert_eq!(phones(&c), vec![("work", "+78122363412"), ("mobile", "+79036286317"), ("fax", "+78122363413")]);
    let lines = card(&[
        ("Соломон Рогов", 52.0),
        ("8 (812) 236-34-12 раб.", 26.0),
        ("8 (903) 628-63-17 (моб.)", 26.0),
        ("+7 812 236-34-13 факс", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(phones(&c), vec![("work", "+78122363412"), ("mobile", "+79036286317"), ("fax", "+78122363413")]);
}

#[test]
fn split_name_fragments_and_latin_abbreviations_in_russian_lines() {
    let lines = card(&[
        ("H ина Юд ин", 46.0),
        ("Гитарист", 27.0),
        ("nina.udin@udin.ru", 26.0),
        ("к. Кинешма, ann. Дружбы, д. 582 к. 508, 710947", 26.0),
        ("Г. Лотошино, наб. Щорса, д. 9, 223623", 26.0),
    ]);
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!((v(&c.first_name), v(&c.last_name)), ("Нина", "Юдин"));
    assert_eq!(v(&c.address), "к. Кинешма, алл. Дружбы, д. 582 к. 508, 710947, г. Лотошино, наб. Щорса, д. 9, 223623");
    // Latin lines keep their words.
    let c = parse_card(&card(&[("Ann Lee", 46.0), ("ann@lee.com", 26.0)]), &ParseHints::default());
    assert_eq!(v(&c.full_name), "Ann Lee");
}

#[test]
fn russian_tesseract_slips() {
    // A label and trunk digit boxed apart from the number; a company name over two lines
    // inside «»; a country line boxed smaller; ш. read as m.
    let mut lines = card(&[
        ("РАО «Субботина", 36.0),
        ("Петухов»", 36.0),
        ("Прокофий Туров", 52.0),
        ("prokofii.turov@turov.net", 26.0),
        ("m. Февральское, д. 581 к. 99", 26.0),
        ("п. Углегорск, 271305", 26.0),
        ("Россия", 17.0),
    ]);
    let row_y = 400.0;
    lines.push(line("Т8", row_y, 20.0));
    let mut num = line("(812) 815-05-78", row_y, 20.0);
    for p in num.quad.iter_mut() {
        p.x += 60.0;
    }
    lines.push(num);
    lines.push(line("+7 903 214-21-37", row_y + 30.0, 20.0));
    let c = parse_card(&lines, &ParseHints::default());
    assert_eq!(v(&c.company), "РАО «Субботина Петухов»");
    assert_eq!(v(&c.address), "ш. Февральское, д. 581 к. 99, п. Углегорск, 271305, Россия");
    assert!(phones(&c).contains(&("work", "+78128150578")), "{:?}", phones(&c));
}
