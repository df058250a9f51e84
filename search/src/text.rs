//! Text folding shared by indexing, querying and highlighting, so the three always agree.
//!
//! The transliteration below is **the same table** as `dedup::normalize::to_ascii_lower`, which
//! the service's `service/src/server/text.rs::transliterate` calls (Cyrillic BGN/PCGN-like,
//! diacritics dropped). It is copied rather than depended on so this crate stays free of the
//! dedup crate's dependencies; if one changes, change the other (the test
//! `same_as_dedup_table` pins a few spellings).

use unicode_normalization::UnicodeNormalization;

/// Longest word (in chars) that is indexed or searched; longer words are cut to this.
pub const MAX_WORD_CHARS: usize = 64;

/// The service's own test for Cyrillic (`migration::search_words::has_cyrillic`).
pub fn has_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

fn cyr_translit(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "",
        'ы' => "y",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        // Ukrainian / Belarusian
        'і' => "i",
        'ї' => "yi",
        'є' => "ye",
        'ґ' => "g",
        'ў' => "u",
        _ => return None,
    })
}

/// Lower-case ASCII rendering of any text: Cyrillic transliterated (BGN/PCGN-like, the way
/// Russian names appear on business cards), diacritics removed (`é→e`, `ß→ss`, `ø→o`), anything
/// that is not a letter or digit turned into a space.
pub fn to_ascii_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    if s.is_ascii() {
        for b in s.bytes() {
            let c = b.to_ascii_lowercase() as char;
            out.push(if c.is_ascii_alphanumeric() || c == '@' || c == '.' || c == '-' || c == '_' { c } else { ' ' });
        }
        return out;
    }
    for ch in s.chars() {
        if ch.is_ascii() {
            let c = ch.to_ascii_lowercase();
            out.push(if c.is_ascii_alphanumeric() || c == '@' || c == '.' || c == '-' || c == '_' { c } else { ' ' });
            continue;
        }
        // fast path: Russian letters (most non-ASCII text on these cards)
        let fast = match ch {
            'А'..='Я' => char::from_u32(ch as u32 + 0x20),
            'Ё' => Some('ё'),
            'а'..='я' | 'ё' => Some(ch),
            _ => None,
        };
        if let Some(t) = fast.and_then(cyr_translit) {
            out.push_str(t);
            continue;
        }
        for lc in ch.to_lowercase() {
            if let Some(t) = cyr_translit(lc) {
                out.push_str(t);
                continue;
            }
            match latin_special(lc) {
                Some(t) => out.push_str(t),
                None => {
                    // decompose: base letters stay (other scripts as they are), accents go; a
                    // base that has a spelling of its own takes it ("ǽ" → "æ" → "ae")
                    let mut pushed = false;
                    for d in std::iter::once(lc).nfd() {
                        if let Some(t) = cyr_translit(d).or_else(|| latin_special(d)) {
                            out.push_str(t);
                            pushed = true;
                        } else if d.is_alphanumeric() {
                            out.push(d);
                            pushed = true;
                        }
                    }
                    if !pushed && !is_combining(lc) {
                        out.push(' ');
                    }
                }
            }
        }
    }
    out
}

/// Lower-case letters without a decomposition that are spelt otherwise in ASCII.
fn latin_special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ς' => "σ", // Greek final sigma
        _ => return None,
    })
}

fn is_combining(c: char) -> bool {
    ('\u{0300}'..='\u{036f}').contains(&c)
}

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
    fn same_as_dedup_table() {
        // the spellings service/src/server/text.rs tests (through dedup::normalize)
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
