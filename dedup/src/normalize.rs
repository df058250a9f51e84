//! Field normalisers: phones, e-mails, names, companies, addresses.
//!
//! Two kinds of output are produced:
//! * *readable* forms (`phone_e164`, `email`, `name_tokens`, `company`) that a UI may show;
//! * *matching keys* (`email_key`, `fold`) that also fold the confusions OCR and transliteration
//!   produce (`0/O`, `1/l`, `5/S`, `rn/m`, `c/e`, `kh/h`, `j/y`, doubled letters …). Keys are opaque:
//!   they are only ever compared for equality or similarity, never shown.

use std::collections::HashMap;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

/// Digits of a phone number as written, with an international `00` prefix dropped.
/// `+7 (916) 123-45-67` → `79161234567`; `8 916 123 45 67` → `89161234567`.
pub fn phone_digits(raw: &str) -> String {
    let core = strip_extension(raw).trim_start();
    let d: String = core.chars().filter_map(ascii_digit).collect();
    // "00 49 30 …" is the international prefix; "(003) 429-…" is not
    if core.starts_with("00") && d.len() > 9 {
        d[2..].to_string()
    } else {
        d
    }
}

fn ascii_digit(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        Some(c)
    } else if c.is_numeric() {
        // full-width / other script digits
        c.to_digit(10).and_then(|v| char::from_digit(v, 10))
    } else {
        None
    }
}

/// Cut "ext. 12", "x12", "доб. 12" off a phone string.
fn strip_extension(raw: &str) -> &str {
    if raw.bytes().all(|b| b.is_ascii_digit() || b" +-()./".contains(&b)) {
        return raw;
    }
    let lower = raw.to_lowercase();
    if lower.len() != raw.len() {
        return raw; // case mapping changed byte offsets: leave such strings alone
    }
    for pat in ["ext", "доб", "#", " x"] {
        if let Some(p) = lower.find(pat) {
            if p > 0 && raw.is_char_boundary(p) {
                return &raw[..p];
            }
        }
    }
    raw
}

/// E.164 form (`+79161234567`) of a phone written in national or international form.
/// `region` is the ISO 3166 code used for numbers written without a country code ("US", "RU", "DE").
/// Returns `None` when the string cannot be a phone number in that region.
pub fn phone_e164(raw: &str, region: &str) -> Option<String> {
    let core = strip_extension(raw).trim();
    let digits = phone_digits(core);
    if digits.len() < 5 || digits.len() > 17 {
        return None;
    }
    let international = core.starts_with('+') || (core.starts_with("00") && digits.len() > 9);
    if core.starts_with('+') {
        // Written internationally: E.164 is "+" and the digits, less a "(0)" trunk prefix some
        // people insert ("+49 (0)30 …"). No metadata needed, and this is the hot path.
        let d: std::borrow::Cow<str> = if core.contains("(0)") {
            phone_digits(&core.replacen("(0)", "", 1)).into()
        } else {
            digits.as_str().into()
        };
        return (8..=15).contains(&d.len()).then(|| format!("+{d}"));
    }
    let region_id: Option<phonenumber::country::Id> = region.trim().to_ascii_uppercase().parse().ok();
    // libphonenumber wants "+…" for numbers written with "00".
    let to_parse: std::borrow::Cow<str> =
        if !core.starts_with('+') && international { format!("+{digits}").into() } else { core.into() };
    match phonenumber::parse(if international { None } else { region_id }, to_parse.as_ref()) {
        Ok(pn) => {
            let national = pn.national().to_string();
            if national.len() < 4 {
                return None;
            }
            // A national number that does not fit the region (e.g. a Russian "8 (916) …" read as
            // US) parses to nonsense: require a plausible length for the result.
            let e = format!("+{}{}", pn.code().value(), national);
            // E.164 has at most 15 digits, and the international path above takes 8 to 15: a
            // result outside that range would not be read back as itself.
            if !(8..=15).contains(&(e.len() - 1)) {
                return None;
            }
            // (a length check against the region's metadata; the full `is_valid` pattern
            // check costs several regex searches per number and is not needed for matching)
            if !international && !plausible_national(&pn, region) {
                return None;
            }
            Some(e)
        }
        Err(_) if international && (8..=15).contains(&digits.len()) => Some(format!("+{digits}")),
        Err(_) => None,
    }
}

