//! Text folding shared by indexing, querying and highlighting, so the three always agree.
//!
//! The transliteration is cardcrm's one table (the `translit` crate), the same the duplicate
//! matcher and the database search use (Cyrillic BGN/PCGN-like, diacritics dropped).

/// Longest word (in chars) that is indexed or searched; longer words are cut to this.
pub const MAX_WORD_CHARS: usize = 64;

pub use translit::{has_cyrillic, to_ascii_lower};

/// `s` cut to at most `MAX_WORD_CHARS` chars.
pub fn cap(s: &str) -> &str {
    match s.char_indices().nth(MAX_WORD_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The indexed spellings of one word (a run of alphanumerics): lower-case as written and, when
/// that differs, the folded (transliterated, accent-free) spelling. At most two, each capped.
pub fn word_forms(word: &str) -> Vec<String> {
    let lower = cap(&word.to_lowercase()).to_string();
    let mut out = Vec::with_capacity(2);
    if lower.is_empty() {
        return out;
    }
    if lower.is_ascii() {
        out.push(lower);
        return out;
    }
    let folded: String = to_ascii_lower(&lower).chars().filter(|c| c.is_alphanumeric()).collect();
    let folded = cap(&folded).to_string();
    out.push(lower);
    if !folded.is_empty() && folded != out[0] {
        out.push(folded);
    }
    out
}

/// Words of `text` (maximal runs of alphanumerics) with their byte offsets.
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = rest.peek() {
            if c.is_alphanumeric() {
                break;
            }
            rest.next();
        }
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = rest.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        Some((start, &text[start..end]))
    })
}

/// Digits of `s`, in order.
pub fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_table_as_the_matcher() {
        // one table (the translit crate): the index spells as the duplicate matcher does
        assert_eq!(to_ascii_lower("Анна Петрова"), "anna petrova");
        assert!(to_ascii_lower("Щукин").starts_with("shchukin"));
        assert_eq!(to_ascii_lower("Müller"), "muller");
        assert_eq!(to_ascii_lower("Ёлкин"), "elkin");
    }

    #[test]
    fn forms_of_cyrillic_and_latin() {
        assert_eq!(word_forms("Иванов"), vec!["иванов".to_string(), "ivanov".to_string()]);
        assert_eq!(word_forms("Ivanov"), vec!["ivanov".to_string()]);
        assert_eq!(word_forms("Müller"), vec!["müller".to_string(), "muller".to_string()]);
    }

    #[test]
    fn words_with_offsets() {
        let w: Vec<_> = words("  Anna-Maria  O'Brien, Иван").collect();
        assert_eq!(w, vec![(2, "Anna"), (7, "Maria"), (14, "O"), (16, "Brien"), (23, "Иван")]);
    }

    #[test]
    fn caps_long_words() {
        let long = "я".repeat(200);
        assert_eq!(cap(&long).chars().count(), MAX_WORD_CHARS);
        assert!(word_forms(&long).iter().all(|f| f.chars().count() <= MAX_WORD_CHARS));
    }
}
