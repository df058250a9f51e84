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
