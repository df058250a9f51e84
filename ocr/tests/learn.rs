//! Learning from corrections: what users saved teaches the parser (`ocr::learn_hints`), and the
//! hints change how the next card is parsed.

use ocr::{learn_hints, Correction, ParseHints};

fn corr(field: &str, read: &str, saved: &str) -> Correction {
    Correction { field: field.into(), read: read.into(), saved: saved.into() }
}

#[test]
fn companies_and_title_words_are_learned() {
    let h = learn_hints(
        &ParseHints::default(),
        &[
            corr("company", "Zymurgist", "Quist Brewing"),
            corr("position", "", "Zymurgist, Cellar Lead"),
            corr("company", "Quist brewing", "quist  brewing"),
            corr("company", "", "AB"),
            corr("position", "Sales Manager", "Sales Manager"),
            corr("position", "Quist", "Head Brewing Quist"),
        ],
    );
    assert_eq!(h.known_companies, vec!["Quist Brewing".to_string()]);
    // "lead" and "head" are built-in title words; "brewing"/"quist" belong to a known company.
    assert_eq!(h.title_words, vec!["zymurgist".to_string(), "cellar".to_string()]);
    assert_eq!(h.default_region, "US");
}

fn card(texts: &[(&str, f32)]) -> Vec<ocr::Line> {
    use ocr::Point;
    let mut y = 10.0;
    texts
        .iter()
        .map(|(t, h)| {
            let w = 20.0 * t.chars().count() as f32;
            let q = [
                Point { x: 50.0, y },
                Point { x: 50.0 + w, y },
                Point { x: 50.0 + w, y: y + h },
                Point { x: 50.0, y: y + h },
            ];
            y += h * 1.4;
            ocr::Line { text: t.to_string(), confidence: 0.99, quad: q }
        })
        .collect()
}

fn value(f: &Option<ocr::ParsedField>) -> &str {
    f.as_ref().map(|f| f.value.as_str()).unwrap_or("")
}

#[test]
fn a_known_company_read_with_a_wrong_accent_gets_the_saved_spelling() {
    let lines = card(&[("Anaïs Roux", 50.0), ("Directrice", 28.0), ("Lévèque SARL", 28.0)]);
    let hints = learn_hints(&ParseHints::default(), &[corr("company", "Lévèque SARL", "Lévêque SARL")]);
    assert_eq!(value(&ocr::parse_card(&lines, &ParseHints::default()).company), "Lévèque SARL");
    assert_eq!(value(&ocr::parse_card(&lines, &hints).company), "Lévêque SARL");
}

/// The company printed right under the name fools the layout rule; once a user fixed one card
/// of that company, the next card of the same company is read right.
#[test]
fn a_correction_fixes_the_next_card_of_the_same_company() {
    let first =
        card(&[("Nora Quist", 50.0), ("Hopfield Brewers", 30.0), ("Zymurgist", 26.0), ("Tel +1 212 555 0100", 24.0)]);
    let cold = ocr::parse_card(&first, &ParseHints::default());
    assert_eq!(value(&cold.position), "Hopfield Brewers");
    assert_eq!(value(&cold.company), "Zymurgist");
    let learned = learn_hints(
        &ParseHints::default(),
        &[
            corr("company", value(&cold.company), "Hopfield Brewers"),
            corr("position", value(&cold.position), "Zymurgist"),
        ],
    );
    let second =
        card(&[("Olaf Berg", 50.0), ("Hopfield Brewers", 30.0), ("Zymurgist", 26.0), ("Mobile +1 917 555 0199", 24.0)]);
    let before = ocr::parse_card(&second, &ParseHints::default());
    let after = ocr::parse_card(&second, &learned);
    assert_eq!((value(&before.company), value(&before.position)), ("Zymurgist", "Hopfield Brewers"));
    assert_eq!((value(&after.company), value(&after.position)), ("Hopfield Brewers", "Zymurgist"));
    assert_eq!(value(&after.full_name), "Olaf Berg");
}
