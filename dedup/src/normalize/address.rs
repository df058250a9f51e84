//! Addresses: the normalised text and the parse into house number, street, locality and postcode.

use super::{fold, to_ascii_lower, tokens};

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
