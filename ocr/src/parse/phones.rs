//! Phone numbers: labels before or after a number (many languages and their OCR look-alikes), the
//! region a national number belongs to, and its E.164 form.

use std::sync::LazyLock;

use phonenumber::{country, Mode};
use regex::Regex;

use super::addresses::address_region;
use super::addresses::ADDRESS_LABELS;
use super::layout::{Kind, L};
use super::scripts::latinize;
use super::text::{count_digits, count_letters, has_word, words_lower};
use super::{ParseHints, ParsedCard, ParsedPhone, MAX_PHONES};

re!(RE_PHONE, r"(?:\+\s?\d|\(\s?\d|\d)[\d\s\-./()]{5,}\d");

/// Phone label → kind. Matched case-insensitively as the word(s) just before the number.
const PHONE_LABELS: &[(&str, &str)] = &[
    // mobile
    ("mobile", "mobile"),
    ("mobil", "mobile"),
    ("mob", "mobile"),
    ("mob.", "mobile"),
    ("m", "mobile"),
    ("cell", "mobile"),
    ("cellular", "mobile"),
    ("cel", "mobile"),
    ("cel.", "mobile"),
    ("celular", "mobile"),
    ("handy", "mobile"),
    ("mobiltelefon", "mobile"),
    ("portable", "mobile"),
    ("port.", "mobile"),
    ("port", "mobile"),
    ("gsm", "mobile"),
    ("móvil", "mobile"),
    ("movil", "mobile"),
    ("cellulare", "mobile"),
    ("моб", "mobile"),
    ("моб.", "mobile"),
    ("мобильный", "mobile"),
    ("мобильный телефон", "mobile"),
    ("сот", "mobile"),
    ("сот.", "mobile"),
    ("сотовый", "mobile"),
    ("mo6", "mobile"),
    ("mo6.", "mobile"),
    ("mo.", "mobile"),
    ("mo", "mobile"),
    ("m06", "mobile"),
    ("mob:", "mobile"),
    // fax
    ("fax", "fax"),
    ("f", "fax"),
    ("telefax", "fax"),
    ("fax.", "fax"),
    ("téléc", "fax"),
    ("télécopie", "fax"),
    ("факс", "fax"),
    ("ф", "fax"),
    ("ф.", "fax"),
    ("oakc", "fax"),
    ("фakc", "fax"),
    ("φakc", "fax"),
    ("dakc", "fax"),
    ("pakc", "fax"),
    // home
    ("home", "home"),
    ("privat", "home"),
    ("domicile", "home"),
    ("casa", "home"),
    ("дом", "home"),
    ("дом.", "home"),
    ("h", "home"),
    // work
    ("tel", "work"),
    ("tel.", "work"),
    ("tél", "work"),
    ("tél.", "work"),
    ("tél", "work"),
    ("téléphone", "work"),
    ("telephone", "work"),
    ("phone", "work"),
    ("ph", "work"),
    ("ph.", "work"),
    ("office", "work"),
    ("off.", "work"),
    ("work", "work"),
    ("direct", "work"),
    ("dd", "work"),
    ("dir", "work"),
    ("t", "work"),
    ("p", "work"),
    ("o", "work"),
    ("w", "work"),
    ("telefon", "work"),
    ("fon", "work"),
    ("festnetz", "work"),
    ("büro", "work"),
    ("bureau", "work"),
    ("fixe", "work"),
    ("teléfono", "work"),
    ("telefono", "work"),
    ("tlf", "work"),
    ("tfno", "work"),
    ("oficina", "work"),
    ("тел", "work"),
    ("тел.", "work"),
    ("телефон", "work"),
    ("раб", "work"),
    ("раб.", "work"),
    ("рабочий", "work"),
    ("ten", "work"),
    ("ten.", "work"),
    ("teл", "work"),
    ("teл.", "work"),
    ("tел.", "work"),
];

