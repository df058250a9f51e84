//! Addresses: street words, labels and postcodes, an address growing over several lines, its
//! normalised spelling, country names, and the region an address names.

use std::sync::LazyLock;

use phonenumber::country;
use regex::Regex;

use super::companies_titles::{company_score, title_score};
use super::email_web::email_agreement;
use super::layout::{adjacent, overlaps, Kind, L};
use super::names::NAME_PARTICLES;
use super::text::{count_digits, count_letters, has_word, words_lower};
use super::words::DEPARTMENT_WORDS;
use super::{field, ParseHints, ParsedCard};

re!(RE_UK_POSTCODE, r"\b[A-Z]{1,2}\d[A-Z\d]?\s?[\dO][A-Z]{2}\b");
re!(RE_US_STATE_ZIP, r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b");
re!(RE_POSTCODE5, r"\b\d{5}(?:\b|\p{Lu})");
re!(RE_POSTCODE6, r"\b\d{6}\b");
re!(RE_HOUSE_STREET, r"^\d+[A-Za-z]?,?\s+\p{L}");
re!(RE_ORDINAL_GLUE, r"\b(\d+(?:st|nd|rd|th))([A-Z])");
re!(
    RE_US_NO_COMMA,
    r"^(.*\b(?:Ave|Avenue|St|Street|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Pkwy|Parkway|Hwy|Highway)\.?(?:\s+(?:NE|NW|SE|SW|N|S|E|W))?)\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)*),\s*([A-Z]{2}\s+\d{5}(?:-\d{4})?)$"
);

pub(super) const ADDRESS_WORDS: &[&str] = &[
    // en
    "street",
    "st.",
    "road",
    "rd",
    "rd.",
    "avenue",
    "ave",
    "ave.",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr.",
    "court",
    "ct",
    "place",
    "pl",
    "square",
    "sq",
    "suite",
    "ste",
    "floor",
    "fl",
    "building",
    "bldg",
    "po",
    "p.o.",
    "box",
    "apt",
    "apt.",
    "unit",
    "way",
    "highway",
    "hwy",
    "parkway",
    "pkwy",
    "terrace",
    "close",
    "crescent",
    "gardens",
    "park",
    "row",
    "hill",
    "corners",
    "crossing",
    "mews",
    "grove",
    "walk",
    "green",
    "usns",
    "uss",
    "psc",
    "fpo",
    "apo",
    "dpo",
    // de
    "straße",
    "strasse",
    "str.",
    "weg",
    "allee",
    "platz",
    "ring",
    "gasse",
    "damm",
    "ufer",
    "chaussee",
    // fr
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "chemin",
    "impasse",
    "allée",
    "place",
    "quai",
    "route",
    "cedex",
    "cours",
    "voie",
    "rond-point",
    "faubourg",
    "bp",
    // es / it
    "calle",
    "avenida",
    "plaza",
    "paseo",
    "via",
    "viale",
    "piazza",
    "corso",
    // ru
    "ул.",
    "ул",
    "улица",
    "пр.",
    "пр-т",
    "проспект",
    "пер.",
    "переулок",
    "ш.",
    "шоссе",
    "наб.",
    "набережная",
    "пл.",
    "площадь",
    "б-р",
    "бульвар",
    "д.",
    "дом",
    "корп.",
    "к.",
    "стр.",
    "строение",
    "оф.",
    "офис",
    "кв.",
    "г.",
    "город",
    "обл.",
    "область",
    "р-н",
    "район",
    "пос.",
    "п.",
    "с.",
    "село",
    "дер.",
    "клх",
    "ст.",
    "алл.",
    "аллея",
    "пр-д",
    "проезд",
    "тупик",
    "мкр.",
    "микрорайон",
    "туп.",
];

pub(super) const ADDRESS_LABELS: &[&str] =
    &["address", "addr", "adresse", "anschrift", "адрес", "dirección", "direccion", "indirizzo"];

pub(super) fn address_region(text: &str) -> Option<country::Id> {
    let lower = text.to_lowercase();
    let has_cyr = text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    if lower.contains("россия")
        || lower.contains("russia")
        || lower.contains("москва")
        || (has_cyr && RE_POSTCODE6.is_match(text))
    {
        return Some(country::Id::RU);
    }
    if has_cyr {
        return Some(country::Id::RU);
    }
    if lower.contains("united kingdom")
        || lower.contains("london")
        || lower.contains(", uk")
        || RE_UK_POSTCODE.is_match(text)
    {
        return Some(country::Id::GB);
    }
    if lower.contains("deutschland") || lower.contains("germany") {
        return Some(country::Id::DE);
    }
    if lower.contains("france") {
        return Some(country::Id::FR);
    }
    if lower.contains("españa") || lower.contains("spain") {
        return Some(country::Id::ES);
    }
    if lower.contains("usa") || lower.contains("united states") || RE_US_STATE_ZIP.is_match(text) {
        return Some(country::Id::US);
    }
    let ws = words_lower(text);
    let de = ["straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "damm", "ufer"];
    let de_street = ws.iter().any(|w| de.iter().any(|d| w.ends_with(d))) || ws.iter().any(|w| w.ends_with("ring"));
    if de_street && RE_POSTCODE5.is_match(text) {
        return Some(country::Id::DE);
    }
    let fr = ["rue", "avenue", "boulevard", "chemin", "impasse", "allée", "quai", "cedex", "place", "route"];
    if ws.iter().any(|w| fr.contains(&w.as_str())) && RE_POSTCODE5.is_match(text) {
        return Some(country::Id::FR);
    }
    None
}

/// Countries an address may end with.
const COUNTRY_NAMES: &[&str] = &[
    "usa",
    "u.s.a.",
    "united states",
    "united states of america",
    "uk",
    "u.k.",
    "united kingdom",
    "great britain",
    "england",
    "scotland",
    "wales",
    "germany",
    "deutschland",
    "france",
    "россия",
    "russia",
    "российская федерация",
    "spain",
    "españa",
    "italy",
    "italia",
    "austria",
    "österreich",
    "switzerland",
    "schweiz",
    "suisse",
    "belgium",
    "belgique",
    "netherlands",
    "nederland",
    "ireland",
    "canada",
];

/// A street line directly above an address line in the same column ("2 Kingdom Street") is part
/// of the address.
pub(super) fn mark_street_lines(ls: &mut [L]) {
    for i in 0..ls.len() {
        if ls[i].kind == Kind::Text && RE_HOUSE_STREET.is_match(&ls[i].text) {
            if let Some(j) = (i + 1..ls.len()).find(|&j| ls[j].kind != Kind::Text || overlaps(&ls[i], &ls[j])) {
                if ls[j].kind == Kind::Address
                    && overlaps(&ls[i], &ls[j])
                    && ls[j].y - ls[i].y < 2.5 * ls[i].h.max(ls[j].h)
                {
                    ls[i].kind = Kind::Address;
                }
            }
        }
    }
}

/// The address: address lines grown by the text lines that continue them (never the lines in
/// `keep`: the name and the line under it), each without its label and normalised, joined with
/// commas in reading order.
pub(super) fn add_address(
    card: &mut ParsedCard,
    ls: &mut [L],
    hints: &ParseHints,
    users: &[Vec<String>],
    domains: &[String],
    keep: &[usize],
) {
    // An address printed over several lines: grow each address line's block by the lines right
    // above and below it in the same column and type size ("Flat 71W" / "Beth Roads" / "Lewiston" /
    // "L5H 8YW" / "United Kingdom") unless they read as something else.
    grow_address(ls, hints, users, domains, keep);
    let addr: Vec<&L> = ls.iter().filter(|l| l.kind == Kind::Address).collect();
    if !addr.is_empty() {
        let parts: Vec<String> =
            addr.iter().map(|l| normalize_address(&strip_label(&l.text, ADDRESS_LABELS))).collect();
        card.address = field(parts.join(", ").replace(",,", ","), addr.iter().map(|l| l.idx).collect());
    }
}

/// Text lines next to an address line that continue it: a street, a town, a country. Stops at
/// lines that read as a title, a company, the person's name or a larger type size.
fn grow_address(ls: &mut [L], hints: &ParseHints, users: &[Vec<String>], domains: &[String], keep: &[usize]) {
    let mut added = 0;
    // `shape`: also the look of an address part (words starting with a capital or a digit).
    let fits = |l: &L, shape: bool| {
        let t = l.text.trim();
        let lower = t.to_lowercase();
        let words = t.split_whitespace().count();
        if COUNTRY_NAMES.contains(&lower.trim_end_matches('.')) {
            return true;
        }
        // A flat or studio number opens a British address ("Studio 23Z", "Flat 06R").
        static UNIT: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?i)^(flat|studio|suite|unit|apt\.?|apartment)\s?\d+[a-z]?$").unwrap());
        if UNIT.is_match(t) {
            return true;
        }
        let basic = count_letters(t) >= 2
            && words <= 7
            && !t.contains('@')
            && !t.split_whitespace().any(|w| w.ends_with(':'))
            && title_score(t, hints) == 0.0
            && company_score(t, hints, domains) == 0.0
            // (an initial alone — "Flat25C" with f.humphreys@ — is no name)
            && email_agreement(t, users) < 1.0
            && !has_word(t, DEPARTMENT_WORDS);
        basic
            && (!shape || {
                // Town or street words start with a capital or a digit ("Beth Roads", "Flat 71W", "rue …" after a number).
                t.split_whitespace().all(|w| {
                    let c = w.chars().next().unwrap_or(' ');
                    // ("lainville": a capital I read as l)
                    c.is_uppercase()
                        || c.is_ascii_digit()
                        || !c.is_alphabetic()
                        || (c == 'l' && w.len() > 3)
                        || NAME_PARTICLES.contains(&w.to_lowercase().as_str())
                        || has_word(w, ADDRESS_WORDS)
                })
            })
    };
    loop {
        let mut grew = false;
        for i in 0..ls.len() {
            if ls[i].kind != Kind::Text || keep.contains(&i) || !fits(&ls[i], false) {
                continue;
            }
            // The nearest line above and below it in its column.
            let above = (0..i).rev().find(|&j| overlaps(&ls[i], &ls[j]));
            let below = (i + 1..ls.len()).find(|&j| overlaps(&ls[i], &ls[j]));
            // Street words or a country allow a larger difference in box height (Tesseract's boxes
            // hug the letters: "Россия" is boxed smaller than "г. Анапа, 473123").
            let loose = has_word(&ls[i].text, ADDRESS_WORDS)
                || COUNTRY_NAMES.contains(&ls[i].text.trim().to_lowercase().trim_end_matches('.'));
            let joins = |j: Option<usize>| {
                j.is_some_and(|j| {
                    ls[j].kind == Kind::Address
                        && (adjacent(&ls[i], &ls[j], 1.6)
                            || (loose
                                && overlaps(&ls[i], &ls[j])
                                && ls[i].h.max(ls[j].h) <= 1.8 * ls[i].h.min(ls[j].h)
                                && (ls[i].y - ls[j].y).abs() < 1.6 * ls[i].h.max(ls[j].h)))
                })
            };
            // Between two address lines only the basic checks count ("lainville" read for "Iainville").
            if (joins(above) || joins(below)) && (fits(&ls[i], true) || (joins(above) && joins(below))) {
                ls[i].kind = Kind::Address;
                grew = true;
                added += 1;
            }
            if added >= 4 {
                return;
            }
        }
        if !grew {
            return;
        }
    }
}

/// Printed addresses have a space after commas and between postcode and town; the town is capitalised.
fn normalize_address(s: &str) -> String {
    static COMMA: LazyLock<Regex> = LazyLock::new(|| Regex::new(r",(\S)").unwrap());
    static PC_TOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{5})(\p{Lu})").unwrap());
    static STATE_ZIP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z]{2})(\d{5})\b").unwrap());
    static PC_LOWER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{5}) (\p{Ll})").unwrap());
    let t = COMMA.replace_all(s, ", $1");
    let t = PC_TOWN.replace_all(&t, "$1 $2");
    let t = STATE_ZIP.replace_all(&t, "$1 $2");
    let t = PC_LOWER.replace_all(&t, |c: &regex::Captures| format!("{} {}", &c[1], c[2].to_uppercase()));
    static ABBR_DIGIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\p{L}{2,}\.)(\d)").unwrap());
    static SLASH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d)\s*/\s+(\d)").unwrap());
    // Russian abbreviations: "Д. 4" → "д. 4" (дом), "т. Город" → "г. Город" (г/т look alike).
    static RU_HOUSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(^|, )Д\. (\d)").unwrap());
    static RU_TOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(^|, )[тГ]\. (\p{Lu})").unwrap());
    let t = ABBR_DIGIT.replace_all(&t, "$1 $2");
    let t = SLASH.replace_all(&t, "$1/$2");
    let t = RU_HOUSE.replace_all(&t, "${1}д. $2");
    let t = RU_TOWN.replace_all(&t, "${1}г. $2");
    let t = RE_ORDINAL_GLUE.replace_all(&t, "$1 $2").to_string();
    // A British postcode's inward code starts with a digit: "W8 OWD" → "W8 0WD".
    static UK_O: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s?O([A-Z]{2})\b").unwrap());
    let t = UK_O.replace_all(&t, "$1 0$2").to_string();
    // A British postcode read without its space: "KW403BG" → "KW40 3BG".
    static UK_GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})\b").unwrap());
    let t = UK_GLUED.replace_all(&t, "$1 $2").to_string();
    let t = fix_eszett(&t);
    // "Flat25C", "Suite12" read without the space.
    static UNIT_GLUED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(Flat|Studio|Suite|Unit|Apt\.?|Apartment)(\d)").unwrap());
    let t = UNIT_GLUED.replace_all(&t, "$1 $2").to_string();
    // "Saint jeannine": the town after Saint/Sainte is capitalised.
    static SAINT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(Saint|Sainte|St\.) (\p{Ll})").unwrap());
    let t = SAINT.replace_all(&t, |c: &regex::Captures| format!("{} {}", &c[1], c[2].to_uppercase())).to_string();
    RE_US_NO_COMMA.replace(&t, "$1, $2, $3").to_string()
}

