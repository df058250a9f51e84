//! Company, department and job title: keyword and domain scores, a company name printed over two
//! lines, and the text fixes for these fields.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::layout::{adjacent, overlaps, L};
use super::names::name_shape;
use super::scripts::{letters_only, letters_only_de};
use super::text::{count_letters, has_word, words_lower};
use super::words::{COMPANY_WORDS, DEPARTMENT_WORDS, TITLE_WORDS};
use super::{field, FreeText, ParseHints, ParsedCard};

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
fn fix_text_confusions(s: &str) -> String {
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

/// The department lines among the free-text lines: those with a department word (picked first:
/// the keywords are specific).
pub(super) fn department_lines(ls: &[L], text_idx: &[usize]) -> Vec<usize> {
    text_idx.iter().copied().filter(|&i| has_word(&ls[i].text, DEPARTMENT_WORDS)).collect()
}

/// The best company candidate among the lines still free: known company names, legal forms and
/// web-domain agreement, less half its title score; None unless some line scores above zero.
pub(super) fn best_company_line(ft: &FreeText, hints: &ParseHints, domains: &[String]) -> Option<(usize, f32)> {
    let (ls, used, dept) = (ft.ls, &ft.used, &ft.dept);
    let mut best_comp: Option<(usize, f32)> = None;
    for &i in &ft.lines {
        if used.contains(&i) || dept.contains(&i) {
            continue;
        }
        let s = company_score(&ls[i].text, hints, domains) - 0.5 * title_score(&ls[i].text, hints);
        if s > 0.0 && best_comp.is_none_or(|(_, b)| s > b) {
            best_comp = Some((i, s));
        }
    }
    best_comp
}

/// The position: the line still free with the highest title score, plus 1.2 for the line right
/// below the name in its column and less 0.7 for the best company candidate; only above 0.5.
pub(super) fn add_position(
    card: &mut ParsedCard,
    ft: &mut FreeText,
    name_i: Option<usize>,
    best_comp: Option<(usize, f32)>,
    hints: &ParseHints,
) {
    let (ls, text_idx, used, dept) = (ft.ls, &ft.lines, &ft.used, &ft.dept);
    // Position: title words, or the line right below the name in its column.
    let below_name: Option<usize> = name_i.and_then(|ni| {
        text_idx
            .iter()
            .copied()
            .filter(|&i| !used.contains(&i) && !dept.contains(&i) && ls[i].y > ls[ni].y && overlaps(&ls[ni], &ls[i]))
            .min_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y))
            .filter(|&i| ls[i].y - ls[ni].y < 4.0 * ls[ni].h.max(ls[i].h))
    });
    let mut best_title: Option<(usize, f32)> = None;
    for &i in text_idx {
        if used.contains(&i) || dept.contains(&i) {
            continue;
        }
        let mut s = title_score(&ls[i].text, hints);
        if Some(i) == below_name {
            s += 1.2;
        }
        if let Some((ci, _)) = best_comp {
            if ci == i {
                s -= 0.7;
            }
        }
        if s > 0.5 && best_title.is_none_or(|(_, b)| s > b) {
            best_title = Some((i, s));
        }
    }
    if let Some((i, _)) = best_title {
        ft.used.insert(i);
        card.position = field(fix_case_confusions(&fix_text_confusions(&ls[i].text)), vec![ls[i].idx]);
    }
}

/// The department: all department lines, joined with commas.
pub(super) fn add_department(card: &mut ParsedCard, ft: &mut FreeText) {
    let (ls, dept) = (ft.ls, &ft.dept);
    if !dept.is_empty() {
        let v: Vec<String> = dept.iter().map(|&i| fix_text_confusions(&ls[i].text)).collect();
        card.department = field(v.join(", "), dept.iter().map(|&i| ls[i].idx).collect());
        ft.used.extend(dept.iter().copied());
    }
}

