//! Text normalisation used when storing contacts: phone numbers to E.164, e-mail keys,
//! Cyrillic transliteration, and the text the search index covers.

/// Lower-case ASCII: Cyrillic transliterated, diacritics removed (the dedup crate's rendering).
pub fn transliterate(s: &str) -> String {
    dedup::normalize::to_ascii_lower(s)
}

/// One definition for the search text, the query words and the search vocabulary, which the
/// migration that creates it must reach too.
pub use migration::search_words::has_cyrillic;

/// E.164 form of `raw`, national numbers read in `region` (the dedup crate's normaliser, so the
/// stored key and the duplicate keys agree).
pub fn phone_e164(raw: &str, region: &str) -> Option<String> {
    dedup::normalize::phone_e164(raw, region)
}

pub fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// The key an e-mail address is matched by: trimmed and lower-cased.
pub fn email_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// A plausible e-mail address: one `@`, a dotted domain, no spaces.
pub fn is_email(address: &str) -> bool {
    let a = address.trim();
    let Some((user, domain)) = a.split_once('@') else { return false };
    !user.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !a.chars().any(char::is_whitespace)
        && a.len() <= 254
}

/// Lower-cased text with Cyrillic also spelled in Latin, so either spelling finds the contact.
pub fn searchable(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        let lower = p.to_lowercase();
        out.push_str(&lower);
        if has_cyrillic(&lower) {
            out.push(' ');
            out.push_str(&transliterate(&lower));
        }
    }
    out
}

/// A stable, readable colour for a tag that was created without one.
pub fn color_for(name: &str) -> String {
    const PALETTE: [&str; 10] =
        ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4f46e5", "#059669"];
    let h = name.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    PALETTE[(h as usize) % PALETTE.len()].to_string()
}

pub fn is_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transliterates_russian_names() {
        assert_eq!(transliterate("Анна Петрова"), "anna petrova");
        assert!(transliterate("Щукин").starts_with("shchukin"));
    }

    #[test]
    fn phones_to_e164() {
        assert_eq!(phone_e164("+7 916 123-45-67", "US").as_deref(), Some("+79161234567"));
        assert_eq!(phone_e164("(917) 857-0839", "US").as_deref(), Some("+19178570839"));
        assert_eq!(phone_e164("8 (916) 123-45-67", "RU").as_deref(), Some("+79161234567"));
        assert_eq!(phone_e164("+44 (0) 20 9876 5432", "US").as_deref(), Some("+442098765432"));
        assert_eq!(phone_e164("12", "US"), None);
    }

    #[test]
    fn emails() {
        assert!(is_email("anna@acme.com"));
        assert!(!is_email("anna@acme"));
        assert!(!is_email("anna acme.com"));
        assert!(!is_email("a@b@c.com"));
        assert_eq!(email_key("  Anna@ACME.com "), "anna@acme.com");
    }

    #[test]
    fn searchable_text_has_both_scripts() {
        let s = searchable(&["Анна", "", "Acme"]);
        assert_eq!(s, "анна anna acme");
    }
}
