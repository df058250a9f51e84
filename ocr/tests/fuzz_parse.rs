//! Fuzz target (property tests) for the card-text parser: `ocr::parse_card` on arbitrary lines
//! and boxes, and on near-valid card text built from the labels, names, numbers, addresses and
//! OCR confusions the parser looks for.
//!
//! Runs `PROPTEST_CASES` cases per property (default [`DEFAULT_CASES`], bounded for CI in a debug
//! build); run longer by hand, e.g.
//! `PROPTEST_CASES=100000 cargo test -p ocr --release --test fuzz_parse`.
//! See docs/testing.md for the numbers of the long runs. Inputs that once failed are kept as plain
//! `#[test]` regression cases at the end of this file.

use ocr::{parse_card, Line, ParseHints, ParsedCard, ParsedField, Point};
use proptest::prelude::*;

const DEFAULT_CASES: u32 = 600;

/// `PROPTEST_CASES` if set, else `default`; no failure files written (regressions are kept as
/// tests below instead).
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Words and fragments of business cards, with the look-alikes and confusions OCR produces and
/// characters whose lower case has another length in UTF-8.
const TOKENS: &[&str] = &[
    // labels
    "Tel:",
    "Tel.",
    "T",
    "M",
    "F",
    "P:",
    "Mob.",
    "Mobile",
    "Cell",
    "Fax",
    "Phone:",
    "Handy",
    "Büro",
    "tél.",
    "Тел.",
    "Моб.",
    "Факс",
    "раб.",
    "TeЛ",
    "Ten.",
    "Mo6.",
    "OAKC",
    "E-mail:",
    "Email",
    "e:",
    "Web:",
    "www",
    "Site",
    "Сайт:",
    "Address:",
    "Adresse",
    "Адрес:",
    "Dirección",
    "ext.",
    "доб.",
    "x",
    // names, titles, companies
    "Anna",
    "Petrova",
    "Dr.",
    "Prof.",
    "von",
    "van der",
    "McIntyre",
    "WaIker",
    "O'Neil",
    "Müller-Lüdenscheidt",
    "Анна",
    "Петрова",
    "Сергеевна",
    "Иванович",
    "PhD",
    "Jr.",
    "Senior",
    "Manager",
    "Head of",
    "Sales",
    "Директор",
    "Al",
    "CopY",
    "Department",
    "Отдел",
    "GmbH",
    "Ltd",
    "Inc.",
    "SARL",
    "ООО",
    "АО",
    "«Ромашка»",
    "&",
    "\"Acme\"",
    "CONTOSO",
    "Contoso",
    // contact fragments
    "anna.petrova",
    "@",
    " @ ",
    "(at)",
    "[at]",
    "＠",
    "acme",
    "contoso",
    "rnail",
    ".com",
    ".co.uk",
    ".ru",
    ".рф",
    ".de",
    ",com",
    "http://",
    "https//",
    "www.",
    "www,",
    ".coml",
    "/",
    "|",
    "l",
    "I",
    "O",
    "0",
    "1",
    "5",
    "S",
    "B",
    "о",
    "О",
    "(0)",
    "+",
    "+7",
    "+44",
    "+1",
    "00",
    "8",
    "(",
    ")",
    "-",
    ".",
    "·",
    "—",
    // addresses
    "12",
    "221B",
    "Main St",
    "Avenue",
    "Straße",
    "str.",
    "Allee",
    "rue",
    "75008",
    "Paris",
    "SW1A 1AA",
    "NY",
    "10001",
    "London",
    "Deutschland",
    "Россия",
    "Москва",
    "119034",
    "д. 4",
    "Д. 4",
    "т. Москва",
    "ул.",
    "2nd",
    "3rdAve",
    "Ste 400",
    "Cedex",
    // unusual characters
    "İ",
    "K",
    "Ⱥ",
    "ẞ",
    "ǅ",
    "\u{301}",
    "\u{200d}",
    "\u{feff}",
    "\u{a0}",
    "\t",
    "🙂",
    "中文",
    "١٢٣",
    "１２３",
];

fn digits() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,4}( ?[0-9]{1,4}){0,4}",
        "\\(?[0-9]{3}\\)? ?[0-9]{3}-[0-9]{4}",
        "[0-9OolI|SB]{2,12}",
        "[0-9 .-]{5,30}",
    ]
}

/// One line of near-valid card text: card words, digit runs, separators.
fn card_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(TOKENS).prop_map(String::from),
        3 => digits(),
        1 => "[A-Za-zА-Яа-я]{1,10}",
        1 => any::<String>(),
    ];
    let sep = prop::sample::select(vec!["", " ", " ", " ", ", ", " / ", " | ", "  ", ": ", "."]);
    prop::collection::vec((piece, sep), 0..8).prop_map(|v| {
        let mut s = String::new();
        for (p, sep) in v {
            s.push_str(&p);
            s.push_str(sep);
        }
        s
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![4 => card_text(), 1 => any::<String>()]
}

/// Any float, the awkward ones often.
fn coord() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => -100.0f32..3000.0,
        1 => prop::sample::select(vec![0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, f32::MIN, 1e-30]),
        1 => any::<f32>(),
    ]
}

