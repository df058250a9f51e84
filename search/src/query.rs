//! Query words: how a typed query is cut into pieces, each of which must match some field.

use crate::text::{cap, digits, word_forms, words};

/// At most this many pieces (words) per query are searched; the rest of the query is ignored.
pub const MAX_PIECES: usize = 8;

/// One piece of the query that must match (AND) some field.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// A run of digits (from a phone-like word with at least 3 digits): found anywhere in a
    /// phone number, or as a whole word in the text fields.
    Digits(String),
    /// A word: its spellings (as typed, lower-case, and transliterated/accent-free when that
    /// differs), whether prefix matching applies and the allowed typo distance.
    Word { forms: Vec<String>, prefix: bool, typo_distance: u8 },
}

/// One whitespace-separated query word: its pieces (all must match) and, for a word with inner
/// punctuation ("anna.petrova@acme"), the whole word, which may instead match an e-mail address
/// or its local part (exactly or as a prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub whole: Option<String>,
    pub pieces: Vec<Piece>,
}

/// Allowed typo distance for a word of `n` chars: 1 from 4 chars, 2 from 8.
pub fn typo_distance(n: usize) -> u8 {
    match n {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn phone_like(w: &str) -> bool {
    digits(w).len() >= 3 && w.chars().all(|c| c.is_ascii_digit() || "+-().".contains(c))
}

/// Cuts a query into groups; at most [`MAX_PIECES`] pieces in all, each word at most
/// [`crate::text::MAX_WORD_CHARS`] chars. Reads at most 32 whitespace-separated words of the input,
/// so the work does not grow with the input's length.
pub fn parse(q: &str) -> Vec<Group> {
    // Adjacent words made only of phone characters are one number ("+7 916 123-45-67").
    let mut raw: Vec<String> = Vec::new();
    let mut in_number = false;
    for w in q.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).take(4 * MAX_PIECES) {
        let w = cap(w);
        let number = w.chars().all(|c| c.is_ascii_digit() || "+-().".contains(c));
        match raw.last_mut() {
            Some(last) if number && in_number && last.len() < 4 * crate::text::MAX_WORD_CHARS => last.push_str(w),
            _ => raw.push(w.to_string()),
        }
        in_number = number;
    }
    raw.truncate(MAX_PIECES);
    let mut out = Vec::new();
    let mut budget = MAX_PIECES;
    let n_raw = raw.len();
    for (i, word) in raw.iter().enumerate() {
        if budget == 0 {
            break;
        }
        let last = i + 1 == n_raw;
        let lower = cap(word).to_lowercase();
        let lower = cap(&lower);
        if phone_like(lower) {
            let d = digits(lower);
            out.push(Group { whole: None, pieces: vec![Piece::Digits(cap(&d).to_string())] });
            budget -= 1;
            continue;
        }
        let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric());
        if trimmed.is_empty() {
            continue;
        }
        let ws: Vec<&str> = words(trimmed).map(|(_, w)| w).collect();
        let n_ws = ws.len();
        let mut pieces = Vec::new();
        for (j, w) in ws.into_iter().enumerate() {
            if budget == 0 {
                break;
            }
            let is_last = last && j + 1 == n_ws;
            let forms = word_forms(w);
            if forms.is_empty() {
                continue;
            }
            // the shortest spelling decides: a Cyrillic word's transliteration is longer
            let n = forms.iter().map(|f| f.chars().count()).min().unwrap_or(0);
            let has_alpha = w.chars().any(char::is_alphabetic);
            // As you type: the query's last piece from 2 letters, the end of an earlier word
            // from 3; the inner pieces of a word with punctuation ("hans" and "peter" in
            // "hans-peter.wernecke") are whole words (their prefixes cost the most to intersect).
            let prefix = if is_last { n >= 2 } else { j + 1 == n_ws && n >= 3 };
            let typo_distance = if has_alpha { typo_distance(n) } else { 0 };
            pieces.push(Piece::Word { forms, prefix, typo_distance });
            budget -= 1;
        }
        if pieces.is_empty() {
            continue;
        }
        let whole = (n_ws > 1 || trimmed.contains('@')).then(|| trimmed.to_string());
        out.push(Group { whole, pieces });
    }
    debug_assert!(out.iter().map(|g| g.pieces.len()).sum::<usize>() <= MAX_PIECES);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_digits_and_emails() {
        let g = parse("Petr  +7(916)123 anna.petrova@acme");
        assert_eq!(g.len(), 3);
        assert!(
            matches!(&g[0].pieces[0], Piece::Word { forms, prefix: true, typo_distance: 1 } if forms == &vec!["petr".to_string()])
        );
        assert_eq!(g[1].pieces, vec![Piece::Digits("7916123".into())]);
        assert_eq!(g[2].whole.as_deref(), Some("anna.petrova@acme"));
        assert_eq!(g[2].pieces.len(), 3);
        let g = parse("+7 (916) 123-45-67 anna");
        assert_eq!(g[0].pieces, vec![Piece::Digits("79161234567".into())]);
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn caps_pieces() {
        let g = parse("a.b.c.d.e.f.g.h.i.j k l m");
        assert_eq!(g.iter().map(|g| g.pieces.len()).sum::<usize>(), MAX_PIECES);
        let g = parse(&"x ".repeat(10_000));
        assert_eq!(g.len(), MAX_PIECES);
    }

    #[test]
    fn cyrillic_query_word_has_both_spellings() {
        let g = parse("Иванов");
        assert!(
            matches!(&g[0].pieces[0], Piece::Word { forms, .. } if forms == &vec!["иванов".to_string(), "ivanov".to_string()])
        );
    }
}
