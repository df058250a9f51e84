//! Small text measures shared by the steps: words in lower case, keyword look-up, letter and digit counts.

/// The first `max` characters of `s`.
pub(super) fn truncate_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

pub(super) fn words_lower(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '/' || c == '|')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

pub(super) fn has_word(s: &str, list: &[&str]) -> bool {
    let ws = words_lower(s);
    ws.iter()
        .any(|w| list.contains(&w.as_str()) || list.contains(&w.trim_end_matches(['.', ':', ';']).to_string().as_str()))
        || list.iter().any(|k| k.contains(' ') && s.to_lowercase().contains(k))
}

pub(super) fn count_digits(s: &str) -> usize {
    s.chars().filter(|c| c.is_ascii_digit()).count()
}

pub(super) fn count_letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}