fn plausible_national(pn: &phonenumber::PhoneNumber, region: &str) -> bool {
    let Some(meta) = phonenumber::metadata::DATABASE.by_id(region.trim().to_ascii_uppercase().as_str()) else {
        return pn.is_valid();
    };
    if meta.country_code() != pn.code().value() {
        return false;
    }
    use phonenumber::Type as T;
    let len = pn.national().to_string().len() as u16;
    let d = meta.descriptors();
    d.general().possible_length().contains(&len)
        || [
            T::FixedLine,
            T::Mobile,
            T::TollFree,
            T::PremiumRate,
            T::SharedCost,
            T::PersonalNumber,
            T::Voip,
            T::Pager,
            T::Uan,
        ]
        .into_iter()
        .any(|t| d.get(t).is_some_and(|x| x.possible_length().contains(&len)))
}

/// Last seven digits of a phone (`"p7:"` key): survives national/international rewriting,
/// trunk prefixes and a wrong default region.
pub fn phone_last7(raw: &str) -> Option<String> {
    let d = phone_digits(raw);
    if d.len() < 7 {
        return None;
    }
    Some(d[d.len() - 7..].to_string())
}

// ---------------------------------------------------------------------------------------------
// E-mails
// ---------------------------------------------------------------------------------------------

/// Clean an e-mail address: whitespace (also inside, as OCR inserts it), `mailto:`, surrounding
/// brackets and punctuation, case. Returns `None` for strings that are not an address.
/// OCR confusions are folded by [`email_key`], which is what matching uses.
pub fn email(raw: &str) -> Option<String> {
    let mut s = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if ch.is_whitespace() {
            continue;
        }
        if ch.is_ascii() {
            s.push(ch.to_ascii_lowercase());
        } else {
            s.extend(ch.to_lowercase());
        }
    }
    // Peel `mailto:`, brackets and punctuation until none is left ("(mailto:a@b.com)", "a@b.com).")
    // so that a cleaned address is cleaned again to itself.
    let mut t: &str = &s;
    loop {
        let before = t.len();
        t = t.strip_prefix("mailto:").unwrap_or(t);
        t = t.trim_matches(|c: char| "<>()[]{}\"',;:".contains(c)).trim_end_matches('.');
        if t.len() == before {
            break;
        }
    }
    // OCR / typing: "anna(at)acme.com", "anna[at]acme.com"
    let owned;
    let t = if t.contains("(at)") || t.contains("[at]") {
        owned = t.replace("(at)", "@").replace("[at]", "@");
        owned.as_str()
    } else {
        t
    };
    let (user, domain) = t.split_once('@')?;
    if user.is_empty() || domain.len() < 3 || domain.contains('@') || !domain.contains('.') {
        return None;
    }
    let mut out = String::with_capacity(t.len());
    out.push_str(user);
    out.push('@');
    out.push_str(domain);
    Some(out)
}

/// Matching key of an e-mail: [`email`] plus the folds of OCR confusions (`0→o`, `1→l`, `5→s`,
/// `rn→m`, `c/e`) and of diacritics. Two addresses that an OCR could have confused get the same key.
pub fn email_key(raw: &str) -> Option<String> {
    email_key_of_clean(&email(raw)?)
}

/// [`email_key`] of an address already cleaned by [`email`].
pub fn email_key_of_clean(e: &str) -> Option<String> {
    let (user, domain) = e.split_once('@')?;
    // dots do not distinguish mailboxes at some providers but do at many company servers: keep
    // them; a "+tag" never does.
    let user = user.split('+').next().unwrap_or(user);
    let mut out = String::with_capacity(e.len());
    if e.is_ascii() {
        ocr_fold_into(user, &mut out);
        out.push('@');
        ocr_fold_into(domain, &mut out);
    } else {
        ocr_fold_into(&to_ascii_lower(user), &mut out);
        out.push('@');
        ocr_fold_into(&to_ascii_lower(domain), &mut out);
    }
    Some(out)
}