/// The company line: strong company evidence, else the best candidate if still free, else by
/// elimination the free line that is least a name with the most weight.
pub(super) fn company_line(
    ft: &FreeText,
    strong_comp: Option<usize>,
    best_comp: Option<(usize, f32)>,
) -> Option<usize> {
    let (ls, text_idx, used) = (ft.ls, &ft.lines, &ft.used);
    strong_comp.or_else(|| best_comp.map(|(i, _)| i).filter(|i| !used.contains(i))).or_else(|| {
        // By elimination: the remaining text line with the most weight (largest text, then most letters).
        text_idx.iter().copied().filter(|i| !used.contains(i) && name_shape(&ls[*i].text) < 2.0).max_by(|&a, &b| {
            (ls[a].h * (count_letters(&ls[a].text) as f32).sqrt())
                .total_cmp(&(ls[b].h * (count_letters(&ls[b].text) as f32).sqrt()))
        })
    })
}

/// The company from line `i` and up to two lines that continue it, in reading order, its text fixed.
pub(super) fn add_company(card: &mut ParsedCard, ft: &mut FreeText, i: usize, hints: &ParseHints, domains: &[String]) {
    let ls = ft.ls;
    ft.used.insert(i);
    // A company name set over two lines ("Schleich GmbH" / "& Co. KG", "Durand" / "Jourdan SARL").
    // (or three: each added line may be continued once more)
    let mut parts = vec![i];
    let mut last = i;
    while parts.len() < 3 {
        let Some(j) = company_continuation(ls, last, &ft.lines, &ft.used, &ft.dept, hints, domains) else { break };
        ft.used.insert(j);
        parts.push(j);
        last = j;
    }
    parts.sort_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y));
    let text = parts.iter().map(|&k| ls[k].text.as_str()).collect::<Vec<_>>().join(" ");
    let blocks: Vec<usize> = parts.iter().map(|&k| ls[k].idx).collect();
    card.company = field(company_name(&text, hints, domains), blocks);
}

/// A company name as read (from one or more lines) made presentable: OCR confusions fixed, "& Co."
/// spaced, a logo in capitals that spells the domain in title case, a known company's saved spelling.
fn company_name(text: &str, hints: &ParseHints, domains: &[String]) -> String {
    let mut c = fix_case_confusions(&fix_text_confusions(text));
    // "& Co.KG" read without the space.
    static CO_GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(Co\.)(\p{Lu})").unwrap());
    static AND_CO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*&\s*C[o0]\.\s*(\p{Lu})").unwrap());
    c = AND_CO.replace_all(&c, " & Co. $1").to_string();
    c = CO_GLUED.replace_all(&c, "$1 $2").to_string();
    // A logo in capitals that spells the web domain ("CONTOSO" / contoso.com) is the brand name.
    let letters: String = c.chars().filter(|ch| ch.is_alphabetic()).collect();
    if !c.contains(' ')
        && letters.chars().count() >= 5
        && letters.chars().all(|ch| ch.is_uppercase())
        && domains.iter().any(|d| d.eq_ignore_ascii_case(&letters))
    {
        let lower = c.to_lowercase();
        let mut it = lower.chars();
        c = it.next().map(|f| f.to_uppercase().chain(it).collect()).unwrap_or_default();
    }
    // A known company read with an OCR slip ("Lévèque" for "Lévêque") takes the saved spelling.
    let folded = letters_only(text);
    if let Some(k) = hints.known_companies.iter().find(|k| folded.len() >= 4 && letters_only(k) == folded) {
        c = k.trim().to_string();
    }
    c
}

/// The other half of a company name printed over two lines: the unused text line right above or
/// below it in the same type size, when the two read as one name — joined, they agree better with
/// the web domain, or one half is only a legal form or ends / starts with a connector
/// ("Moore, Daniels" / "and Wheeler", "Dowerg" / "GmbH").
fn company_continuation(
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
fn fix_case_confusions(s: &str) -> String {
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
