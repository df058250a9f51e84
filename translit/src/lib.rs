//! Cyrillic written in Latin letters, and text folded to lower-case ASCII — **one table** for the
//! whole of cardcrm: the duplicate matcher (`dedup`), the search index (`search`), the database
//! search's words (`service::platform::text`), the card reader's e-mail agreement checks (`ocr`) and the
//! demo data all read it here, so a name is spelt the same way wherever it is compared.
//!
//! Each letter has two spellings ([`Scheme`]): the usual one (BGN/PCGN-like, the way Russian
//! names appear on business cards and in passports: `й` → `y`, `х` → `kh`, `ц` → `ts`,
//! `щ` → `shch`) and the simple one people often use in e-mail addresses and logins
//! (`й` → `i`, `х` → `h`, `ц` → `c`, `щ` → `sh`).
//!
//! No dependencies but `unicode-normalization`; builds for the browser too.

use unicode_normalization::UnicodeNormalization;

/// Which spelling of a Cyrillic letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// BGN/PCGN-like: `Хрущёв` → `khrushchev`, `Юрий` → `yuriy`.
    Usual,
    /// As in e-mail addresses: `Хрущёв` → `hrushev`, `Юрий` → `yurii`.
    Simple,
}

/// (lower-case letter, usual spelling, simple spelling)
const TABLE: [(char, &str, &str); 38] = [
    ('а', "a", "a"),
    ('б', "b", "b"),
    ('в', "v", "v"),
    ('г', "g", "g"),
    ('д', "d", "d"),
    ('е', "e", "e"),
    ('ё', "e", "e"),
    ('ж', "zh", "zh"),
    ('з', "z", "z"),
    ('и', "i", "i"),
    ('й', "y", "i"),
    ('к', "k", "k"),
    ('л', "l", "l"),
    ('м', "m", "m"),
    ('н', "n", "n"),
    ('о', "o", "o"),
    ('п', "p", "p"),
    ('р', "r", "r"),
    ('с', "s", "s"),
    ('т', "t", "t"),
    ('у', "u", "u"),
    ('ф', "f", "f"),
    ('х', "kh", "h"),
    ('ц', "ts", "c"),
    ('ч', "ch", "ch"),
    ('ш', "sh", "sh"),
    ('щ', "shch", "sh"),
    ('ъ', "", ""),
    ('ы', "y", "y"),
    ('ь', "", ""),
    ('э', "e", "e"),
    ('ю', "yu", "yu"),
    ('я', "ya", "ya"),
    // Ukrainian / Belarusian
    ('і', "i", "i"),
    ('ї', "yi", "yi"),
    ('є', "ye", "ye"),
    ('ґ', "g", "g"),
    ('ў', "u", "u"),
];

/// The Latin spelling of a lower-case Cyrillic letter; `None` for any other character.
pub fn cyrillic(c: char, scheme: Scheme) -> Option<&'static str> {
    let i = match c {
        'а'..='е' => c as usize - 'а' as usize,
        'ё' => 6,
        'ж'..='я' => c as usize - 'ж' as usize + 7,
        'і' => 33,
        'ї' => 34,
        'є' => 35,
        'ґ' => 36,
        'ў' => 37,
        _ => return None,
    };
    let (_, usual, simple) = TABLE[i];
    Some(match scheme {
        Scheme::Usual => usual,
        Scheme::Simple => simple,
    })
}

/// Whether `s` holds a Cyrillic letter (the Unicode block U+0400–U+04FF).
pub fn has_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

/// Latin letters with a spelling of their own (not a base letter and an accent).
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

/// Lower-case ASCII rendering of any text in the usual scheme: Cyrillic transliterated,
/// diacritics removed (`é` → `e`, `ß` → `ss`, `ø` → `o`), other scripts' letters kept as they
/// are, anything that is not a letter, a digit or one of `@ . - _` turned into a space.
pub fn to_ascii_lower(s: &str) -> String {
    to_ascii_lower_as(s, Scheme::Usual)
}

/// [`to_ascii_lower`] with Cyrillic spelt in `scheme`.
pub fn to_ascii_lower_as(s: &str, scheme: Scheme) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '@' || c == '.' || c == '-' || c == '_';
    let mut out = String::with_capacity(s.len() + 4);
    if s.is_ascii() {
        for b in s.bytes() {
            let c = b.to_ascii_lowercase() as char;
            out.push(if keep(c) { c } else { ' ' });
        }
        return out;
    }
    for ch in s.chars() {
        if ch.is_ascii() {
            let c = ch.to_ascii_lowercase();
            out.push(if keep(c) { c } else { ' ' });
            continue;
        }
        // fast path: Russian letters (most non-ASCII text on these cards)
        let fast = match ch {
            'А'..='Я' => char::from_u32(ch as u32 + 0x20),
            'Ё' => Some('ё'),
            'а'..='я' | 'ё' => Some(ch),
            _ => None,
        };
        if let Some(t) = fast.and_then(|c| cyrillic(c, scheme)) {
            out.push_str(t);
            continue;
        }
        for lc in ch.to_lowercase() {
            if let Some(t) = cyrillic(lc, scheme) {
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
                        if let Some(t) = cyrillic(d, scheme).or_else(|| latin_special(d)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lower_case_letter_is_in_the_table_in_its_place() {
        for (c, usual, simple) in TABLE {
            assert_eq!(cyrillic(c, Scheme::Usual), Some(usual), "{c}");
            assert_eq!(cyrillic(c, Scheme::Simple), Some(simple), "{c}");
        }
        for c in ('а'..='я').chain(['ё', 'і', 'ї', 'є', 'ґ', 'ў']) {
            assert!(cyrillic(c, Scheme::Usual).is_some(), "{c} missing");
        }
        assert_eq!(cyrillic('a', Scheme::Usual), None);
        assert_eq!(cyrillic('Я', Scheme::Usual), None, "upper case is lowered by the callers");
    }

    #[test]
    fn names_in_both_schemes() {
        assert_eq!(to_ascii_lower("Анна Петрова"), "anna petrova");
        assert_eq!(to_ascii_lower("Хрущёв Юрий"), "khrushchev yuriy");
        assert_eq!(to_ascii_lower_as("Хрущёв Юрий", Scheme::Simple), "hrushev yurii");
        assert_eq!(to_ascii_lower("Цой"), "tsoy");
        assert_eq!(to_ascii_lower_as("Цой", Scheme::Simple), "coi");
        assert_eq!(to_ascii_lower("Ёлкин"), "elkin");
        assert_eq!(to_ascii_lower("Ґалій Їжак"), "galiy yizhak");
    }

    #[test]
    fn latin_letters_lose_their_accents() {
        assert_eq!(to_ascii_lower("Müller"), "muller");
        assert_eq!(to_ascii_lower("Straße"), "strasse");
        assert_eq!(to_ascii_lower("Søren Łukasz"), "soren lukasz");
        assert_eq!(to_ascii_lower("François-Noël"), "francois-noel");
        assert_eq!(to_ascii_lower("ǽ"), "ae");
    }

    #[test]
    fn punctuation_becomes_space_but_addresses_keep_their_signs() {
        assert_eq!(to_ascii_lower("A.Petrova@Acme.ru, +7"), "a.petrova@acme.ru   7");
        assert_eq!(to_ascii_lower("«Ромашка»"), " romashka ");
        assert_eq!(to_ascii_lower("東京 Tokyo"), "東京 tokyo");
    }

    #[test]
    fn cyrillic_is_found() {
        assert!(has_cyrillic("Anna Петрова"));
        assert!(!has_cyrillic("Anna Petrova"));
    }
}
