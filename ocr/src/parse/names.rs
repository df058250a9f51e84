//! The person's name: prefixes, particles and suffixes, how a name line looks, name fragments joined
//! by the e-mail user name, and the split into prefix / first / middle / last.

use std::sync::LazyLock;

use regex::Regex;

use super::companies_titles::{company_score, title_score};
use super::email_web::email_agreement;
use super::layout::{Kind, L};
use super::scripts::letters_only;
use super::text::{count_digits, count_letters, has_word};
use super::words::COMPANY_WORDS;
use super::{field, ParseHints, ParsedCard};

const PREFIXES: &[&str] = &[
    "dr",
    "dr.",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "miss",
    "prof",
    "prof.",
    "herr",
    "frau",
    "m.",
    "mme",
    "mme.",
    "mlle",
    "sr.",
    "sra.",
    "srta.",
    "dott.",
    "ing.",
    "dipl.-ing.",
    "pr",
    "pr.",
    "г-н",
    "г-жа",
];

pub(super) const NAME_PARTICLES: &[&str] = &[
    "de", "da", "di", "du", "del", "della", "der", "den", "van", "von", "le", "la", "ten", "ter", "zu", "dos", "das",
    "st.", "mac", "al", "el", "bin", "ibn",
];

pub(super) fn is_prefix(w: &str) -> bool {
    PREFIXES.contains(&w.to_lowercase().as_str())
}

/// Does `text` look like a person's name?
pub(super) fn name_shape(text: &str) -> f32 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let core: Vec<&str> = words.iter().copied().filter(|w| !is_prefix(w)).collect();
    if core.is_empty() || core.len() > 5 {
        return 0.0;
    }
    if count_digits(text) > 0 || text.contains('@') {
        return 0.0;
    }
    let mut s = 1.0;
    if core.len() == 1 {
        s *= 0.3;
    }
    for w in &core {
        let first = w.chars().next().unwrap_or(' ');
        let lw = w.to_lowercase();
        if NAME_PARTICLES.contains(&lw.as_str()) {
            continue;
        }
        if !first.is_uppercase() {
            s *= 0.4;
        }
        if (w.ends_with(',') && core.len() != 2) || w.contains('&') {
            s *= 0.3;
        }
    }
    if has_word(text, COMPANY_WORDS) {
        s *= 0.3;
    }
    if words.len() != core.len() {
        s *= 1.5;
    }
    s
}