/// A box as a detector gives it (upright or rotated) or four arbitrary points.
fn quad() -> impl Strategy<Value = [Point; 4]> {
    let p = || (coord(), coord()).prop_map(|(x, y)| Point { x, y });
    let box_ =
        (0.0f32..2000.0, 0.0f32..1200.0, 1.0f32..900.0, 1.0f32..80.0, -3.2f32..3.2).prop_map(|(x, y, w, h, a)| {
            let (c, s) = (a.cos(), a.sin());
            let at = |dx: f32, dy: f32| Point { x: x + dx * c - dy * s, y: y + dx * s + dy * c };
            [at(0.0, 0.0), at(w, 0.0), at(w, h), at(0.0, h)]
        });
    prop_oneof![4 => box_, 1 => [p(), p(), p(), p()]]
}

fn lines() -> impl Strategy<Value = Vec<Line>> {
    prop::collection::vec(
        (text(), quad(), prop_oneof![Just(0.99f32), any::<f32>()]).prop_map(|(text, quad, confidence)| Line {
            text,
            confidence,
            quad,
        }),
        0..14,
    )
}

fn hints() -> impl Strategy<Value = ParseHints> {
    let region = prop_oneof![
        3 => prop::sample::select(vec!["US", "RU", "DE", "GB", "FR", "", "ZZ", "us"]).prop_map(String::from),
        1 => any::<String>(),
    ];
    let word = || prop_oneof![prop::sample::select(TOKENS).prop_map(String::from), any::<String>()];
    (region, prop::collection::vec(word(), 0..4), prop::collection::vec(word(), 0..4)).prop_map(
        |(default_region, known_companies, title_words)| ParseHints { default_region, known_companies, title_words },
    )
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn fields(c: &ParsedCard) -> Vec<(&'static str, &ParsedField)> {
    let mut v: Vec<(&'static str, &ParsedField)> = [
        ("prefix", &c.prefix),
        ("first_name", &c.first_name),
        ("middle_name", &c.middle_name),
        ("last_name", &c.last_name),
        ("full_name", &c.full_name),
        ("position", &c.position),
        ("department", &c.department),
        ("company", &c.company),
        ("website", &c.website),
        ("address", &c.address),
    ]
    .into_iter()
    .filter_map(|(n, f)| f.as_ref().map(|f| (n, f)))
    .collect();
    v.extend(c.emails.iter().map(|e| ("email", e)));
    v
}

/// What every parse result satisfies, whatever the input.
fn check_card(lines: &[Line], hints: &ParseHints) -> Result<ParsedCard, TestCaseError> {
    let card = parse_card(lines, hints);
    let chars_of = |blocks: &[usize]| -> usize { blocks.iter().map(|&i| lines[i].text.chars().count()).sum() };
    for (name, f) in fields(&card) {
        prop_assert!(!f.value.is_empty() && f.value.trim() == f.value, "{name} {:?}", f.value);
        prop_assert!(!f.blocks.is_empty(), "{name} {:?} has no source line", f.value);
        for &b in &f.blocks {
            prop_assert!(b < lines.len(), "{name} block {b} of {} lines", lines.len());
            prop_assert!(!lines[b].text.trim().is_empty(), "{name} from a blank line");
        }
        // Substrings of the input, up to the parser's rewriting (a comma and space between
        // address lines, "m" read as "rn", a space after a comma): never longer than twice them.
        let src = chars_of(&f.blocks);
        prop_assert!(
            f.value.chars().count() <= 2 * src + 2 * f.blocks.len(),
            "{name} {:?} is longer than its source lines ({src} chars)",
            f.value
        );
    }
    for e in &card.emails {
        prop_assert!(e.value.contains('@'), "email {:?}", e.value);
    }
    for p in &card.phones {
        prop_assert!(["mobile", "work", "fax", "home", "other"].contains(&p.kind.as_str()), "kind {:?}", p.kind);
        prop_assert!(p.number.chars().filter(char::is_ascii_digit).count() >= 7, "number {:?}", p.number);
        // one line, or a number's line and a short fragment joined to it on the same row
        prop_assert!(!p.blocks.is_empty() && p.blocks.iter().all(|&b| b < lines.len()));
        prop_assert!(p.number.chars().count() < chars_of(&p.blocks) + p.blocks.len(), "number {:?}", p.number);
        if let Some(e) = &p.e164 {
            let d = e.strip_prefix('+').unwrap_or("x");
            prop_assert!(!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()), "e164 {e:?} of {:?}", p.number);
        }
    }
    if lines.iter().all(|l| l.text.trim().is_empty()) {
        prop_assert_eq!(&card, &ParsedCard::default());
    }
    // deterministic
    prop_assert_eq!(&parse_card(lines, hints), &card);
    Ok(card)
}

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    #[test]
    fn parse_near_valid_cards(lines in lines(), hints in hints()) {
        check_card(&lines, &hints)?;
    }

    /// Arbitrary Unicode lines, arbitrary boxes, default hints.
    #[test]
    fn parse_arbitrary_text(
        texts in prop::collection::vec(any::<String>(), 0..10),
        quads in prop::collection::vec(quad(), 10),
    ) {
        let lines: Vec<Line> =
            texts.into_iter().zip(quads).map(|(text, quad)| Line { text, confidence: 0.9, quad }).collect();
        check_card(&lines, &ParseHints::default())?;
    }
}

