//! Company, department and job title: keyword and domain scores, a company name printed over two
//! lines, and the text fixes for these fields.

use std::collections::HashSet;

use super::layout::{adjacent, overlaps, L};
use super::scripts::{letters_only, letters_only_de};
use super::text::{has_word, words_lower};
use super::words::{COMPANY_WORDS, TITLE_WORDS};
use super::ParseHints;

/// Whether `w` (lower case) is one of the parser's own job-title words.
pub(crate) fn is_builtin_title_word(w: &str) -> bool {
    TITLE_WORDS.contains(&w)
}

pub(super) fn title_score(text: &str, hints: &ParseHints) -> f32 {
    let ws = words_lower(text);
    let mut s = 0.0;
    for w in &ws {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if w.len() < 2 {
            continue;
        }
        if TITLE_WORDS.contains(&w) || hints.title_words.iter().any(|t| t.to_lowercase() == w) {
            s += 1.0;
        } else if w.chars().count() >= 5
            && TITLE_WORDS.iter().any(|t| t.chars().count() >= 5 && (w.starts_with(t) || w.ends_with(t)))
        {
            s += 0.6;
        }
    }
    let lower = text.to_lowercase();
    for t in &hints.title_words {
        if t.contains(' ') && lower.contains(&t.to_lowercase()) {
            s += 1.0;
        }
    }
    s
}

pub(super) fn company_score(text: &str, hints: &ParseHints, domains: &[String]) -> f32 {
    let mut s = 0.0;
    let lower = text.to_lowercase();
    let folded = letters_only(text);
    for k in &hints.known_companies {
        let kf = letters_only(k);
        let k = k.trim().to_lowercase();
        // Folded (no case, accents or punctuation) so an OCR slip in a diacritic still matches.
        if !k.is_empty() && (lower == k || lower.contains(&k) || (kf.len() >= 4 && folded.contains(&kf))) {
            s += 3.0;
        }
    }
    if has_word(text, COMPANY_WORDS) || text.contains('&') || text.contains('«') || text.contains('"') {
        s += 1.0;
    }
    // Umlauts both ways: "Schönland" is schonland… or schoenland… in a domain.
    let forms = [letters_only(text), letters_only_de(text)];
    for d in domains {
        let mut best: f32 = 0.0;
        for letters in &forms {
            if d.len() >= 4 && letters.len() >= 3 {
                let n = d.len().min(letters.len()).min(14);
                if n >= 4 && letters.starts_with(&d[..n.min(d.len())]) || (d.len() >= 5 && letters.contains(d.as_str()))
                {
                    best = best.max(2.5);
                } else if letters.len() >= 4 && d.starts_with(&letters[..letters.len().min(d.len())]) {
                    best = best.max(2.0);
                }
            }
        }
        s += best;
    }
    s
}

/// "technical offi cer", "off cer": a word split at an fi/fl ligature (or missing its i) is joined
/// when the joined word is a job-title word.
fn join_split_ligatures(s: &str) -> String {
    let words: Vec<&str> = s.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if i + 1 < words.len() && words[i + 1].starts_with(|c: char| c.is_lowercase()) {
            let (a, b) = (words[i], words[i + 1]);
            let trail: String =
                b.chars().rev().take_while(|c| !c.is_alphanumeric()).collect::<Vec<_>>().into_iter().rev().collect();
            let core_b = &b[..b.len() - trail.len()];
            let cands = [format!("{a}{core_b}"), format!("{a}i{core_b}")];
            if a.ends_with(['f', 'i', 'l']) {
                if let Some(j) = cands.iter().find(|c| TITLE_WORDS.contains(&c.to_lowercase().as_str())) {
                    out.push(format!("{j}{trail}"));
                    i += 2;
                    continue;
                }
            }
        }
        out.push(words[i].to_string());
        i += 1;
    }
    out.join(" ")
}