/// Find a phone label in `before` (the text preceding a number); returns the kind.
pub(super) fn label_kind(before: &str) -> Option<&'static str> {
    let b = before.trim().trim_matches([':', '.', '-', '|', '/', ' ', '=', '(', ')', '[', ']']).trim();
    if b.is_empty() {
        return None;
    }
    let lower = b.to_lowercase();
    // The last word (with and without a trailing dot), then the last two words.
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    let last = *words.last()?;
    let cands = [
        last.to_string(),
        format!("{last}."),
        last.trim_end_matches('.').to_string(),
        latinize(last).to_lowercase(),
        latinize(last).to_lowercase().trim_end_matches('.').to_string(),
    ];
    for c in &cands {
        if let Some((_, k)) = PHONE_LABELS.iter().find(|(l, _)| l == c) {
            return Some(k);
        }
    }
    // Phone text is latinized before labels are read ("Телефон" → "Teлeфoh"): compare the
    // labels' latinized spelling too.
    for c in &cands {
        if let Some((_, k)) = PHONE_LABELS.iter().find(|(l, _)| latinize(l).to_lowercase() == *c) {
            return Some(k);
        }
    }
    if words.len() >= 2 {
        let two = format!("{} {}", words[words.len() - 2], last);
        if let Some((_, k)) = PHONE_LABELS.iter().find(|(l, _)| *l == two) {
            return Some(k);
        }
    }
    // Long labels ("Mobiltelefon", "Telephone:"): prefix match on well-known stems.
    let l = latinize(last).to_lowercase();
    for (stem, k) in [
        ("mob", "mobile"),
        ("cell", "mobile"),
        ("handy", "mobile"),
        ("portab", "mobile"),
        ("моб", "mobile"),
        ("сот", "mobile"),
        ("fax", "fax"),
        ("факс", "fax"),
        ("tel", "work"),
        ("tél", "work"),
        ("phon", "work"),
        ("тел", "work"),
        ("off", "work"),
        ("ofic", "work"),
        ("ofis", "work"),
        ("telf", "work"),
        ("mobi", "mobile"),
    ] {
        if l.starts_with(stem) || last.starts_with(stem) || l.starts_with(&latinize(stem).to_lowercase()) {
            return Some(k);
        }
    }
    None
}

/// A phone label printed after the number: the first word of `after` ("mobil", "(fax)", "Tél.").
fn label_after(after: &str) -> Option<&'static str> {
    let first = after
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '-' | '|' | ','))
        .split(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | ',' | '|'))
        .next()?;
    // One letter after a number is a label only in brackets ("… (M)"), not "… 12 A".
    let bracketed = after.trim_start().starts_with('(') && after.contains(')');
    if first.chars().count() < 2 && !bracketed {
        return None;
    }
    label_kind(first)
}

/// Whether a line is a phone line: a number of 7+ digits, labelled or with at most three letters
/// besides labels, and no address label on the line.
pub(super) fn is_phone_line(text: &str) -> bool {
    let norm = normalize_phone_text(text);
    let phone_digits: usize = RE_PHONE.find_iter(&norm).map(|m| count_digits(m.as_str())).max().unwrap_or(0);
    let labelled = RE_PHONE.find_iter(&norm).any(|m| label_kind(&norm[..m.start()]).is_some());
    let non_label_letters = {
        let mut t = norm.clone();
        for m in RE_PHONE.find_iter(&norm) {
            t = t.replace(m.as_str(), " ");
        }
        t.split_whitespace().filter(|w| label_kind(w).is_none()).map(count_letters).sum::<usize>()
    };
    phone_digits >= 7 && (labelled || non_label_letters <= 3) && !has_word(text, ADDRESS_LABELS)
}

/// The phone numbers on the phone lines (at most [`MAX_PHONES`], from a bounded number of
/// candidates): each number of 7+ digits with its kind from the label before it (else the one after
/// it, else the previous number's on the line, else the number's type) and its E.164 form from the
/// card's region clues; a number already read (same E.164) is skipped.
pub(super) fn add_phones(card: &mut ParsedCard, ls: &[L], hints: &ParseHints) {
    let clues = region_clues(ls, hints);
    // Each candidate costs up to a dozen libphonenumber parses: look at a bounded number.
    let mut candidates = 0;
    'phones: for l in ls.iter().filter(|l| l.kind == Kind::Phone) {
        let norm = normalize_phone_text(&l.text);
        let mut last_kind: Option<&str> = None;
        for m in RE_PHONE.find_iter(&norm) {
            let raw = m.as_str().trim().trim_end_matches(['(', '-', '.', '/']).trim();
            if count_digits(raw) < 7 {
                continue;
            }
            if card.phones.len() >= MAX_PHONES || candidates >= 4 * MAX_PHONES {
                break 'phones;
            }
            candidates += 1;
            let before = &norm[..m.start()];
            // Only the text since the previous number counts as this number's label.
            let prev_end =
                RE_PHONE.find_iter(&norm).filter(|p| p.end() <= m.start()).map(|p| p.end()).last().unwrap_or(0);
            // A label after the number ("0151 2345678 mobil", "… (fax)") counts when none is before it.
            let next_start = RE_PHONE.find_iter(&norm).map(|p| p.start()).find(|&s| s >= m.end()).unwrap_or(norm.len());
            let label =
                label_kind(&before[prev_end.min(before.len())..]).or_else(|| label_after(&norm[m.end()..next_start]));
            let (e164, ty) = e164_for(raw, &clues);
            let kind = match (label, last_kind) {
                (Some(k), _) => k,
                (None, Some(k)) if prev_end > 0 => k, // "Tel: 123 / 456" shares the label
                _ => match ty {
                    Some(phonenumber::Type::Mobile) => "mobile",
                    _ => "work",
                },
            };
            last_kind = Some(kind);
            if card.phones.iter().any(|p| p.e164.is_some() && p.e164 == e164) {
                continue;
            }
            card.phones.push(ParsedPhone {
                kind: kind.to_string(),
                number: raw.to_string(),
                e164,
                // the number's line, and a fragment joined to it ("+49" boxed apart)
                blocks: l.sources(),
            });
        }
    }
}

