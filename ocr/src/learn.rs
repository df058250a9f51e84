//! Learning from what users corrected: turn "the parser read X, the user saved Y" per field into
//! [`ParseHints`] for the next cards. Pure data in, data out — the service loads the corrections
//! from its database and passes the hints to [`crate::parse_card`].
//!
//! What is learned:
//! * every company name a user saved becomes a known company (a line equal to or containing it is
//!   the company next time);
//! * when the saved position differs from what was read (e.g. the parser called the line the
//!   company and the user moved it to position), the saved position's words that are not yet
//!   job-title words become title words — except words that belong to a known company name.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::parse::is_builtin_title_word;
use crate::ParseHints;

/// One field of a saved card: what the parser read and what the user saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// `company`, `position`, `first_name`, … (other fields are accepted and ignored).
    pub field: String,
    pub read: String,
    pub saved: String,
}

/// Most hints kept of each kind (newest first), so parsing stays fast however many cards were saved.
pub const MAX_LEARNED: usize = 5000;

const STOP_WORDS: &[&str] = &[
    "and", "the", "for", "with", "und", "der", "die", "das", "des", "den", "für", "von", "les", "pour", "aux", "del",
    "los", "las", "per", "della", "por", "для", "при",
];

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| c.is_whitespace() || matches!(c, ',' | '/' | '|' | '&' | '(' | ')' | ';' | ':'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-').trim_matches('-').to_lowercase())
        .filter(|w| !w.is_empty())
}

/// `base` extended with what `corrections` teach, newest correction first in `corrections`.
pub fn learn_hints(base: &ParseHints, corrections: &[Correction]) -> ParseHints {
    let mut hints = base.clone();
    let mut seen_companies: HashSet<String> = hints.known_companies.iter().map(|c| c.to_lowercase()).collect();
    for c in corrections.iter().filter(|c| c.field == "company") {
        let saved = norm(&c.saved);
        let letters = saved.chars().filter(|ch| ch.is_alphabetic()).count();
        if letters >= 3 && hints.known_companies.len() < MAX_LEARNED && seen_companies.insert(saved.to_lowercase()) {
            hints.known_companies.push(saved);
        }
    }
    let company_words: HashSet<String> =
        hints.known_companies.iter().flat_map(|c| words(c).collect::<Vec<_>>()).collect();
    let mut seen_titles: HashSet<String> = hints.title_words.iter().map(|t| t.to_lowercase()).collect();
    for c in corrections.iter().filter(|c| c.field == "position") {
        if norm(&c.saved).to_lowercase() == norm(&c.read).to_lowercase() {
            continue;
        }
        for w in words(&c.saved) {
            let ok = w.chars().count() >= 3
                && w.chars().all(|ch| ch.is_alphabetic() || ch == '-')
                && !STOP_WORDS.contains(&w.as_str())
                && !is_builtin_title_word(&w)
                && !company_words.contains(&w);
            if ok && hints.title_words.len() < MAX_LEARNED && seen_titles.insert(w.clone()) {
                hints.title_words.push(w);
            }
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn card(texts: &[(&str, f32)]) -> Vec<crate::Line> {
        use crate::Point;
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
                crate::Line { text: t.to_string(), confidence: 0.99, quad: q }
            })
            .collect()
    }

    fn value(f: &Option<crate::ParsedField>) -> &str {
        f.as_ref().map(|f| f.value.as_str()).unwrap_or("")
    }

    /// The company printed right under the name fools the layout rule; once a user fixed one card
    /// of that company, the next card of the same company is read right.
    #[test]
    fn a_correction_fixes_the_next_card_of_the_same_company() {
        let first = card(&[
            ("Nora Quist", 50.0),
            ("Hopfield Brewers", 30.0),
            ("Zymurgist", 26.0),
            ("Tel +1 212 555 0100", 24.0),
        ]);
        let cold = crate::parse_card(&first, &ParseHints::default());
        assert_eq!(value(&cold.position), "Hopfield Brewers");
        assert_eq!(value(&cold.company), "Zymurgist");
        let learned = learn_hints(
            &ParseHints::default(),
            &[
                corr("company", value(&cold.company), "Hopfield Brewers"),
                corr("position", value(&cold.position), "Zymurgist"),
            ],
        );
        let second = card(&[
            ("Olaf Berg", 50.0),
            ("Hopfield Brewers", 30.0),
            ("Zymurgist", 26.0),
            ("Mobile +1 917 555 0199", 24.0),
        ]);
        let before = crate::parse_card(&second, &ParseHints::default());
        let after = crate::parse_card(&second, &learned);
        assert_eq!((value(&before.company), value(&before.position)), ("Zymurgist", "Hopfield Brewers"));
        assert_eq!((value(&after.company), value(&after.position)), ("Hopfield Brewers", "Zymurgist"));
        assert_eq!(value(&after.full_name), "Olaf Berg");
    }
}
