//! Field normalisers: phones, e-mails, names, companies, addresses.
//!
//! Two kinds of output are produced:
//! * *readable* forms (`phone_e164`, `email`, `name_tokens`, `company`) that a UI may show;
//! * *matching keys* (`email_key`, `fold`) that also fold the confusions OCR and transliteration
//!   produce (`0/O`, `1/l`, `5/S`, `rn/m`, `c/e`, `kh/h`, `j/y`, doubled letters …). Keys are opaque:
//!   they are only ever compared for equality or similarity, never shown.
//!
//! Each kind of field has its module; the text folding they share, the phonetic key and the job
//! title are here.

mod address;
mod company;
mod email;
mod name;
mod phone;

pub use address::{address, parse_address, AddressParts, MAX_ADDRESS_BYTES};
pub use company::company;
pub use email::{email, email_domain, email_key, email_key_of_clean, website_domain};
pub use name::{first_name_key, folded_concat, folded_tokens, name_tokens, resolve_nick};
pub use phone::{phone_digits, phone_e164, phone_last7};

// ---------------------------------------------------------------------------------------------
// Text folding shared by names, companies and addresses
// ---------------------------------------------------------------------------------------------

/// Lower-case ASCII rendering of any text (the one transliteration table of cardcrm, in the
/// `translit` crate): Cyrillic spelt BGN/PCGN-like, the way Russian names appear on business
/// cards, diacritics removed, anything that is not a letter or digit turned into a space.
pub use translit::to_ascii_lower;

/// OCR fold of lower-case ASCII text: `0→o 1→l 5→s c→e rn→m`.
fn ocr_fold_into(s: &str, out: &mut String) {
    ocr_fold_each(s.as_bytes(), |c| out.push(c as char));
}

fn ocr_fold_each(b: &[u8], mut push: impl FnMut(u8)) {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'r' && i + 1 < b.len() && b[i + 1] == b'n' {
            push(b'm');
            i += 2;
            continue;
        }
        push(match c {
            b'0' => b'o',
            b'1' | b'|' => b'l',
            b'5' => b's',
            b'c' => b'e',
            _ => c,
        });
        i += 1;
    }
}

/// Matching fold of one lower-case ASCII name token: OCR confusions, transliteration variants
/// (`kh→h`, `j→y`, `w→v`, `x→ks`, `ph→f`, final `-iy/-ii/-yy→y`, initial `ye→e`, `yo→e`) and
/// doubled letters. Only ever compared, never shown.
pub fn fold(token: &str) -> String {
    if !token.is_ascii() {
        let t = to_ascii_lower(token);
        if t.is_ascii() {
            return fold(&t);
        }
        // scripts without a transliteration here (Greek, CJK, Arabic …) are kept as written
        return t.chars().filter(|c| c.is_alphanumeric()).collect();
    }
    // lower-case alphanumerics only, into a stack buffer (names are short)
    let mut low = [0u8; 64];
    let low_heap: Vec<u8>;
    let lowered: &[u8] = if token.len() <= low.len() {
        let mut n = 0;
        for b in token.bytes().filter(u8::is_ascii_alphanumeric) {
            low[n] = b.to_ascii_lowercase();
            n += 1;
        }
        &low[..n]
    } else {
        low_heap = token.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase()).collect();
        &low_heap
    };
    // OCR fold, also on the stack, then one output buffer for the rest
    let mut stack = [0u8; 64];
    let heap;
    let o: &[u8] = if lowered.len() <= stack.len() {
        let mut n = 0;
        ocr_fold_each(lowered, |c| {
            stack[n] = c;
            n += 1;
        });
        &stack[..n]
    } else {
        let mut v = Vec::with_capacity(lowered.len());
        ocr_fold_each(lowered, |c| v.push(c));
        heap = v;
        &heap
    };
    // transliteration variants (after OCR fold, so `c` has become `e`: "ch" → "eh", consistently)
    let mut s: Vec<u8> = Vec::with_capacity(o.len() + 4);
    let mut i = 0;
    while i < o.len() {
        let c = o[i];
        let next = o.get(i + 1).copied();
        match (c, next) {
            (b'k', Some(b'h')) => {
                s.push(b'h');
                i += 2;
            }
            (b'p', Some(b'h')) => {
                s.push(b'f');
                i += 2;
            }
            (b'y', Some(b'e')) | (b'y', Some(b'o')) if i == 0 => {
                s.push(b'e');
                i += 2;
            }
            (b'j', _) => {
                s.push(b'y');
                i += 1;
            }
            (b'w', _) => {
                s.push(b'v');
                i += 1;
            }
            (b'x', _) => {
                s.extend_from_slice(b"ks");
                i += 1;
            }
            _ => {
                s.push(c);
                i += 1;
            }
        }
    }
    for suf in [&b"iy"[..], b"ii", b"yy", b"yi"] {
        if s.len() > suf.len() + 2 && s.ends_with(suf) {
            s.truncate(s.len() - suf.len());
            s.push(b'y');
            break;
        }
    }
    // collapse doubled letters, in place
    let mut w = 0;
    for r in 0..s.len() {
        let c = s[r];
        if w == 0 || c != s[w - 1] || c.is_ascii_digit() {
            s[w] = c;
            w += 1;
        }
    }
    s.truncate(w);
    String::from_utf8(s).expect("ASCII")
}