/// Region clues found on the card, most reliable first.
fn region_clues(lines: &[L], hints: &ParseHints) -> Vec<country::Id> {
    let mut out: Vec<country::Id> = Vec::new();
    let mut push = |id: Option<country::Id>| {
        if let Some(id) = id {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    };
    // 1. Country codes of international numbers on the same card (the first few).
    let mut parsed = 0;
    for l in lines {
        for m in RE_PHONE.find_iter(&normalize_phone_text(&l.text)) {
            let t = m.as_str();
            if t.trim_start().starts_with('+') && parsed < MAX_PHONES {
                parsed += 1;
                if let Ok(n) = phonenumber::parse(None, strip_trunk_zero(t)) {
                    push(n.country().id().or_else(|| region_of_code(n.code().value())));
                }
            }
        }
    }
    // 2. The address.
    // (all its lines together first: "42, avenue …" / "78201 Morel" says France only as a whole)
    let joined: Vec<&str> = lines.iter().filter(|l| l.kind == Kind::Address).map(|l| l.text.as_str()).collect();
    if !joined.is_empty() {
        push(address_region(&joined.join(", ")));
    }
    for l in lines.iter().filter(|l| l.kind == Kind::Address) {
        push(address_region(&l.text));
    }
    // 3. The card's own words: the language of its labels, its company's legal form.
    for id in language_region(lines) {
        push(Some(id));
    }
    push(hints.default_region.parse::<country::Id>().ok());
    out
}

/// Regions the card's words point to, most votes first: phone labels in a language ("Handy",
/// "Telefon" → DE; "Portable", "Tél." → FR; Cyrillic → RU) and legal forms used in one country
/// ("GmbH", "KG" → DE; "SARL", "EURL" → FR). English words say nothing (US or GB), and neither does
/// the web or e-mail domain: a .co.uk address is no evidence about a German number.
fn language_region(lines: &[L]) -> Vec<country::Id> {
    const DE: &[&str] = &[
        "handy",
        "mobil",
        "telefon",
        "fon",
        "büro",
        "telefax",
        "mobiltelefon",
        "festnetz",
        "gmbh",
        "mbh",
        "kg",
        "kgaa",
        "ohg",
        "gbr",
        "e.v.",
        "ug",
        "e.k.",
        "deutschland",
    ];
    const FR: &[&str] = &[
        "tél",
        "portable",
        "port",
        "bureau",
        "courriel",
        "télécopie",
        "fixe",
        "sarl",
        "s.a.r.l",
        "eurl",
        "sas",
        "s.a.s",
    ];
    let (mut de, mut fr, mut ru) = (0usize, 0usize, 0usize);
    for l in lines {
        if l.text.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count() >= 3 {
            ru += 1;
        }
        for w in words_lower(&l.text) {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '.').trim_end_matches('.');
            if DE.contains(&w) {
                de += 1;
            } else if FR.contains(&w) {
                fr += 1;
            }
        }
    }
    let mut v: Vec<(usize, country::Id)> = [(de, country::Id::DE), (fr, country::Id::FR), (ru, country::Id::RU)]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.0));
    v.into_iter().map(|(_, id)| id).collect()
}