/// "WaIker" → "Walker": a capital I between lower-case letters (or ending a lower-case word) of a
/// name is the recogniser's reading of a lower-case l (not after Mc/Mac: "McIntyre").
fn fix_name_confusions(s: &str) -> String {
    // "Klaus-D.Beckmann": an initial's dot read without the space after it.
    static INITIAL_GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\p{Lu})\.(\p{Lu}\p{Ll})").unwrap());
    let s = INITIAL_GLUED.replace_all(s, "$1. $2");
    s.split(' ')
        .map(|w| {
            let cs: Vec<char> = w.chars().collect();
            let mut out = String::with_capacity(w.len());
            for (i, &c) in cs.iter().enumerate() {
                let after_mc = (i == 2 && w.starts_with("Mc")) || (i == 3 && w.starts_with("Mac"));
                if c == 'I'
                    && i >= 2
                    && !after_mc
                    && cs[i - 1].is_lowercase()
                    && cs[..i].iter().filter(|c| c.is_uppercase()).count() == 1
                    && cs.get(i + 1).is_none_or(|n| n.is_lowercase())
                {
                    out.push('l');
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word printed in capitals ("TURNER", "O'CONNOR", "РОГОВ"): two or more letters, none lower case.
fn is_caps_word(w: &str) -> bool {
    let mut n = 0;
    for c in w.chars().filter(|c| c.is_alphabetic()) {
        if !c.is_uppercase() {
            return false;
        }
        n += 1;
    }
    n >= 2
}

/// [`is_caps_word`], or a word of four or more letters with one lower-case letter whose shape is
/// its capital's (c o p s u v w x y z): the recogniser's reading of "ROSS" as "RoSS". Only for
/// writing the word in title case, not for telling the surname.
fn is_caps_word_loose(w: &str) -> bool {
    let (mut n, mut lower, mut lookalike) = (0, 0, true);
    for c in w.chars().filter(|c| c.is_alphabetic()) {
        if !c.is_uppercase() {
            lower += 1;
            lookalike &= n > 0 && "copsuvwxyz".contains(c);
        }
        n += 1;
    }
    n >= 2 && (lower == 0 || (lower == 1 && lookalike && n >= 4))
}

/// "O'CONNOR" → "O'Connor", "MÜLLER-LÜDENSCHEIDT" → "Müller-Lüdenscheidt", "DR." → "Dr.".
fn title_case_word(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut start = true;
    for c in w.chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = matches!(c, '-' | '\'' | '’');
        }
    }
    out
}

/// Whether an e-mail user name spells the two words of a name in the other order
/// ("Turner Elisa" with e.turner@).
fn email_says_reversed(a: &str, b: &str, users: &[Vec<String>]) -> bool {
    let (a, b) = (letters_only(a), letters_only(b));
    if a.len() < 2 || b.len() < 2 {
        return false;
    }
    let full = |x: &str, p: &str| p == x || (p.len() >= 3 && x.starts_with(p)) || (x.len() >= 3 && p.starts_with(x));
    let initial = |x: &str, p: &str| p.len() == 1 && x.starts_with(p);
    users.iter().any(|parts| {
        parts.len() >= 2 && {
            let (p0, pl) = (parts[0].as_str(), parts[parts.len() - 1].as_str());
            // Only an initial is unambiguous: "turner.elisa@" may be the firm's last.first habit.
            initial(&b, p0) && full(&a, pl) && !full(&a, p0)
        }
    })
}

const NAME_SUFFIXES: &[&str] = &["phd", "ph.d.", "jr.", "jr", "sr", "mba", "md", "m.d.", "dipl.", "esq."];

/// Split a name line into prefix / first / middle / last and the full name in natural order:
/// a surname printed first ("Turner, Elisa", "TURNER Elisa", or "Turner Elisa" with e-mail
/// e.turner@) is put last; words in capitals are written in title case.
pub(super) fn split_name(full: &str, blocks: &[usize], users: &[Vec<String>], card: &mut ParsedCard) {
    let full = fix_name_confusions(full);
    let mut words: Vec<String> = full.split_whitespace().map(String::from).collect();
    let mut prefix = Vec::new();
    while let Some(w) = words.first() {
        if is_prefix(w) && words.len() > 1 {
            prefix.push(if is_caps_word(w) { title_case_word(w) } else { w.clone() });
            words.remove(0);
        } else {
            break;
        }
    }
    // Suffixes such as "PhD", "Jr." stay out of first/last.
    while let Some(w) = words.last() {
        let lw = w.to_lowercase();
        if words.len() > 2 && NAME_SUFFIXES.contains(&lw.trim_end_matches(',')) {
            words.pop();
        } else {
            break;
        }
    }
    if let Some(w) = words.last_mut() {
        *w = w.trim_end_matches(',').to_string();
    }
    let mut reordered = false;
    // How many trailing words are the surname when the card shows it ("GREIN GROTH Tino").
    let mut surname_words = 1;
    // "Turner, Elisa": a comma after the first word (or two) marks the surname.
    if (2..=4).contains(&words.len()) {
        if let Some(ci) = words.iter().position(|w| w.ends_with(',')) {
            if ci <= 1 && ci + 1 < words.len() {
                let mut w2: Vec<String> = words[ci + 1..].to_vec();
                w2.extend(words[..=ci].iter().map(|w| w.trim_end_matches(',').to_string()));
                words = w2;
                reordered = true;
                surname_words = ci + 1;
            }
        }
    }
    // "TURNER Elisa": the words in capitals before the others are the surname.
    if !reordered && words.len() >= 2 {
        let caps: Vec<bool> = words.iter().map(|w| is_caps_word(w)).collect();
        let k = caps.iter().take_while(|c| **c).count();
        if k > 0 && k < words.len() && words[k..].iter().all(|w| !is_caps_word_loose(w)) {
            words.rotate_left(k);
            reordered = true;
            surname_words = k;
        }
    }
    if !reordered && words.len() == 2 && email_says_reversed(&words[0], &words[1], users) {
        words.swap(0, 1);
    }
    for w in words.iter_mut() {
        if is_caps_word_loose(w) {
            *w = title_case_word(w);
        }
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let b = || blocks.to_vec();
    if !prefix.is_empty() {
        card.prefix = field(prefix.join(" "), b());
    }
    let full_clean = words.join(" ");
    card.full_name = field(full_clean.clone(), b());
    match words.len() {
        0 => {}
        1 => card.first_name = field(words[0], b()),
        _ => {
            let is_patronymic = |w: &str| {
                let l = w.to_lowercase();
                ["ович", "евич", "ьич", "овна", "евна", "ична", "инична"].iter().any(|s| l.ends_with(s))
            };
            if words.len() == 3 && is_patronymic(words[2]) {
                card.last_name = field(words[0], b());
                card.first_name = field(words[1], b());
                card.middle_name = field(words[2], b());
            } else if words.len() >= 3 && NAME_PARTICLES.contains(&words[1].to_lowercase().as_str()) {
                card.first_name = field(words[0], b());
                card.last_name = field(words[1..].join(" "), b());
            } else {
                let k = surname_words.clamp(1, words.len() - 1);
                let split = words.len() - k;
                card.first_name = field(words[0], b());
                card.last_name = field(words[split..].join(" "), b());
                if split > 1 {
                    card.middle_name = field(words[1..split].join(" "), b());
                }
            }
        }
    }
}

/// A name the recogniser split into fragments ("Н ина Юд ин") is joined the way the e-mail user name
/// spells it (nina.udin@).
pub(super) fn join_name_fragments(ls: &mut [L], users: &[Vec<String>]) {
    for l in ls.iter_mut().filter(|l| l.kind == Kind::Text) {
        if let Some(joined) = join_fragments(&l.text, users) {
            l.text = joined;
        }
    }
}

/// The name line among the free-text lines `text_idx` (not the department lines): the best of name
/// shape (weighted by type size), agreement with an e-mail user name, less its title and company
/// scores; None unless the best scores over 0.5.
pub(super) fn pick_name_line(
    ls: &[L],
    text_idx: &[usize],
    dept: &[usize],
    hints: &ParseHints,
    users: &[Vec<String>],
    domains: &[String],
) -> Option<usize> {
    let max_h = text_idx.iter().map(|&i| ls[i].h).fold(0.0, f32::max).max(1.0);
    // Name: e-mail agreement, shape, size, prefix.
    let mut best_name: Option<(usize, f32)> = None;
    for &i in text_idx {
        if dept.contains(&i) {
            continue;
        }
        let t = &ls[i].text;
        let shape = name_shape(t);
        if shape == 0.0 {
            continue;
        }
        let agree = email_agreement(t, users);
        let title = title_score(t, hints);
        let comp = company_score(t, hints, domains);
        let score = shape * (1.0 + ls[i].h / max_h) + 2.0 * agree - 0.8 * title - 0.8 * comp;
        if best_name.is_none_or(|(_, s)| score > s) {
            best_name = Some((i, score));
        }
    }
    best_name.filter(|(_, s)| *s > 0.5).map(|(i, _)| i)
}

/// "Н ина Юд ин" → "Нина Юдин": a line of 3–8 words, some of one or two letters, regrouped into
/// two or three words when that agrees clearly better with an e-mail user name.
fn join_fragments(text: &str, users: &[Vec<String>]) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if users.is_empty()
        || !(3..=8).contains(&words.len())
        || !words.iter().any(|w| count_letters(w) <= 2)
        || count_digits(text) > 0
        || text.contains('@')
    {
        return None;
    }
    let base = email_agreement(text, users);
    let n = words.len();
    let mut best: Option<(f32, String)> = None;
    // Cut points: one (two words) or two (three words).
    let mut cuts: Vec<Vec<usize>> = (1..n).map(|a| vec![a]).collect();
    for a in 1..n {
        for b in a + 1..n {
            cuts.push(vec![a, b]);
        }
    }
    for c in cuts {
        let mut parts = Vec::new();
        let mut start = 0;
        for &end in c.iter().chain(std::iter::once(&n)) {
            parts.push(words[start..end].concat());
            start = end;
        }
        let cand = parts.join(" ");
        let score = email_agreement(&cand, users);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, cand));
        }
    }
    best.filter(|(s, _)| *s >= 1.5 && *s > base + 0.5).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capital_i_for_l_in_names() {
        assert_eq!(fix_name_confusions("Kathleen WaIker"), "Kathleen Walker");
        assert_eq!(fix_name_confusions("Max MaxwelI"), "Max Maxwell");
        assert_eq!(fix_name_confusions("Ian McIntyre"), "Ian McIntyre");
        assert_eq!(fix_name_confusions("Iris MacIver"), "Iris MacIver");
    }
}