/// Split lower-case ASCII text into alphanumeric tokens.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty())
}

/// Phonetic key of a folded token (Soundex-like, variable length up to 4): the first letter, then
/// consonant classes with vowels and repeats dropped. `smith`/`smyth`/`smithe` agree, as do
/// `petrova`/`petrowa`. Tokens of other scripts are cut to their first 4 characters.
pub fn phonetic(token: &str) -> String {
    sound(token).to_string()
}

/// [`phonetic`] without an allocation (at most 4 characters, so at most 16 bytes).
#[derive(Clone, Copy)]
pub(crate) struct Sound {
    buf: [u8; 16],
    len: u8,
}

impl std::ops::Deref for Sound {
    type Target = str;
    fn deref(&self) -> &str {
        // only whole characters are ever written
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl Sound {
    fn push(&mut self, c: char) {
        let n = c.len_utf8();
        if self.len as usize + n <= self.buf.len() {
            c.encode_utf8(&mut self.buf[self.len as usize..]);
            self.len += n as u8;
        }
    }
}

pub(crate) fn sound(token: &str) -> Sound {
    let mut out = Sound { buf: [0; 16], len: 0 };
    let mut chars = token.chars().filter(|c| c.is_alphanumeric());
    let Some(first) = chars.next() else { return out };
    if !token.is_ascii() {
        out.push(first);
        chars.take(3).for_each(|c| out.push(c));
        return out;
    }
    let class = |c: char| -> u8 {
        match c {
            'b' | 'f' | 'p' | 'v' => b'1',
            'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => b'2',
            'd' | 't' => b'3',
            'l' => b'4',
            'm' | 'n' => b'5',
            'r' => b'6',
            'h' | 'w' => b'-', // transparent: does not separate repeats
            _ => b'0',         // vowels, y and digits separate repeats
        }
    };
    let first = first.to_ascii_lowercase();
    out.push(first);
    let mut last = class(first);
    for c in chars {
        let k = class(c.to_ascii_lowercase());
        if k == b'-' {
            continue;
        }
        if k != b'0' && k != last {
            out.push(k as char);
            if out.len == 4 {
                break;
            }
        }
        last = k;
    }
    out
}

/// Normalised job title.
pub fn position(raw: &str) -> String {
    address(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_national_and_international() {
        assert_eq!(phone_e164("+7 (916) 123-45-67", "US").as_deref(), Some("+79161234567"));
        assert_eq!(phone_e164("8 (916) 123-45-67", "RU").as_deref(), Some("+79161234567"));
        assert_eq!(phone_e164("(212) 555-0142", "US").as_deref(), Some("+12125550142"));
        assert_eq!(phone_e164("+1 212-555-0142", "DE").as_deref(), Some("+12125550142"));
        assert_eq!(phone_e164("0049 30 1234567", "US").as_deref(), Some("+49301234567"));
        assert_eq!(phone_e164("030 1234567", "DE").as_deref(), Some("+49301234567"));
        assert_eq!(phone_e164("+49 (0) 30 1234567", "US").as_deref(), Some("+49301234567"));
        assert_eq!(phone_e164("call me", "US"), None);
        // a Russian/German national number read with the wrong region is not made up
        assert_eq!(phone_e164("8 (916) 123-45-67", "US"), None);
        assert_eq!(phone_e164("0471 2037456", "US"), None);
        assert_eq!(phone_e164("(367) 544-7248", "US").as_deref(), Some("+13675447248"));
        assert_eq!(phone_e164("123", "US"), None);
        assert_eq!(phone_last7("8 (916) 123-45-67").as_deref(), Some("1234567"));
        assert_eq!(phone_last7("+7 916 1234567 ext. 89").as_deref(), Some("1234567"));
        assert_eq!(phone_digits("+44 20 7946 0958"), "442079460958");
    }

    #[test]
    fn emails_case_whitespace_ocr() {
        assert_eq!(email(" Anna.Petrova @ACME.com ").as_deref(), Some("anna.petrova@acme.com"));
        assert_eq!(email("mailto:<bob@x.org>").as_deref(), Some("bob@x.org"));
        assert_eq!(email("not an email"), None);
        assert_eq!(email("a@b"), None);
        // OCR confusions fold to the same key
        let k = email_key("anna.petrova@acme.com").unwrap();
        assert_eq!(email_key("Anna.Petr0va@acme.com").unwrap(), k);
        assert_eq!(email_key("anna.pctrova@acme.com").unwrap(), k);
        assert_eq!(email_key("wi11iam@acme.com"), email_key("william@acme.com"));
        assert_eq!(email_key("sam@rnail.com"), email_key("sam@mail.com"));
        assert_eq!(email_key("S5@x.com"), email_key("ss@x.com"));
        // a namesake's numbered address stays different
        assert_ne!(email_key("anna.petrova2@acme.com").unwrap(), k);
    }

    #[test]
    fn names_cyrillic_diacritics_nicknames() {
        assert_eq!(name_tokens("Анна Петрова"), vec!["anna", "petrova"]);
        assert_eq!(name_tokens("Tимофей Гусева")[1], "guseva");
        assert_eq!(name_tokens("José Müller-Lüdenscheidt"), vec!["jose", "muller", "ludenscheidt"]);
        assert_eq!(name_tokens("Bob Smith"), vec!["robert", "smith"]);
        assert_eq!(name_tokens("Саша Князев"), vec!["aleksandr", "knyazev"]);
        assert_eq!(name_tokens("Sasha Knyazev"), vec!["aleksandr", "knyazev"]);
        // transliterated and Cyrillic forms fold together
        assert_eq!(first_name_key("Януарий"), first_name_key("Yanuariy"));
        assert_eq!(first_name_key("Дмитрий"), first_name_key("Dmitry"));
        assert_eq!(first_name_key("Дима"), first_name_key("Dmitriy"));
        assert_eq!(first_name_key("Михаил"), first_name_key("Misha"));
        assert_eq!(first_name_key("Катя"), first_name_key("Ekaterina"));
        assert_eq!(first_name_key("Екатерина"), first_name_key("Yekaterina"));
        assert_eq!(fold(&to_ascii_lower("Хохлова")), fold("hohlova"));
        assert_eq!(first_name_key("Bill"), first_name_key("William"));
        assert_eq!(first_name_key("Liz"), first_name_key("elizabeth"));
        // OCR confusions in names
        assert_eq!(fold("kohl"), fold("koh1"));
        assert_eq!(fold("hermann"), fold("herrnann"));
        assert_eq!(fold("becker"), fold("bccker"));
        assert_ne!(first_name_key("Anna"), first_name_key("Hanna"));
    }

    #[test]
    fn other_scripts_are_kept() {
        assert_eq!(fold("王小明"), "王小明");
        assert_eq!(name_tokens("王 小明"), vec!["王", "小明"]);
        assert_eq!(first_name_key("Νίκος"), first_name_key("νικος"));
        assert_eq!(folded_concat("Παπαδόπουλος"), folded_concat("ΠΑΠΑΔΟΠΟΥΛΟΣ"));
        assert_eq!(company("株式会社 ソニー"), "株式会社 ソニー");
    }

    #[test]
    fn companies_drop_legal_forms() {
        assert_eq!(company("Acme, Inc."), "acme");
        assert_eq!(company("Acme Inc"), "acme");
        assert_eq!(company("Acme LLC"), "acme");
        assert_eq!(company("Haase Salz GmbH"), "haase salz");
        assert_eq!(company("Haase Salz GmbH & Co. KG"), "haase salz");
        assert_eq!(company("Pratt Ltd"), company("Pratt Limited"));
        assert_eq!(company("ООО «Ромашка»"), "romashka");
        assert_eq!(company("«Ромашка»"), "romashka");
        assert_eq!(company("Dupont S.A.R.L."), "dupont");
        assert_eq!(company("Weiß GmbH"), "weiss");
        assert_eq!(company("Smith, Jones and Brown"), "smith jones brown");
        assert_eq!(company("GmbH"), "gmbh");
    }

    #[test]
    fn addresses_parse_into_parts() {
        let p = |raw: &str| {
            let a = parse_address(raw);
            (a.number, a.street, a.locality, a.postcode)
        };
        let own = |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
        // FEBRL layout, a compound with a typo'd type word joined on, a missing number
        assert_eq!(
            p("44 Forbes Street, Wintersloe, Kellerberrin VIC 4510"),
            own("44", "forbes", "vintersloe kelerberin", "4510")
        );
        assert_eq!(p("177 pridhamstreet, milton, marsden nsw 3165").1, "pridham");
        assert_eq!(p("forbes street, wintersloe, kellerberrin vic 4510").0, "");
        // US with a unit, German compound, French number first
        assert_eq!(
            p("4646 Cunningham Alley Apt. 616, North Elizabethfurt, NE 29373"),
            own("4646", "euningham", "north elizabethfurt", "29373")
        );
        assert_eq!(p("Putzstraße 901, 87520 Eisenberg"), own("901", "putz", "eisenberg", "87520"));
        assert_eq!(p("30, rue Éric Traore, 81548 Lyon").0, "30");
        // Russian, both orders, house and building numbers, a village before the street
        assert_eq!(p("ул. Тверская, д. 7, Москва, 125009"), own("7", "tverskaya", "moskva", "125009"));
        assert_eq!(p("125009, Москва, ул. Тверская 7"), own("7", "tverskaya", "moskva", "125009"));
        assert_eq!(p("д. Глазов, пер. Моховой, д. 3/4 стр. 2, 185145"), own("3", "mohovoy", "glazov", "185145"));
        // the same street typed in Cyrillic and in Latin letters parses alike
        assert_eq!(p("ул. Тверская, д. 7, Москва, 125009"), p("ul. Tverskaya, d. 7, Moskva, 125009"));
        // a suburb named like a street does not take the street's place
        assert_eq!(p("49 Montefiore Crescent, Edith Hall, Raymond Terrace VIC 2226").1, "montefiore");
        // a building name before the street: the street is kept as the alternative reading
        let a = parse_address("10 Courallie, Lander Crescent, Northgate 4217");
        assert_eq!((a.street.as_str(), a.street_alt.as_str()), ("eouralie", "lander"));
        assert_eq!(parse_address(""), AddressParts::default());
        assert_eq!(parse_address(" , ;\n"), AddressParts::default());
    }

    #[test]
    fn phonetic_keys() {
        // (keys are made from folded names: "w" has become "v")
        let k = |t: &str| phonetic(&fold(t));
        assert_eq!(k("smith"), k("smyth"));
        assert_eq!(k("petrova"), k("petrowa"));
        assert_eq!(k("kuhnt"), k("kuhndt"));
        assert_ne!(phonetic("smith"), phonetic("jones"));
        assert_eq!(phonetic("washington").len(), 4);
        assert_eq!(phonetic(""), "");
        assert_eq!(phonetic("王小明"), "王小明");
    }

    #[test]
    fn domains() {
        assert_eq!(website_domain("https://www.Acme.com/about").as_deref(), Some("acme.com"));
        assert_eq!(website_domain("www.acme.com").as_deref(), Some("acme.com"));
        assert_eq!(email_domain("a@gmail.com"), None);
        assert_eq!(email_domain("a@acme.com").as_deref(), Some("acme.com"));
    }
}