/// Main region of a calling code (+1 → US, +7 → RU, +44 → GB).
fn region_of_code(code: u16) -> Option<country::Id> {
    let regions = phonenumber::metadata::DATABASE.region(&code)?;
    regions.first().and_then(|r| r.parse().ok())
}

/// The region a national number's own shape suggests.
fn shape_region(raw: &str) -> Option<country::Id> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let t = raw.trim();
    if digits.len() == 11
        && digits.starts_with('8')
        && (t.starts_with("8 (") || t.starts_with("8(") || t.starts_with("8-") || t.starts_with("8 9"))
    {
        return Some(country::Id::RU);
    }
    if digits.len() == 10 && digits.starts_with('0') {
        // 0X XX XX XX XX
        let groups: Vec<&str> = t.split([' ', '.', '-']).filter(|g| !g.is_empty()).collect();
        if groups.len() == 5 && groups.iter().skip(1).all(|g| g.len() == 2) {
            return Some(country::Id::FR);
        }
    }
    if digits.len() == 10
        && (t.starts_with('(') || t.contains('-'))
        && !digits.starts_with('0')
        && !digits.starts_with('1')
    {
        return Some(country::Id::US);
    }
    None
}

/// The region a national number's printing habits suggest, weaker than [`shape_region`] and any
/// clue on the card: US 212.555.0142; German "030/28287270", "030 - …" or a subscriber number
/// of 7+ digits in one group; British 0XX XXXX XXXX, 0XXXX XXXXXX groupings.
fn habit_region(raw: &str) -> Option<country::Id> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let t = raw.trim();
    if digits.len() == 10
        && !digits.starts_with('0')
        && !digits.starts_with('1')
        && t.split(['.', '-', ' ']).map(str::len).collect::<Vec<_>>() == [3, 3, 4]
    {
        return Some(country::Id::US); // 212.555.0142, 212-555-0142, 212 555 0142
    }
    if digits.starts_with('0') && (10..=12).contains(&digits.len()) {
        let groups: Vec<usize> = t.split([' ', '.', '-']).filter(|g| !g.is_empty()).map(count_digits).collect();
        // German habits: "030/28287270", "030 - 28287270", a subscriber number of 7+ digits in one group.
        if t.contains('/') || t.contains(" - ") || (groups.len() >= 2 && groups[1..].iter().any(|&g| g >= 7)) {
            return Some(country::Id::DE);
        }
        // British groupings of 0 + 10 digits: 020 7946 0018, 0161 496 0018, 07911 123456.
        if digits.len() == 11 && [vec![3, 4, 4], vec![4, 3, 4], vec![5, 6], vec![5, 3, 3]].contains(&groups) {
            return Some(country::Id::GB);
        }
    }
    None
}