fn upright(texts: &[String]) -> Vec<Line> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (y, w, h) = (20.0 + 40.0 * i as f32, 10.0 * t.chars().count().min(100) as f32 + 1.0, 24.0);
            Line {
                text: t.clone(),
                confidence: 0.95,
                quad: [
                    Point { x: 30.0, y },
                    Point { x: 30.0 + w, y },
                    Point { x: 30.0 + w, y: y + h },
                    Point { x: 30.0, y: y + h },
                ],
            }
        })
        .collect()
}

/// Long lines and many lines: the parser caps what it reads ([`ocr::MAX_PARSE_LINES`] lines of
/// [`ocr::MAX_LINE_CHARS`] characters, [`ocr::MAX_PHONES`] numbers), so its work is bounded
/// whatever the input.
#[test]
fn long_input_is_capped() {
    let long_lines = [
        "Tel +1 212 555 0142 / ".repeat(5_000),
        "8 (916) 123-45-67, ".repeat(5_300),
        "Anna Petrova Senior Manager ".repeat(3_600),
        "a@".repeat(50_000) + "acme.com",
        "www.".repeat(25_000) + "acme.com",
        "12 Main St, London SW1A 1AA, ".repeat(3_500),
        "\u{301}".repeat(50_000),
        " ".repeat(100_000) + "Anna Petrova",
    ];
    for l in &long_lines {
        assert!(l.len() >= 100_000);
        let lines = upright(std::slice::from_ref(l));
        let card = check_card(&lines, &ParseHints::default()).unwrap();
        for (name, f) in fields(&card) {
            assert!(f.value.chars().count() <= 2 * ocr::MAX_LINE_CHARS, "{name}: {} chars", f.value.chars().count());
        }
        assert!(card.phones.len() <= ocr::MAX_PHONES);
    }
    let many: Vec<String> = (0..20_000).map(|i| format!("+1 212 555 {:04} Anna", i % 10_000)).collect();
    let lines = upright(&many);
    let card = check_card(&lines, &ParseHints::default()).unwrap();
    assert!(card.phones.len() <= ocr::MAX_PHONES);
    for (_, f) in fields(&card) {
        assert!(f.blocks.iter().all(|&b| b < ocr::MAX_PARSE_LINES));
    }
}

// ---------------------------------------------------------------------------------------------
// Regression cases found by the targets above
// ---------------------------------------------------------------------------------------------

/// A short fragment boxed apart on a number's row ("0" before "000000", found by
/// `parse_near_valid_cards`; on a card, "+49" before "30 1234567") is read with the number: the
/// phone names both lines as its sources, so it is never longer than they are.
#[test]
fn a_fragment_joined_to_a_number_is_one_of_its_sources() {
    let boxed = |text: &str, x: f32, y: f32, w: f32| Line {
        text: text.into(),
        confidence: 0.95,
        quad: [Point { x, y }, Point { x: x + w, y }, Point { x: x + w, y: y + 24.0 }, Point { x, y: y + 24.0 }],
    };
    for (fragment, number) in [("0", "000000"), ("+49", "30 1234567"), ("0", "/ 119034")] {
        let lines = vec![
            boxed("Anna Petrova", 30.0, 0.0, 140.0),
            boxed(fragment, 30.0, 40.0, 12.0),
            boxed(number, 60.0, 40.0, 90.0),
        ];
        let card = check_card(&lines, &ParseHints::default()).unwrap();
        for p in &card.phones {
            assert!(p.blocks.contains(&2), "{p:?}");
            if p.number.starts_with(fragment) {
                assert_eq!(p.blocks, vec![1, 2], "{p:?}");
            }
        }
    }
    let lines = vec![boxed("+49", 30.0, 40.0, 30.0), boxed("30 1234567", 70.0, 40.0, 100.0)];
    let card = check_card(&lines, &ParseHints::default()).unwrap();
    assert_eq!(card.phones.len(), 1, "{card:?}");
    assert_eq!(card.phones[0].blocks, vec![0, 1]);
    assert_eq!(card.phones[0].e164.as_deref(), Some("+49301234567"));
}