/// "JungferstraBe", "Nikolas-HeB-Platz": a capital B between a lower-case vowel and a lower-case
/// e, a hyphen or the word's end is the recogniser's reading of ß.
fn fix_eszett(s: &str) -> String {
    let cs: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in cs.iter().enumerate() {
        let prev = if i > 0 { cs[i - 1] } else { ' ' };
        let next = cs.get(i + 1).copied().unwrap_or(' ');
        if c == 'B' && "aeiouäöü".contains(prev) && (next == 'e' || next == '-' || next == ' ' || next == ',') {
            out.push('ß');
        } else {
            out.push(c);
        }
    }
    out
}

fn strip_label(text: &str, labels: &[&str]) -> String {
    let lower = text.to_lowercase();
    for l in labels {
        if lower.starts_with(l) {
            let rest = &text[l.len().min(text.len())..];
            if let Some(r) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('.')).or(Some(rest)) {
                if rest.len() < text.len() && (rest.starts_with(':') || rest.starts_with(' ') || rest.starts_with('.'))
                {
                    return r.trim().to_string();
                }
            }
        }
    }
    text.to_string()
}

pub(super) fn is_address(text: &str) -> bool {
    if has_word(text, ADDRESS_LABELS) {
        return true;
    }
    let digits = count_digits(text);
    let letters = count_letters(text);
    if letters < 3 {
        return false;
    }
    let street = has_word(text, ADDRESS_WORDS)
        || words_lower(text).iter().any(|w| {
            ["straße", "strasse", "strabe", "str.", "weg", "allee", "platz", "gasse", "ring", "damm"]
                .iter()
                .any(|s| w.ends_with(s) && w.len() > s.len() + 2)
        });
    // A British postcode alone on its line ("M35 6UR", "HS262YZ").
    if RE_UK_POSTCODE.find(text.trim()).is_some_and(|m| m.len() == text.trim().len()) {
        return true;
    }
    let postcode = RE_UK_POSTCODE.is_match(text)
        || RE_US_STATE_ZIP.is_match(text)
        || RE_POSTCODE5.is_match(text)
        || RE_POSTCODE6.is_match(text);
    (digits > 0 && street) || (postcode && (text.contains(',') || street || letters >= 4))
}