/// Fix well-known recogniser confusions in free text fields (not names).
pub(super) fn fix_text_confusions(s: &str) -> String {
    let s = &join_split_ligatures(s);
    // "Al" (A + lower-case L) standing alone next to capitalised words is almost always "AI".
    let words: Vec<&str> = s.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for w in &words {
        if *w == "Al" && words.len() > 1 {
            out.push("AI".to_string());
        } else {
            out.push(w.to_string());
        }
    }
    out.join(" ")
}

/// The other half of a company name printed over two lines: the unused text line right above or
/// below it in the same type size, when the two read as one name — joined, they agree better with
/// the web domain, or one half is only a legal form or ends / starts with a connector
/// ("Moore, Daniels" / "and Wheeler", "Dowerg" / "GmbH").
pub(super) fn company_continuation(
    ls: &[L],
    i: usize,
    text_idx: &[usize],
    used: &HashSet<usize>,
    dept: &[usize],
    hints: &ParseHints,
    domains: &[String],
) -> Option<usize> {
    const CONNECTORS: &[&str] = &["and", "und", "et", "&", "и", "+"];
    let only_legal = |t: &str| {
        // "&C0.KG" is "& Co. KG"
        let t = t.replace('&', " & ").replace('.', ". ").replace("c0", "co").replace("C0", "Co");
        let ws = words_lower(&t);
        !ws.is_empty()
            && ws.len() <= 4
            && ws.iter().all(|w| {
                let w = w.trim_matches(|c: char| c == '.' || c == ',');
                CONNECTORS.contains(&w)
                    || COMPANY_WORDS.contains(&w)
                    || COMPANY_WORDS.contains(&format!("{w}.").as_str())
                    || ["co", "cie", "&co"].contains(&w)
            })
    };
    let single = company_score(&ls[i].text, hints, domains);
    let mut best: Option<(usize, f32)> = None;
    for &j in text_idx {
        if j == i || used.contains(&j) || dept.contains(&j) || !adjacent(&ls[i], &ls[j], 1.7) {
            continue;
        }
        // No other line between them in the column.
        let (a, b) = if ls[j].y < ls[i].y { (j, i) } else { (i, j) };
        if text_idx
            .iter()
            .any(|&k| k != a && k != b && ls[k].y > ls[a].y && ls[k].y < ls[b].y && overlaps(&ls[a], &ls[k]))
        {
            continue;
        }
        let (upper, lower) = (&ls[a].text, &ls[b].text);
        let joined = format!("{upper} {lower}");
        let upper_last = words_lower(upper).last().cloned().unwrap_or_default();
        let lower_first = words_lower(lower).first().cloned().unwrap_or_default();
        let open = |t: &str, o: char, c: char| t.matches(o).count() > t.matches(c).count();
        let connector = upper.trim_end().ends_with([',', '&', '-'])
            || open(upper, '«', '»')
            || open(upper, '(', ')')
            || upper.matches('"').count() % 2 == 1
            || CONNECTORS.contains(&upper_last.as_str())
            || CONNECTORS.contains(&lower_first.as_str());
        let legal = only_legal(&ls[j].text) || only_legal(&ls[i].text);
        let gain = company_score(&joined, hints, domains) - single.max(company_score(&ls[j].text, hints, domains));
        let title = title_score(&ls[j].text, hints) > 0.0;
        let score = if (connector || legal) && !title { 2.0 } else { 0.0 } + if gain >= 0.4 { gain } else { 0.0 };
        if score > 0.0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((j, score));
        }
    }
    best.map(|(j, _)| j)
}

/// Upper/lower-case look-alikes (c o p s u v w x y z) inside a lower-case word: "CopY" → "Copy".
pub(super) fn fix_case_confusions(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let cs: Vec<char> = w.chars().collect();
            if cs.len() >= 3 && cs[0].is_uppercase() && cs[1..cs.len() - 1].iter().all(|c| c.is_lowercase()) {
                let last = cs[cs.len() - 1];
                if "COPSUVWXYZ".contains(last) {
                    let mut t: String = cs[..cs.len() - 1].iter().collect();
                    t.extend(last.to_lowercase());
                    return t;
                }
            }
            w.to_string()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