/// Domain of an e-mail address unless it is a public mail provider (then `None`).
pub fn email_domain(email_clean: &str) -> Option<String> {
    let (_, d) = email_clean.rsplit_once('@')?;
    let d = d.trim_start_matches("www.");
    if is_free_mail(d) {
        None
    } else {
        Some(d.to_string())
    }
}

/// Host of a web site (`https://www.Acme.com/about` → `acme.com`).
pub fn website_domain(raw: &str) -> Option<String> {
    let owned;
    let s: &str = if raw.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        owned = raw.trim().to_lowercase();
        &owned
    } else {
        raw.trim()
    };
    let s = s.split("://").last().unwrap_or(s);
    let host = s.split(['/', '?', '#', ':']).next().unwrap_or("");
    let host = host.trim_start_matches("www.").trim_end_matches('.');
    if host.len() < 4 || !host.contains('.') || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(host.to_string())
}

fn is_free_mail(d: &str) -> bool {
    matches!(
        d,
        "gmail.com"
            | "googlemail.com"
            | "yahoo.com"
            | "yahoo.co.uk"
            | "yahoo.de"
            | "yahoo.fr"
            | "hotmail.com"
            | "hotmail.co.uk"
            | "hotmail.de"
            | "hotmail.fr"
            | "outlook.com"
            | "live.com"
            | "msn.com"
            | "icloud.com"
            | "me.com"
            | "mac.com"
            | "aol.com"
            | "gmx.de"
            | "gmx.net"
            | "gmx.com"
            | "web.de"
            | "t-online.de"
            | "freenet.de"
            | "orange.fr"
            | "wanadoo.fr"
            | "free.fr"
            | "laposte.net"
            | "sfr.fr"
            | "mail.ru"
            | "inbox.ru"
            | "list.ru"
            | "bk.ru"
            | "yandex.ru"
            | "ya.ru"
            | "yandex.com"
            | "rambler.ru"
            | "protonmail.com"
            | "proton.me"
            | "zoho.com"
            | "btinternet.com"
            | "sky.com"
            | "qq.com"
            | "163.com"
    )
}

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

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const NICKNAMES: &[(&str, &str)] = &[
    // English
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("robbie", "robert"),
    ("bert", "robert"),
    ("bill", "william"),
    ("billy", "william"),
    ("will", "william"),
    ("willy", "william"),
    ("liam", "william"),
    ("liz", "elizabeth"),
    ("lizzie", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("eliza", "elizabeth"),
    ("mike", "michael"),
    ("mick", "michael"),
    ("mickey", "michael"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("kathy", "katherine"),
    ("cathy", "katherine"),
    ("catherine", "katherine"),
    ("kathryn", "katherine"),
    ("alex", "alexander"),
    ("sandy", "alexander"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("jenn", "jennifer"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("chris", "christopher"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jamie", "james"),
    ("joe", "joseph"),
    ("joey", "joseph"),
    ("dave", "david"),
    ("davey", "david"),
    ("steve", "steven"),
    ("stephen", "steven"),
    ("tony", "anthony"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("ben", "benjamin"),
    ("benny", "benjamin"),
    ("sam", "samuel"),
    ("sammy", "samuel"),
    ("nick", "nicholas"),
    ("nicky", "nicholas"),
    ("matt", "matthew"),
    ("pat", "patrick"),
    ("rick", "richard"),
    ("rich", "richard"),
    ("dick", "richard"),
    ("richie", "richard"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("greg", "gregory"),
    ("jeff", "jeffrey"),
    ("jon", "john"),
    ("johnny", "john"),
    ("larry", "lawrence"),
    ("jerry", "gerald"),
    ("peggy", "margaret"),
    ("maggie", "margaret"),
    ("meg", "margaret"),
    ("sue", "susan"),
    ("susie", "susan"),
    ("debbie", "deborah"),
    ("deb", "deborah"),
    ("becky", "rebecca"),
    ("vicky", "victoria"),
    ("vicki", "victoria"),
    ("abby", "abigail"),
    ("nate", "nathan"),
    ("zach", "zachary"),
    ("zack", "zachary"),
    ("tim", "timothy"),
    ("timmy", "timothy"),
    ("ken", "kenneth"),
    ("kenny", "kenneth"),
    ("ron", "ronald"),
    ("ronnie", "ronald"),
    ("don", "donald"),
    ("donnie", "donald"),
    ("charlie", "charles"),
    ("chuck", "charles"),
    ("fred", "frederick"),
    ("freddie", "frederick"),
    ("pete", "peter"),
    ("phil", "philip"),
    ("phillip", "philip"),
    ("ray", "raymond"),
    ("doug", "douglas"),
    ("gabe", "gabriel"),
    ("josh", "joshua"),
    ("jake", "jacob"),
    ("cindy", "cynthia"),
    ("pam", "pamela"),
    ("barb", "barbara"),
    ("jess", "jessica"),
    ("jessie", "jessica"),
    ("mandy", "amanda"),
    ("stef", "stephanie"),
    ("steph", "stephanie"),
    ("val", "valerie"),
    ("lexi", "alexandra"),
    ("wes", "wesley"),
    ("terry", "terence"),
    ("tess", "teresa"),
    ("theresa", "teresa"),
    ("gerry", "gerald"),
    ("herb", "herbert"),
    // German
    ("hansi", "hans"),
    ("sepp", "josef"),
    ("joseph", "josef"),
    ("uli", "ulrich"),
    ("steffi", "stefanie"),
    ("kathi", "katharina"),
    ("gabi", "gabriele"),
    ("wolfi", "wolfgang"),
    ("klaus", "nikolaus"),
    // Russian diminutives (Cyrillic; transliterated on load)
    ("саша", "александр"),
    ("шура", "александр"),
    ("санёк", "александр"),
    ("дима", "дмитрий"),
    ("катя", "екатерина"),
    ("миша", "михаил"),
    ("женя", "евгений"),
    ("лена", "елена"),
    ("таня", "татьяна"),
    ("наташа", "наталья"),
    ("наталия", "наталья"),
    ("маша", "мария"),
    ("коля", "николай"),
    ("вова", "владимир"),
    ("володя", "владимир"),
    ("серёжа", "сергей"),
    ("сережа", "сергей"),
    ("лёша", "алексей"),
    ("леша", "алексей"),
    ("алёша", "алексей"),
    ("паша", "павел"),
    ("петя", "пётр"),
    ("ваня", "иван"),
    ("юля", "юлия"),
    ("оля", "ольга"),
    ("света", "светлана"),
    ("настя", "анастасия"),
    ("ира", "ирина"),
    ("костя", "константин"),
    ("толя", "анатолий"),
    ("слава", "вячеслав"),
    ("гоша", "георгий"),
    ("федя", "фёдор"),
    ("боря", "борис"),
    ("гриша", "григорий"),
    ("аня", "анна"),
    ("галя", "галина"),
    ("люда", "людмила"),
    ("надя", "надежда"),
    ("люба", "любовь"),
    ("витя", "виктор"),
    ("стас", "станислав"),
    ("тёма", "артём"),
    ("рома", "роман"),
    ("вася", "василий"),
    ("лиза", "елизавета"),
    ("даша", "дарья"),
    ("соня", "софья"),
    ("ксюша", "ксения"),
    ("валера", "валерий"),
    ("жора", "георгий"),
    ("эдик", "эдуард"),
    ("юра", "юрий"),
    ("тоня", "антонина"),
    ("зина", "зинаида"),
];

/// FNV-1a: the nickname table is looked up once per contact; SipHash is needlessly slow here.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);
impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}
type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

fn nick_map() -> &'static FnvMap<String, String> {
    static MAP: OnceLock<FnvMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        NICKNAMES
            .iter()
            .map(|(n, f)| (fold(to_ascii_lower(n).trim()), fold(to_ascii_lower(f).trim())))
            .collect::<FnvMap<String, String>>()
    })
}

/// Canonical matching form of a first name: folded, nickname resolved
/// (`Bob`→`robert`, `Саша`/`Sasha`→`aleksandr` (folded)).
pub fn first_name_key(token: &str) -> String {
    resolve_nick(fold(token))
}

/// Nickname resolution of an already folded first-name token.
pub fn resolve_nick(folded: String) -> String {
    match nick_map().get(folded.as_str()) {
        Some(full) => full.clone(),
        None => folded,
    }
}

/// Folded matching tokens of a name field (no nickname resolution).
pub fn folded_tokens(raw: &str) -> Vec<String> {
    if raw.is_empty() {
        return Vec::new();
    }
    let owned;
    let ascii: &str = if raw.is_ascii() {
        raw // `fold` lower-cases
    } else {
        owned = to_ascii_lower(raw);
        &owned
    };
    tokens(ascii).map(fold).collect()
}

/// The folded tokens of a surname field, concatenated ("Müller-Lüdenscheidt" → "mulerludensheidt").
pub fn folded_concat(raw: &str) -> String {
    let owned;
    let ascii: &str = if raw.is_ascii() {
        raw
    } else {
        owned = to_ascii_lower(raw);
        &owned
    };
    let mut it = tokens(ascii);
    let Some(first) = it.next() else { return String::new() };
    let mut out = fold(first);
    for t in it {
        out.push_str(&fold(t));
    }
    out
}

/// Split a name into lower-case ASCII tokens (Cyrillic transliterated, diacritics dropped,
/// punctuation removed) with nicknames resolved to the full name (`Bob`→`robert`,
/// `Саша`→`aleksandr`). Initials like "A." are kept as one-letter tokens.
/// Order is kept; use [`Normalized`](crate::Normalized) for the first/last split.
pub fn name_tokens(raw: &str) -> Vec<String> {
    let ascii = to_ascii_lower(raw);
    tokens(&ascii)
        .map(|t| {
            let f = fold(t);
            match nick_map().get(&f) {
                Some(_) => readable_nick(t),
                None => t.to_string(),
            }
        })
        .collect()
}

/// The readable full name a nickname stands for (`bob` → `robert`).
fn readable_nick(t: &str) -> String {
    static R: OnceLock<HashMap<String, String>> = OnceLock::new();
    let m = R.get_or_init(|| {
        NICKNAMES.iter().map(|(n, f)| (fold(to_ascii_lower(n).trim()), to_ascii_lower(f).trim().to_string())).collect()
    });
    m.get(&fold(t)).cloned().unwrap_or_else(|| t.to_string())
}

/// Split lower-case ASCII text into alphanumeric tokens.
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Companies
// ---------------------------------------------------------------------------------------------

/// Legal-form words dropped from company names (Russian ones as transliterated: ООО, ОАО, ЗАО,
/// ПАО, АО, ИП, НПО, РАО, "Инк", "Лимитед").
fn is_legal_form(t: &str) -> bool {
    matches!(
        t,
        "inc"
            | "incorporated"
            | "corp"
            | "corporation"
            | "llc"
            | "llp"
            | "lp"
            | "ltd"
            | "limited"
            | "plc"
            | "co"
            | "company"
            | "gmbh"
            | "mbh"
            | "ag"
            | "kg"
            | "kgaa"
            | "ohg"
            | "gbr"
            | "ug"
            | "ek"
            | "ev"
            | "se"
            | "sa"
            | "sarl"
            | "sas"
            | "sasu"
            | "sca"
            | "snc"
            | "eurl"
            | "scs"
            | "bv"
            | "nv"
            | "oy"
            | "ab"
            | "as"
            | "aps"
            | "spa"
            | "srl"
            | "sl"
            | "pty"
            | "pte"
            | "kk"
            | "ooo"
            | "oao"
            | "zao"
            | "pao"
            | "ao"
            | "ip"
            | "npo"
            | "rao"
            | "ink"
            | "korp"
            | "gk"
    )
}

/// Company name without legal-form suffixes/prefixes, punctuation, case or diacritics:
/// `"Acme, Inc."` → `acme`, `"Haase Salz GmbH & Co. KGaA"` → `haase salz`, `ООО «Ромашка»` → `romashka`.
pub fn company(raw: &str) -> String {
    // dots inside abbreviations ("S.A.R.L.", "Co.") vanish rather than split
    let ascii = if raw.contains('.') { to_ascii_lower(&raw.replace('.', "")) } else { to_ascii_lower(raw) };
    let mut out = String::with_capacity(ascii.len());
    let mut all = String::new(); // fallback when every word is a legal form ("GmbH")
    for t in tokens(&ascii) {
        if matches!(t, "and" | "und" | "et" | "i") {
            continue;
        }
        let target = if is_legal_form(t) { &mut all } else { &mut out };
        if !target.is_empty() {
            target.push(' ');
        }
        target.push_str(t);
    }
    if out.is_empty() {
        all
    } else {
        out
    }
}

/// Normalised address: ASCII, lower case, alphanumeric tokens separated by one space.
pub fn address(raw: &str) -> String {
    let owned;
    let ascii: &str = if raw.is_ascii() {
        raw
    } else {
        owned = to_ascii_lower(raw);
        &owned
    };
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    if ascii.is_ascii() {
        for b in ascii.bytes() {
            if b.is_ascii_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(b.to_ascii_lowercase() as char);
            } else {
                pending_space = true;
            }
        }
    } else {
        for c in ascii.chars() {
            if c.is_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.extend(c.to_lowercase());
            } else {
                pending_space = true;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Addresses: one free-text field, parsed into house number, street, locality and postcode
// ---------------------------------------------------------------------------------------------

/// An address split into the parts matching compares. All parts are ASCII lower case; `street`
/// and `locality` are folded name tokens (see [`fold`]) separated by one space. Any part may be
/// empty. The parse is a heuristic for the layouts business cards and CRMs use:
/// `"44 Forbes Street, Wintersloe, Kellerberrin VIC 4510"`, `"Putzstraße 901, 87520 Eisenberg"`,
/// `"ул. Тверская, д. 7, Москва, 125009"`, `"125009, Москва, ул. Тверская 7"`, `"30, rue Éric Traore, 81548 Lyon"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressParts {
    /// House number (digits and letters of the first token that starts with a digit, "3/4" → "3").
    pub number: String,
    /// Street name without its type word ("forbes" for "Forbes Street", "tverskaya" for "ул. Тверская").
    pub street: String,
    /// Other place-name tokens: suburb, town, building name (words of ≥ 4 letters, at most 8).
    pub locality: String,
    /// Postcode: a 4–6 digit token outside the street part.
    pub postcode: String,
    /// Another reading of the street, when the layout is ambiguous (see [`parse_address`]).
    pub street_alt: String,
}

/// At most this many bytes of an address are parsed (the rest is ignored), so that the work per
/// contact is bounded whatever the input.
pub const MAX_ADDRESS_BYTES: usize = 512;
const MAX_ADDRESS_SEGMENTS: usize = 8;
const MAX_SEGMENT_TOKENS: usize = 16;
const MAX_LOCALITY_TOKENS: usize = 8;

/// Street-type words (English, Australian, German, French, Russian as transliterated). They mark
/// the segment holding the street and are dropped from the street name.
fn is_street_type(t: &str) -> bool {
    street_type_strength(t) > 0
}

/// 2 = a word that only names a street type; 1 = an abbreviation that may also be something else
/// ("st" Saint/station, "dr" doctor, "la" the article, "pl" …); 0 = not a street type.
fn street_type_strength(t: &str) -> u8 {
    match t {
        "st" | "dr" | "la" | "pl" | "av" | "cl" | "gr" | "ct" | "sh" | "park" | "parks" | "row" | "loop" | "walk"
        | "sq" | "esp" | "cir" => 1,
        "street" | "road" | "rd" | "avenue" | "ave" | "place" | "circuit" | "cct" | "crescent" | "cres" | "drive"
        | "court" | "lane" | "ln" | "way" | "terrace" | "tce" | "close" | "parade" | "pde" | "grove" | "boulevard"
        | "blvd" | "highway" | "hwy" | "alley" | "square" | "esplanade" | "crossing" | "mews" | "circle"
        | "parkway" | "pkwy" | "trail" | "rue" | "chemin" | "allee" | "impasse" | "quai" | "route" | "strasse"
        | "weg" | "platz" | "gasse" | "damm" | "ul" | "ulitsa" | "pr" | "prt" | "prospekt" | "per" | "pereulok"
        | "shosse" | "bul" | "bulvar" | "nab" | "naberezhnaya" | "proezd" | "ploshchad" | "tupik" | "alleya"
        | "mkr" => 2,
        _ => 0,
    }
}

/// Unit / building words whose following number is not the house number ("Apt. 616", "стр. 2").
fn is_unit_word(t: &str) -> bool {
    matches!(
        t,
        "apt"
            | "apartment"
            | "suite"
            | "ste"
            | "unit"
            | "flat"
            | "floor"
            | "fl"
            | "level"
            | "lvl"
            | "room"
            | "po"
            | "box"
            | "stroenie"
            | "korp"
            | "korpus"
            | "kv"
            | "kvartira"
            | "of"
            | "ofis"
            | "office"
            | "etazh"
            | "bldg"
            | "building"
            | "str"
    )
}

/// German/English compounds written as one word ("putzstrasse", "pridhamstreet"): the suffix is the type.
const STREET_SUFFIXES: [&str; 16] = [
    "strasse", "street", "weg", "platz", "gasse", "allee", "road", "avenue", "drive", "close", "court", "place",
    "crescent", "circuit", "terrace", "parade",
];

fn split_street_suffix(t: &str) -> Option<&str> {
    STREET_SUFFIXES
        .iter()
        .find_map(|suf| (t.len() >= suf.len() + 3 && t.ends_with(suf)).then(|| &t[..t.len() - suf.len()]))
}

fn starts_with_digit(t: &str) -> bool {
    t.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

fn is_postcode(t: &str) -> bool {
    (4..=6).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
}

/// The street name of a segment: its words less numbers, unit words, house markers and
/// street-type words (a compound's type suffix cut off), folded.
fn street_words(seg: &[&str]) -> String {
    let mut street = String::new();
    for &t in seg {
        if starts_with_digit(t) || is_unit_word(t) || matches!(t, "d" | "dom" | "no" | "nr" | "n") {
            continue;
        }
        if is_street_type(t) {
            continue;
        }
        let w = fold(split_street_suffix(t).unwrap_or(t));
        if !street.is_empty() {
            street.push(' ');
        }
        street.push_str(&w);
    }
    street
}

/// Parse one free-text address (see [`AddressParts`]). Never panics; bounded work.
pub fn parse_address(raw: &str) -> AddressParts {
    let mut out = AddressParts::default();
    if raw.trim().is_empty() {
        return out;
    }
    let mut cut = raw.len().min(MAX_ADDRESS_BYTES);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    // segments at commas, semicolons and line breaks; tokens are ASCII alphanumeric runs
    // (Cyrillic transliterated); "3/4" and "80-34" split into numbers. One lower-cased copy,
    // segments joined by '|', tokens borrowed from it.
    let mut lowered = String::with_capacity(cut + 8);
    for seg in raw[..cut].split([',', ';', '\n']) {
        if !lowered.is_empty() {
            lowered.push('|');
        }
        if seg.is_ascii() {
            lowered.extend(seg.bytes().map(|b| {
                if b.is_ascii_alphanumeric() {
                    b.to_ascii_lowercase() as char
                } else {
                    ' '
                }
            }));
        } else {
            lowered.extend(to_ascii_lower(seg).chars().map(|c| if c == '|' { ' ' } else { c }));
        }
    }
    // all tokens in one list, each segment a range of it, classified once
    struct Seg {
        range: std::ops::Range<usize>,
        has_num: bool,  // a number that is not a postcode
        has_word: bool, // a word that is not a house/unit marker
        strong: bool,   // an unambiguous street-type word or a compound street name
        weak: bool,     // a street-type abbreviation
    }
    let mut toks: Vec<&str> = Vec::with_capacity(24);
    let mut segs: Vec<Seg> = Vec::with_capacity(4);
    for seg in lowered.split('|') {
        if segs.len() == MAX_ADDRESS_SEGMENTS {
            break;
        }
        let start = toks.len();
        let mut info = Seg { range: start..start, has_num: false, has_word: false, strong: false, weak: false };
        for t in tokens(seg).take(MAX_SEGMENT_TOKENS) {
            toks.push(t);
            if starts_with_digit(t) {
                info.has_num |= !is_postcode(t);
            } else {
                info.has_word |= !(matches!(t, "d" | "dom" | "no" | "nr" | "n") || is_unit_word(t));
                match street_type_strength(t) {
                    2 => info.strong = true,
                    1 => info.weak = true,
                    _ => info.strong |= split_street_suffix(t).is_some(),
                }
            }
        }
        info.range.end = toks.len();
        if info.range.end > start {
            segs.push(info);
        }
    }
    if segs.is_empty() {
        return out;
    }
    let words = |i: usize| &toks[segs[i].range.clone()];
    // the street segment: the first with a street-type word and a house number; else with an
    // abbreviation and a number; else a word and a number; else a street-type word; else the first.
    // ("Raymond Terrace" is a suburb when "49 Montefiore Crescent" precedes it.)
    let street_seg = segs
        .iter()
        .position(|g| g.strong && g.has_num)
        .or_else(|| segs.iter().position(|g| g.weak && g.has_num))
        .or_else(|| segs.iter().position(|g| g.has_num && g.has_word))
        .or_else(|| segs.iter().position(|g| g.strong))
        .unwrap_or(0);

    // postcode: a 4–6 digit token outside the street segment, the last one; failing that, in the
    // street segment after the street words ("Tverskaya 7 125009")
    for i in (0..segs.len()).rev() {
        if i == street_seg {
            continue;
        }
        if let Some(p) = words(i).iter().rev().find(|t| is_postcode(t)) {
            out.postcode = p.to_string();
            break;
        }
    }

    // house number and street name
    let seg = words(street_seg);
    let mut after_unit = false;
    for t in seg {
        if starts_with_digit(t) {
            if after_unit {
                after_unit = false;
            } else if out.number.is_empty() {
                out.number = t.to_string();
            } else if out.postcode.is_empty() && is_postcode(t) {
                out.postcode = t.to_string();
            }
            continue;
        }
        after_unit = is_unit_word(t);
    }
    out.street = street_words(seg);
    if out.number.is_empty() {
        // "ул. Тверская, д. 7", "rue Joly, 30" / "30, rue Joly": a short segment holding the number
        // next to the street one
        for i in [street_seg + 1, street_seg.wrapping_sub(1)] {
            if i >= segs.len() {
                continue;
            }
            let s = words(i);
            let lead_ok = s.len() <= 6 && (starts_with_digit(s[0]) || matches!(s[0], "d" | "dom" | "no" | "nr"));
            if let Some(t) = s.iter().find(|t| starts_with_digit(t)).filter(|t| lead_ok && !is_postcode(t)) {
                out.number = t.to_string();
                break;
            }
        }
    }
    // the street segment was a guess (number + words, no street-type word) and another segment
    // has a street-type word: keep that one's name as the alternative ("10 Courallie, Lander
    // Crescent" — a building name before the street — against "15 Lander Crescent, Courallie")
    if !segs[street_seg].strong {
        if let Some(alt) = (0..segs.len()).find(|&i| i != street_seg && segs[i].strong) {
            out.street_alt = street_words(words(alt));
            if out.street_alt == out.street {
                out.street_alt.clear();
            }
        }
    }

    // locality: words of ≥ 4 letters of the other segments (drops state codes, "g."/"д." markers)
    let mut n_loc = 0;
    for i in 0..segs.len() {
        if i == street_seg {
            continue;
        }
        for t in words(i) {
            if n_loc == MAX_LOCALITY_TOKENS {
                break;
            }
            if t.len() < 4 || starts_with_digit(t) || is_street_type(t) || is_unit_word(t) {
                continue;
            }
            let f = fold(t);
            if !out.locality.split(' ').any(|w| w == f) {
                if n_loc > 0 {
                    out.locality.push(' ');
                }
                out.locality.push_str(&f);
                n_loc += 1;
            }
        }
    }
    // house numbers are kept short and ASCII (digits and a letter, "12a"); the rest is noise
    out.number = out.number.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    out
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