/// Fix letters that OCR puts in numbers and unify dashes.
fn normalize_phone_text(s: &str) -> String {
    let s = latinize(s);
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let looks_digit = |c: char| c.is_ascii_digit() || matches!(c, 'O' | 'o' | 'l' | 'I' | '|');
    for (i, &c) in chars.iter().enumerate() {
        let n = out.len();
        let back = (n >= 1 && out[n - 1].is_ascii_digit())
            || (n >= 2 && out[n - 2].is_ascii_digit() && !out[n - 1].is_alphabetic());
        let fwd = |k: usize| chars.get(i + k).copied().is_some_and(looks_digit);
        let ahead = (fwd(1) && chars.get(i + 2).copied().is_some_and(|c| c.is_ascii_digit() || looks_digit(c)))
            || (fwd(1) && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
            || (chars.get(i + 1).is_some_and(|c| matches!(c, ' ' | '-' | ')'))
                && chars.get(i + 2).is_some_and(|c| c.is_ascii_digit()));
        let digit_ctx = back && ahead;
        let r = match c {
            'O' | 'o' if digit_ctx => '0',
            'l' | 'I' | '|' if digit_ctx => '1',
            'B' if digit_ctx => '8',
            'S' if digit_ctx => '5',
            c => c,
        };
        out.push(r);
    }
    out.into_iter().collect()
}

/// "+44 (0) 20 …" → "+44 20 …": the bracketed trunk prefix is not dialled internationally.
fn strip_trunk_zero(s: &str) -> String {
    let t = s.trim();
    if t.starts_with('+') {
        t.replace("(0)", " ").replace("( 0 )", " ").replace("(0 )", " ").replace("( 0)", " ")
    } else {
        t.to_string()
    }
}

fn e164_for(raw: &str, clues: &[country::Id]) -> (Option<String>, Option<phonenumber::Type>) {
    let cleaned = strip_trunk_zero(raw);
    let fmt = |n: &phonenumber::PhoneNumber| n.format().mode(Mode::E164).to_string();
    let ty = |n: &phonenumber::PhoneNumber| n.number_type(&phonenumber::metadata::DATABASE);
    if cleaned.starts_with('+') {
        if let Ok(n) = phonenumber::parse(None, &cleaned) {
            // The phonenumber crate drops a leading 8 of +7 numbers as if it were the trunk prefix
            // ("+7 (812) 236-34-12" → +7122363412, invalid); keep the printed digits then.
            let digits: String = cleaned.chars().filter(|c| c.is_ascii_digit()).collect();
            if !phonenumber::is_valid(&n) && fmt(&n) != format!("+{digits}") && (11..=15).contains(&digits.len()) {
                if let Ok(m) = phonenumber::parse(None, format!("+{digits}")) {
                    if phonenumber::is_valid(&m) {
                        return (Some(fmt(&m)), Some(ty(&m)));
                    }
                }
                return (Some(format!("+{digits}")), None);
            }
            return (Some(fmt(&n)), Some(ty(&n)));
        }
        return (None, None);
    }
    // International without '+': 00 prefix.
    if let Some(rest) = cleaned.strip_prefix("00") {
        if let Ok(n) = phonenumber::parse(None, format!("+{rest}")) {
            if phonenumber::is_valid(&n) {
                return (Some(fmt(&n)), Some(ty(&n)));
            }
        }
    }
    // Tier A: what the card itself says (other numbers' country codes, the address, the language of
    // its labels and legal form) and the number's own shape. Tier B: the configured default. Then
    // common regions. Never the web or e-mail domain: a .co.uk or .com site says nothing about
    // where a number is.
    let shape = shape_region(&cleaned);
    if shape == Some(country::Id::RU) {
        // 8 (XXX) XXX-XX-XX: the same crate slip as above for 8 (812) …; the digits say it all.
        if let Some(n) = phonenumber::parse(Some(country::Id::RU), &cleaned).ok().filter(phonenumber::is_valid) {
            return (Some(fmt(&n)), Some(ty(&n)));
        }
        let digits: String = cleaned.chars().filter(|c| c.is_ascii_digit()).collect();
        return (Some(format!("+7{}", &digits[1..])), None);
    }
    let (strong, default) = clues.split_at(clues.len().saturating_sub(1));
    let mut tier_a: Vec<country::Id> = Vec::new();
    for id in strong.iter().chain(shape.iter()) {
        if !tier_a.contains(id) {
            tier_a.push(*id);
        }
    }
    let mut tier_b: Vec<country::Id> = Vec::new();
    for id in default.iter() {
        if !tier_a.contains(id) && !tier_b.contains(id) {
            tier_b.push(*id);
        }
    }
    let parse_in = |ids: &[country::Id]| -> Vec<phonenumber::PhoneNumber> {
        ids.iter().filter_map(|id| phonenumber::parse(Some(*id), &cleaned).ok()).collect()
    };
    let plausible = |n: &phonenumber::PhoneNumber| (7..=12).contains(&n.national().value().to_string().len());
    let a = parse_in(&tier_a);
    // "(812) 815-05-78" on a Russian card: the crate takes the area code's 8 for the trunk prefix.
    let digits: String = cleaned.chars().filter(|c| c.is_ascii_digit()).collect();
    if tier_a.first() == Some(&country::Id::RU)
        && digits.len() == 10
        && digits.starts_with('8')
        && !a.iter().any(phonenumber::is_valid)
    {
        return (Some(format!("+7{digits}")), None);
    }
    if let Some(n) = a.iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    if let Some(n) = a.first().filter(|n| plausible(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    let b = parse_in(&tier_b);
    if let Some(n) = b.iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    // The number's printing habits, after everything the card says and the default region.
    let habit: Vec<country::Id> = habit_region(&cleaned).into_iter().filter(|id| !tier_a.contains(id)).collect();
    if let Some(n) = parse_in(&habit).iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    let commons: Vec<country::Id> =
        [country::Id::US, country::Id::GB, country::Id::DE, country::Id::FR, country::Id::RU]
            .into_iter()
            .filter(|id| !tier_a.contains(id) && !tier_b.contains(id))
            .collect();
    let c = parse_in(&commons);
    if let Some(n) = c.iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    if let Some(n) = b.first().filter(|n| plausible(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    (None, None)
}
