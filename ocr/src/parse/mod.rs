//! Card text → contact fields.
//!
//! The parser works on recognised lines with their boxes:
//! 1. the reading frame is taken from the boxes (so a rotated card reads the same as an upright one),
//! 2. contact lines are recognised by pattern: e-mails and URLs (tolerating the usual OCR confusions),
//!    phones with their labels (EN/DE/FR/RU/ES/IT…, plus the Latin look-alikes PP-OCR writes for
//!    Cyrillic labels), addresses (postcodes, street words, house numbers, labels),
//! 3. the remaining text lines are assigned to name / position / department / company by keyword
//!    lists (extendable by [`ParseHints`]), agreement with the e-mail user name and the web domain,
//!    and layout (text height, vertical order, column).
//!
//! Every field records the indexes of the lines it came from.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::Line;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedField {
    pub value: String,
    /// Indexes into the lines the card was parsed from.
    pub blocks: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedPhone {
    /// mobile | work | fax | home | other
    pub kind: String,
    /// As printed (cleaned of OCR confusions).
    pub number: String,
    pub e164: Option<String>,
    pub blocks: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedCard {
    pub prefix: Option<ParsedField>,
    pub first_name: Option<ParsedField>,
    pub middle_name: Option<ParsedField>,
    pub last_name: Option<ParsedField>,
    pub full_name: Option<ParsedField>,
    pub position: Option<ParsedField>,
    pub department: Option<ParsedField>,
    pub company: Option<ParsedField>,
    pub website: Option<ParsedField>,
    pub address: Option<ParsedField>,
    pub phones: Vec<ParsedPhone>,
    pub emails: Vec<ParsedField>,
}

/// Knowledge that improves parsing; the service fills it from what users corrected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseHints {
    /// ISO 3166 region for national numbers when the card gives no clue ("US", "DE", …).
    pub default_region: String,
    /// Company names users saved before: a line equal to (or containing) one is the company.
    pub known_companies: Vec<String>,
    /// Extra job-title words (lower case) beyond the built-in lists.
    pub title_words: Vec<String>,
}

impl Default for ParseHints {
    fn default() -> Self {
        ParseHints { default_region: "US".into(), known_companies: Vec::new(), title_words: Vec::new() }
    }
}

/// [`parse_card`] reads at most this many lines (a card has a few dozen; the rest is ignored).
pub const MAX_PARSE_LINES: usize = 200;
/// ... of at most this many characters each (a card line has well under a hundred).
pub const MAX_LINE_CHARS: usize = 500;
/// ... and keeps at most this many phone numbers.
pub const MAX_PHONES: usize = 16;

fn field(value: impl Into<String>, blocks: Vec<usize>) -> Option<ParsedField> {
    let value = value.into();
    let value = value.trim();
    if value.is_empty() {
        None
    } else {
        Some(ParsedField { value: value.to_string(), blocks })
    }
}

/// `re!(vis NAME, pattern)`: a regex compiled on first use (defined before the submodules so they can use it).
macro_rules! re {
    ($vis:vis $name:ident, $pat:expr) => {
        $vis static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).unwrap());
    };
}

mod addresses;
mod companies_titles;
mod email_web;
mod layout;
mod names;
mod phones;
mod scripts;
mod text;
mod words;

use addresses::{grow_address, is_address, normalize_address, strip_label, ADDRESS_LABELS, RE_HOUSE_STREET};
use companies_titles::{company_continuation, company_score, fix_case_confusions, fix_text_confusions, title_score};
use email_web::{
    clean_contact, cut_email_tail, domain_of, drop_glued_label, email_agreement, resolve_rn_m, strip_contact_label,
    EMAIL_LABELS, RE_EMAIL, RE_URL, WEB_LABELS,
};
use layout::{clean_text, join_row_fragments, overlaps, split_mixed_lines, Kind, L};
use names::{join_fragments, name_shape, split_name};
use phones::{e164_for, label_after, label_kind, normalize_phone_text, region_clues, RE_PHONE};
use scripts::{latinize, letters_only};
use text::{count_digits, count_letters, has_word, truncate_chars};
use words::DEPARTMENT_WORDS;

pub(crate) use companies_titles::is_builtin_title_word;

/// Parse recognised lines into contact fields.
///
/// The work is bounded whatever the input: at most [`MAX_PARSE_LINES`] lines of at most
/// [`MAX_LINE_CHARS`] characters are read, and at most [`MAX_PHONES`] numbers kept.
pub fn parse_card(lines: &[Line], hints: &ParseHints) -> ParsedCard {
    let mut card = ParsedCard::default();
    let lines = &lines[..lines.len().min(MAX_PARSE_LINES)];
    if lines.is_empty() {
        return card;
    }
    // Reading frame from the boxes: mean top-edge direction weighted by width.
    let (mut rx, mut ry) = (0f32, 0f32);
    for l in lines {
        rx += l.quad[1].x - l.quad[0].x;
        ry += l.quad[1].y - l.quad[0].y;
    }
    let n = (rx * rx + ry * ry).sqrt();
    let (rx, ry) = if n > 0.0 { (rx / n, ry / n) } else { (1.0, 0.0) };
    let (dx, dy) = (-ry, rx);
    let mut ls: Vec<L> = lines
        .iter()
        .enumerate()
        .filter_map(|(idx, l)| {
            let text = clean_text(truncate_chars(&l.text, MAX_LINE_CHARS));
            if text.is_empty() {
                return None;
            }
            let xs: Vec<f32> = l.quad.iter().map(|p| p.x * rx + p.y * ry).collect();
            let c = l.center();
            Some(L {
                idx,
                text,
                x0: xs.iter().cloned().fold(f32::MAX, f32::min),
                x1: xs.iter().cloned().fold(f32::MIN, f32::max),
                y: c.x * dx + c.y * dy,
                h: l.height(),
                kind: Kind::Text,
            })
        })
        .collect();
    ls.sort_by(|a, b| a.y.total_cmp(&b.y));
    ls = split_mixed_lines(ls);
    ls = join_row_fragments(ls);

    // --- contact lines -------------------------------------------------------------------------
    let mut emails: Vec<(String, usize, String)> = Vec::new();
    let mut webs: Vec<(String, usize)> = Vec::new();
    for l in ls.iter_mut() {
        let lat = latinize(&l.text);
        let lower = lat.to_lowercase();
        let at_fixed = cut_email_tail(&lat)
            .to_lowercase()
            .replace("(at)", "@")
            .replace("[at]", "@")
            .replace(" @ ", "@")
            .replace("@ ", "@")
            .replace(" @", "@");
        if at_fixed.contains('@') {
            // "E elisa@x.com", "E-Mail: …", "Courriel : …": the label is not part of the address.
            let unlabelled = strip_contact_label(&at_fixed, EMAIL_LABELS);
            let cleaned = clean_contact(unlabelled.as_deref().unwrap_or(&at_fixed));
            if let Some(m) = RE_EMAIL.find(&cleaned) {
                emails.push((m.as_str().trim_matches('.').to_string(), l.idx, l.text.clone()));
                l.kind = Kind::Email;
                continue;
            }
        }
        let digits = count_digits(&lat);
        let letters = count_letters(&lat);
        // "W www.x.com", "Web: x.com", "Сайт: …": a web label before the address.
        let web_rest = strip_contact_label(&lower, WEB_LABELS);
        let web_label = web_rest.as_deref().is_some_and(|r| r.contains('.') && count_digits(r) * 2 < count_letters(r));
        if lower.contains("www")
            || lower.contains("http")
            || web_label
            || (digits * 2 < letters && RE_URL.is_match(&clean_contact(&lat)) && !lat.contains(' '))
        {
            let stripped = if web_label { web_rest.clone().unwrap_or_default() } else { lat.clone() };
            let cleaned = clean_contact(&stripped);
            let mut cleaned =
                cleaned.replace("http//", "http://").replace("https//", "https://").replace("www,", "www.");
            // A one-letter label glued to the address by the recogniser: "W www.x.com" read "Wwww.x.com".
            if let Some(rest) = cleaned.strip_prefix("wwww.") {
                cleaned = format!("www.{rest}");
            }
            // A trailing "/" is often read as l, 1 or I: "contoso.coml".
            if RE_URL.find(&cleaned).is_none_or(|m| m.end() != cleaned.len()) && cleaned.ends_with(['l', '1', 'i', '|'])
            {
                let mut fixed = cleaned.clone();
                fixed.pop();
                fixed.push('/');
                if RE_URL.find(&fixed).is_some_and(|m| m.end() == fixed.len()) {
                    cleaned = fixed;
                }
            }
            if let Some(m) = RE_URL.find(&cleaned) {
                webs.push((m.as_str().to_string(), l.idx));
                l.kind = Kind::Web;
                continue;
            }
        }
        let norm = normalize_phone_text(&l.text);
        let phone_digits: usize = RE_PHONE.find_iter(&norm).map(|m| count_digits(m.as_str())).max().unwrap_or(0);
        let labelled = RE_PHONE.find_iter(&norm).any(|m| label_kind(&norm[..m.start()]).is_some());
        let non_label_letters = {
            let mut t = norm.clone();
            for m in RE_PHONE.find_iter(&norm) {
                t = t.replace(m.as_str(), " ");
            }
            t.split_whitespace().filter(|w| label_kind(w).is_none()).map(count_letters).sum::<usize>()
        };
        if phone_digits >= 7 && (labelled || non_label_letters <= 3) && !has_word(&l.text, ADDRESS_LABELS) {
            l.kind = Kind::Phone;
            continue;
        }
        if is_address(&l.text) {
            l.kind = Kind::Address;
        }
    }
    // A street line directly above an address line in the same column ("2 Kingdom Street").
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

    // E-mails: resolve rn/m with the website domain as anchor.
    let web_domains: Vec<String> = webs.iter().map(|(w, _)| domain_of(w)).collect();
    for (k, (e, idx, raw)) in emails.iter().enumerate() {
        // (bounded: a card has one or two addresses; the check reads every word on the card)
        let e = if k < 4 { drop_glued_label(e, raw, &ls) } else { e.clone() };
        let (user, dom) = e.split_once('@').unwrap_or((&e, ""));
        let mut anchors: Vec<String> =
            web_domains.iter().map(|d| d.split('.').next().unwrap_or("").to_string()).collect();
        anchors.retain(|a| a.len() >= 3);
        let dom = resolve_rn_m(dom, &anchors);
        let addr = format!("{user}@{dom}");
        if !card.emails.iter().any(|f| f.value == addr) {
            card.emails.push(ParsedField { value: addr, blocks: vec![*idx] });
        }
    }
    if let Some((w, idx)) = webs.first() {
        // Agree with the e-mail domain on rn/m confusions.
        let anchors: Vec<String> = card
            .emails
            .iter()
            .filter_map(|e| e.value.split_once('@').map(|(_, d)| d.split('.').next().unwrap_or("").to_string()))
            .filter(|a| a.len() >= 3)
            .collect();
        let mut w = resolve_rn_m(w, &anchors);
        // "W masoncampbell.eu" read "Wmasoncampbell.eu": the e-mail domain shows the extra w.
        let host = domain_of(&w);
        if !w.starts_with("www.") && host.starts_with('w') {
            let email_domain =
                |d: &str| card.emails.iter().any(|e| e.value.split_once('@').is_some_and(|(_, x)| x == d));
            if !email_domain(&host) && email_domain(&host[1..]) {
                w = w.replacen(&host, &host[1..], 1);
            }
        }
        card.website = field(w, vec![*idx]);
    }

    // --- what the e-mail and web addresses say about the name and company -------------------------
    let users: Vec<Vec<String>> = card
        .emails
        .iter()
        .filter_map(|e| e.value.split_once('@').map(|(u, _)| u.to_string()))
        .map(|u| {
            u.split(['.', '_', '-'])
                .filter(|p| !p.is_empty())
                .map(|p| p.chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .collect();
    let mut domains: Vec<String> = Vec::new();
    for d in card
        .emails
        .iter()
        .filter_map(|e| e.value.split_once('@').map(|(_, d)| d.to_string()))
        .chain(card.website.iter().map(|w| domain_of(&w.value)))
    {
        let base = d.split('.').next().unwrap_or("").chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>();
        if base.len() >= 3
            && !["gmail", "yahoo", "hotmail", "outlook", "mail", "yandex", "icloud", "gmx", "web", "orange", "free"]
                .contains(&base.as_str())
            && !domains.contains(&base)
        {
            domains.push(base);
        }
    }
    // A name the recogniser split into fragments ("Н ина Юд ин") is joined the way the e-mail
    // user name spells it (nina.udin@).
    for l in ls.iter_mut().filter(|l| l.kind == Kind::Text) {
        if let Some(joined) = join_fragments(&l.text, &users) {
            l.text = joined;
        }
    }

    // --- name ------------------------------------------------------------------------------------
    // Picked before the address grows, so the name and the line under it (the title) stay out of it.
    let text_idx: Vec<usize> =
        (0..ls.len()).filter(|&i| ls[i].kind == Kind::Text && count_letters(&ls[i].text) >= 2).collect();
    let max_h = text_idx.iter().map(|&i| ls[i].h).fold(0.0, f32::max).max(1.0);
    // Department lines first (keywords are specific).
    let dept: Vec<usize> = text_idx.iter().copied().filter(|&i| has_word(&ls[i].text, DEPARTMENT_WORDS)).collect();
    // Name: e-mail agreement, shape, size, prefix.
    let mut best_name: Option<(usize, f32)> = None;
    for &i in &text_idx {
        if dept.contains(&i) {
            continue;
        }
        let t = &ls[i].text;
        let shape = name_shape(t);
        if shape == 0.0 {
            continue;
        }
        let agree = email_agreement(t, &users);
        let title = title_score(t, hints);
        let comp = company_score(t, hints, &domains);
        let score = shape * (1.0 + ls[i].h / max_h) + 2.0 * agree - 0.8 * title - 0.8 * comp;
        if best_name.is_none_or(|(_, s)| score > s) {
            best_name = Some((i, score));
        }
    }
    let name_i = best_name.filter(|(_, s)| *s > 0.5).map(|(i, _)| i);
    // The next line under the name in its column, if it is free text (the title's place).
    let below = |ni: usize, ls: &[L]| -> Option<usize> {
        (ni + 1..ls.len())
            .filter(|&i| overlaps(&ls[ni], &ls[i]))
            .min_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y))
            .filter(|&i| ls[i].kind == Kind::Text && ls[i].y - ls[ni].y < 4.0 * ls[ni].h.max(ls[i].h))
    };

    // --- address -------------------------------------------------------------------------------
    // An address printed over several lines: grow each address line's block by the lines right
    // above and below it in the same column and type size ("Flat 71W" / "Beth Roads" / "Lewiston" /
    // "L5H 8YW" / "United Kingdom") unless they read as something else.
    let keep: Vec<usize> = name_i.into_iter().chain(name_i.and_then(|ni| below(ni, &ls))).collect();
    grow_address(&mut ls, hints, &users, &domains, &keep);
    let addr: Vec<&L> = ls.iter().filter(|l| l.kind == Kind::Address).collect();
    if !addr.is_empty() {
        let parts: Vec<String> =
            addr.iter().map(|l| normalize_address(&strip_label(&l.text, ADDRESS_LABELS))).collect();
        card.address = field(parts.join(", ").replace(",,", ","), addr.iter().map(|l| l.idx).collect());
    }

    // --- phones --------------------------------------------------------------------------------
    let clues = region_clues(&ls, hints);
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
                blocks: vec![l.idx],
            });
        }
    }

    // --- position / department / company ---------------------------------------------------------
    let text_idx: Vec<usize> = text_idx.into_iter().filter(|&i| ls[i].kind == Kind::Text).collect();
    if text_idx.is_empty() {
        return card;
    }
    let mut used: HashSet<usize> = HashSet::new();
    if let Some(i) = name_i {
        used.insert(i);
        split_name(&ls[i].text, &[ls[i].idx], &users, &mut card);
    }

    // Company: known names, legal forms, web-domain agreement; else by elimination below.
    let mut best_comp: Option<(usize, f32)> = None;
    for &i in &text_idx {
        if used.contains(&i) || dept.contains(&i) {
            continue;
        }
        let s = company_score(&ls[i].text, hints, &domains) - 0.5 * title_score(&ls[i].text, hints);
        if s > 0.0 && best_comp.is_none_or(|(_, b)| s > b) {
            best_comp = Some((i, s));
        }
    }
    // Strong company evidence wins; weak evidence ("and" in a job title) may yield to the position rule.
    let strong_comp = best_comp.filter(|(_, s)| *s >= 2.0).map(|(i, _)| i);
    if let Some(i) = strong_comp {
        used.insert(i);
    }

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
    for &i in &text_idx {
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
        used.insert(i);
        card.position = field(fix_case_confusions(&fix_text_confusions(&ls[i].text)), vec![ls[i].idx]);
    }
    if !dept.is_empty() {
        let v: Vec<String> = dept.iter().map(|&i| fix_text_confusions(&ls[i].text)).collect();
        card.department = field(v.join(", "), dept.iter().map(|&i| ls[i].idx).collect());
        used.extend(dept.iter().copied());
    }
    let comp_i = strong_comp.or_else(|| best_comp.map(|(i, _)| i).filter(|i| !used.contains(i))).or_else(|| {
        // By elimination: the remaining text line with the most weight (largest text, then most letters).
        text_idx.iter().copied().filter(|i| !used.contains(i) && name_shape(&ls[*i].text) < 2.0).max_by(|&a, &b| {
            (ls[a].h * (count_letters(&ls[a].text) as f32).sqrt())
                .total_cmp(&(ls[b].h * (count_letters(&ls[b].text) as f32).sqrt()))
        })
    });
    if let Some(i) = comp_i {
        used.insert(i);
        // A company name set over two lines ("Schleich GmbH" / "& Co. KG", "Durand" / "Jourdan SARL").
        // (or three: each added line may be continued once more)
        let mut parts = vec![i];
        let mut last = i;
        while parts.len() < 3 {
            let Some(j) = company_continuation(&ls, last, &text_idx, &used, &dept, hints, &domains) else { break };
            used.insert(j);
            parts.push(j);
            last = j;
        }
        parts.sort_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y));
        let text = parts.iter().map(|&k| ls[k].text.as_str()).collect::<Vec<_>>().join(" ");
        let blocks: Vec<usize> = parts.iter().map(|&k| ls[k].idx).collect();
        let mut c = fix_case_confusions(&fix_text_confusions(&text));
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
        let folded = letters_only(&text);
        if let Some(k) = hints.known_companies.iter().find(|k| folded.len() >= 4 && letters_only(k) == folded) {
            c = k.trim().to_string();
        }
        card.company = field(c, blocks);
    }
    card
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    fn line(text: &str, y: f32, h: f32) -> Line {
        let w = 20.0 * text.chars().count() as f32;
        Line {
            text: text.into(),
            confidence: 0.99,
            quad: [
                Point { x: 50.0, y },
                Point { x: 50.0 + w, y },
                Point { x: 50.0 + w, y: y + h },
                Point { x: 50.0, y: y + h },
            ],
        }
    }

    fn card(texts: &[(&str, f32)]) -> Vec<Line> {
        let mut y = 10.0;
        texts
            .iter()
            .map(|(t, h)| {
                let l = line(t, y, *h);
                y += h * 1.4;
                l
            })
            .collect()
    }

    fn v(f: &Option<ParsedField>) -> &str {
        f.as_ref().map(|f| f.value.as_str()).unwrap_or("")
    }

    #[test]
    fn english_card() {
        let lines = card(&[
            ("Bradshaw, Mcdonald and Alvarado", 36.0),
            ("Bianca Lee", 52.0),
            ("Engineer, site", 30.0),
            ("Mobile: (917) 857-0839", 26.0),
            ("Tel: (212) 555-0142", 26.0),
            ("bianca.lee@bradshawmcdona.ru", 26.0),
            ("www.bradshawmcdona.ru", 26.0),
            ("3571 Lee Corners Suite 853, Hartmanbury, SC 53440", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.full_name), "Bianca Lee");
        assert_eq!(v(&c.first_name), "Bianca");
        assert_eq!(v(&c.last_name), "Lee");
        assert_eq!(v(&c.position), "Engineer, site");
        assert_eq!(v(&c.company), "Bradshaw, Mcdonald and Alvarado");
        assert_eq!(v(&c.website), "www.bradshawmcdona.ru");
        assert_eq!(v(&c.address), "3571 Lee Corners Suite 853, Hartmanbury, SC 53440");
        assert_eq!(c.emails[0].value, "bianca.lee@bradshawmcdona.ru");
        assert_eq!(c.phones.len(), 2);
        assert_eq!(c.phones[0].kind, "mobile");
        assert_eq!(c.phones[0].e164.as_deref(), Some("+19178570839"));
        assert_eq!(c.phones[1].kind, "work");
        assert_eq!(c.full_name.as_ref().unwrap().blocks, vec![1]);
    }

    #[test]
    fn german_labels_and_national_numbers() {
        let lines = card(&[
            ("Silke Gutknecht", 52.0),
            ("Elektroniker", 30.0),
            ("Mobil: 0151 1424974", 26.0),
            ("Tel.: 030 28287270", 26.0),
            ("Fax 030 28287271", 26.0),
            ("silke.gutknecht@klemtagcokg.de", 26.0),
            ("Klemt AG & Co. KG", 36.0),
            ("Leszek-Seip-Ring 8445, 50936 Parchim", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.full_name), "Silke Gutknecht");
        assert_eq!(v(&c.position), "Elektroniker");
        assert_eq!(v(&c.company), "Klemt AG & Co. KG");
        assert_eq!(v(&c.address), "Leszek-Seip-Ring 8445, 50936 Parchim");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+491511424974"), ("work", "+493028287270"), ("fax", "+493028287271")]);
    }

    #[test]
    fn french_and_spanish_labels() {
        let lines = card(&[
            ("Julien Moreau", 52.0),
            ("Directeur commercial", 30.0),
            ("Portable : 06 12 34 56 78", 26.0),
            ("Tél. 01 42 68 53 00", 26.0),
            ("Móvil: +34 612 345 678", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+33612345678"), ("work", "+33142685300"), ("mobile", "+34612345678")]);
        assert_eq!(v(&c.position), "Directeur commercial");
    }

    #[test]
    fn russian_card() {
        let lines = card(&[
            ("Монетка", 36.0),
            ("Василий Игнатьев", 52.0),
            ("Микробиолог", 30.0),
            ("Моб.: 8 (916) 434-78-19", 26.0),
            ("Тел.: +7 (495) 123-45-67", 26.0),
            ("Факс: 8 (495) 765-43-21", 26.0),
            ("vasilii.ignatev@ignatev.ru", 26.0),
            ("www.ignatev.ru", 26.0),
            ("клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints { default_region: "US".into(), ..Default::default() });
        assert_eq!(v(&c.first_name), "Василий");
        assert_eq!(v(&c.last_name), "Игнатьев");
        assert_eq!(v(&c.position), "Микробиолог");
        assert_eq!(v(&c.company), "Монетка");
        assert_eq!(v(&c.address), "клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+79164347819"), ("work", "+74951234567"), ("fax", "+74957654321")]);
    }

    #[test]
    fn ocr_confusions_in_email_and_url() {
        let lines = card(&[
            ("Emma Stone", 52.0),
            ("Sales Manager", 30.0),
            ("E-mail: emma.stone@c0ntoso,com", 26.0),
            ("www.c0nt0so.com", 26.0),
            ("Te1: +1 (2O2) 555-Ol42", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "emma.stone@contoso.com");
        assert_eq!(v(&c.website), "www.contoso.com");
        assert_eq!(c.phones[0].e164.as_deref(), Some("+12025550142"));
        // rn/m: domain agrees with the website
        let lines = card(&[("Jo Ann", 40.0), ("jo@systernatic.com", 20.0), ("https://www.systematic.coml", 20.0)]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "jo@systematic.com");
        assert_eq!(v(&c.website), "https://www.systematic.com/");
    }

    #[test]
    fn contoso_like_multiline_address_and_prefix() {
        let lines = card(&[
            ("avery.smith@contoso.com", 26.0),
            ("https://www.contoso.com/", 26.0),
            ("mob: +44 (0) 7911 123456", 26.0),
            ("Dr. Avery Smith", 52.0),
            ("tel: +44(0)20 98765432", 26.0),
            ("fax: +44 (0)2067892345", 26.0),
            ("Senior Researcher", 30.0),
            ("Cloud & Al Department", 30.0),
            ("Contoso", 60.0),
            ("2 Kingdom Street", 26.0),
            ("Paddington, London, W2 6BD", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.prefix), "Dr.");
        assert_eq!(v(&c.full_name), "Avery Smith");
        assert_eq!(v(&c.position), "Senior Researcher");
        assert_eq!(v(&c.department), "Cloud & AI Department");
        assert_eq!(v(&c.company), "Contoso");
        assert_eq!(v(&c.address), "2 Kingdom Street, Paddington, London, W2 6BD");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+447911123456"), ("work", "+442098765432"), ("fax", "+442067892345")]);
    }

    #[test]
    fn two_numbers_on_one_line_and_cell_label() {
        let lines = card(&[("Chris Smith", 50.0), ("Cell: +1 (987) 123-4567  Fax: +1 (987) 312-6745", 26.0)]);
        let c = parse_card(&lines, &ParseHints::default());
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+19871234567"), ("fax", "+19873126745")]);
    }

    #[test]
    fn hints_known_company_and_title_words() {
        let lines = card(&[("Nora Quist", 50.0), ("Zymurgist", 30.0), ("Quist Brewing", 30.0)]);
        let plain = parse_card(&lines, &ParseHints::default());
        let hints = ParseHints {
            known_companies: vec!["Quist Brewing".into()],
            title_words: vec!["zymurgist".into()],
            ..Default::default()
        };
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.company), "Quist Brewing");
        assert_eq!(v(&c.position), "Zymurgist");
        // Without hints the layout rule still finds the position right under the name.
        assert_eq!(v(&plain.position), "Zymurgist");
    }

    #[test]
    fn national_number_follows_other_numbers_country() {
        let lines = card(&[
            ("Carmela Fliegner", 52.0),
            ("Florist", 30.0),
            ("Mobil: 015 149 20624", 26.0),
            ("Fax: 030 265 97278", 26.0),
            ("Tel.: +49 30 280 11095", 26.0),
            ("carmela.fliegner@lweragcokgaa.co.uk", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+491514920624"), ("fax", "+493026597278"), ("work", "+493028011095")]);
    }

    #[test]
    fn us_address_without_comma() {
        let lines = card(&[("Chris Smith", 50.0), ("4001 1stAve NE Redmond, WA 98052", 26.0)]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.address), "4001 1st Ave NE, Redmond, WA 98052");
    }

    // --- conventions of real cards (issue 22) ----------------------------------------------------

    fn phones(c: &ParsedCard) -> Vec<(&str, &str)> {
        c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap_or(""))).collect()
    }

    #[test]
    fn one_letter_labels_before_values() {
        let lines = card(&[
            ("Elisa Turner", 52.0),
            ("Account Manager", 30.0),
            ("T +49 30 1234567", 26.0),
            ("M +49 151 23456789", 26.0),
            ("F: +49 30 1234568", 26.0),
            ("E elisa.turner@turner-bau.de", 26.0),
            ("W www.turner-bau.de", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "elisa.turner@turner-bau.de");
        assert_eq!(v(&c.website), "www.turner-bau.de");
        assert_eq!(phones(&c), vec![("work", "+49301234567"), ("mobile", "+4915123456789"), ("fax", "+49301234568")]);
        // With a bar, a colon, or glued to the value by the recogniser.
        for (e, w) in [("E | elisa.turner@x.com", "W | www.x.com"), ("E: elisa.turner@x.com", "W: x.com")] {
            let c = parse_card(&card(&[("Elisa Turner", 52.0), (e, 26.0), (w, 26.0)]), &ParseHints::default());
            assert_eq!(c.emails[0].value, "elisa.turner@x.com");
            assert!(
                v(&c.website).ends_with("x.com")
                    && !v(&c.website).starts_with("ww.")
                    && !v(&c.website).starts_with('|')
            );
            assert!(v(&c.website) == "www.x.com" || v(&c.website) == "x.com", "{}", v(&c.website));
        }
        let c = parse_card(
            &card(&[("Maggie Robert", 52.0), ("Emaggie@francoissa.com", 26.0), ("Wwww.francoissa.com", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(c.emails[0].value, "maggie@francoissa.com");
        assert_eq!(v(&c.website), "www.francoissa.com");
        // An address that really starts with e/m keeps it.
        let c = parse_card(&card(&[("Emma Stone", 52.0), ("Emma.stone@x.com", 26.0)]), &ParseHints::default());
        assert_eq!(c.emails[0].value, "emma.stone@x.com");
        let c = parse_card(
            &card(&[("Jo Blake", 52.0), ("e.smith@x.com", 26.0), ("www.x.com", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(c.emails[0].value, "e.smith@x.com");
        assert_eq!(v(&c.website), "www.x.com");
    }

    #[test]
    fn word_labels_in_several_languages() {
        let lines = card(&[
            ("Julie Martin", 52.0),
            ("Tél. 01 42 68 53 00", 26.0),
            ("Portable : 06 12 34 56 78", 26.0),
            ("Courriel : julie.martin@exemple.fr", 26.0),
            ("Site web : www.exemple.fr", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "julie.martin@exemple.fr");
        assert_eq!(v(&c.website), "www.exemple.fr");
        assert_eq!(phones(&c), vec![("work", "+33142685300"), ("mobile", "+33612345678")]);
        let lines = card(&[
            ("Иван Петров", 52.0),
            ("Тел. 8 (495) 123-45-67", 26.0),
            ("Моб. 8 (916) 434-78-19", 26.0),
            ("Телефон: +7 495 751-76-11", 26.0),
            ("Мобильный: +7 903 214-21-37", 26.0),
            ("Эл. почта: ivan.petrov@petrov.ru", 26.0),
            ("Сайт: petrov.ru", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "ivan.petrov@petrov.ru");
        assert_eq!(v(&c.website), "petrov.ru");
        assert_eq!(
            phones(&c),
            vec![
                ("work", "+74951234567"),
                ("mobile", "+79164347819"),
                ("work", "+74957517611"),
                ("mobile", "+79032142137")
            ]
        );
        let c = parse_card(&card(&[("Uwe Kranz", 52.0), ("Handy 0151 23456789", 26.0)]), &ParseHints::default());
        assert_eq!(phones(&c), vec![("mobile", "+4915123456789")]);
    }

    #[test]
    fn labels_after_values() {
        let lines = card(&[
            ("Leo Krebs", 52.0),
            ("030 28287270 Büro", 26.0),
            ("0151 23456789 (mobil)", 26.0),
            ("030 28287271 Fax", 26.0),
            ("Leszek-Seip-Ring 8, 50936 Parchim", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(phones(&c), vec![("work", "+493028287270"), ("mobile", "+4915123456789"), ("fax", "+493028287271")]);
        assert_eq!(v(&c.address), "Leszek-Seip-Ring 8, 50936 Parchim");
        let c = parse_card(
            &card(&[("Ann Lee", 52.0), ("07700 382069 (mobile)", 26.0), ("+44 20 7946 0018 office", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(phones(&c), vec![("mobile", "+447700382069"), ("work", "+442079460018")]);
        assert_eq!(v(&c.address), "");
        let c = parse_card(
            &card(&[("Ann Lee", 52.0), ("+44 7700 382069 (M)", 26.0), ("+44 20 7946 0018 (F)", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(phones(&c), vec![("mobile", "+447700382069"), ("fax", "+442079460018")]);
    }

    #[test]
    fn names_in_capitals_and_surname_first() {
        let hints = ParseHints::default();
        let name = |t: &str, email: &str| {
            let c = parse_card(&card(&[(t, 52.0), ("Florist", 30.0), (email, 26.0)]), &hints);
            (v(&c.first_name).to_string(), v(&c.last_name).to_string(), v(&c.full_name).to_string())
        };
        let want = |f: &str, l: &str| (f.to_string(), l.to_string(), format!("{f} {l}"));
        assert_eq!(name("ELISA TURNER", "info@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("TURNER Elisa", "info@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("Turner, Elisa", "info@x.com"), want("Elisa", "Turner"));
        // elisa.turner@ does not decide it (turner.elisa@ is a habit too); an initial does.
        assert_eq!(name("Turner Elisa", "elisa.turner@x.com"), want("Turner", "Elisa"));
        assert_eq!(name("Turner Elisa", "e.turner@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("Elisa Turner", "turner.elisa@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("Elisa TURNER", "info@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("OSBORNE Ross", "info@x.com"), want("Ross", "Osborne"));
        assert_eq!(name("ROSS OSBoRNE", "info@x.com"), want("Ross", "Osborne"));
        assert_eq!(name("ELISA M. TURNER", "info@x.com"), ("Elisa".into(), "Turner".into(), "Elisa M. Turner".into()));
        assert_eq!(name("McDonald Ross", "info@x.com"), want("McDonald", "Ross"));
        assert_eq!(name("O'CONNOR Seán", "info@x.com"), want("Seán", "O'Connor"));
        assert_eq!(name("GREIN GROTH Tino", "info@x.com"), want("Tino", "Grein Groth"));
        assert_eq!(name("РОГОВ Соломон", "solomon.rogov@rogov.ru"), want("Соломон", "Рогов"));
        assert_eq!(name("Klaus-D.Beckmann", "info@x.com"), want("Klaus-D.", "Beckmann"));
        let c = parse_card(&card(&[("DR. MAGGIE ROBERT", 52.0)]), &hints);
        assert_eq!((v(&c.prefix), v(&c.full_name)), ("Dr.", "Maggie Robert"));
        let c = parse_card(&card(&[("Pr MAGGIE ROBERT", 52.0)]), &hints);
        assert_eq!((v(&c.prefix), v(&c.full_name)), ("Pr", "Maggie Robert"));
    }

    #[test]
    fn company_over_two_lines() {
        let hints = ParseHints::default();
        let company = |a: &str, b: &str, email: &str| {
            let lines = card(&[("Uschi Losekann", 52.0), ("Pilot", 30.0), (a, 36.0), (b, 36.0), (email, 26.0)]);
            v(&parse_card(&lines, &hints).company).to_string()
        };
        assert_eq!(company("Kreusel GmbH", "& Co. KG", "u@kreusel.de"), "Kreusel GmbH & Co. KG");
        assert_eq!(company("Kreusel GmbH", "&C0.KG", "u@kreusel.de"), "Kreusel GmbH & Co. KG");
        assert_eq!(company("Moore, Daniels", "and Wheeler", "u@x.com"), "Moore, Daniels and Wheeler");
        assert_eq!(company("Durand", "Jourdan SARL", "u@durandjourdan.fr"), "Durand Jourdan SARL");
        assert_eq!(company("Schönland", "Wagner GbR", "u@schoenlandwagner.com"), "Schönland Wagner GbR");
        // The title under a one-line company stays the title.
        let lines = card(&[("Acme GmbH", 36.0), ("Uschi Losekann", 52.0), ("Pilot", 30.0)]);
        let c = parse_card(&lines, &hints);
        assert_eq!((v(&c.company), v(&c.position)), ("Acme GmbH", "Pilot"));
    }

    #[test]
    fn address_over_several_lines() {
        let hints = ParseHints::default();
        let lines = card(&[
            ("Nicholson, Douglas and Scott", 36.0),
            ("Cheryl Roberts", 52.0),
            ("Air cabin crew", 30.0),
            ("cheryl@nicholson.de", 26.0),
            ("Flat 71W", 26.0),
            ("Beth Roads", 26.0),
            ("Lewiston", 26.0),
            ("L5H 8YW", 26.0),
            ("United Kingdom", 26.0),
        ]);
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.address), "Flat 71W, Beth Roads, Lewiston, L5H 8YW, United Kingdom");
        assert_eq!(v(&c.position), "Air cabin crew");
        assert_eq!(v(&c.company), "Nicholson, Douglas and Scott");
        // The title right under the name is not the address's first line.
        let lines = card(&[
            ("Selim Karge", 52.0),
            ("Altenpfleger", 28.0),
            ("Rupert-Koch-Ring 928", 26.0),
            ("89457 Potsdam", 26.0),
            ("Deutschland", 26.0),
        ]);
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.address), "Rupert-Koch-Ring 928, 89457 Potsdam, Deutschland");
        assert_eq!(v(&c.position), "Altenpfleger");
        let lines = card(&[
            ("Monique Lemaire", 52.0),
            ("M 07 84 15 30 31", 26.0),
            ("42, avenue Nathalie Labbé", 26.0),
            ("78201Morel", 26.0),
        ]);
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.address), "42, avenue Nathalie Labbé, 78201 Morel");
        assert_eq!(phones(&c), vec![("mobile", "+33784153031")]);
        let c = parse_card(
            &card(&[("Kim Ode", 52.0), ("Doreen-Gehringer-StraBe 57", 26.0), ("50348Bad Brückenau", 26.0)]),
            &hints,
        );
        assert_eq!(v(&c.address), "Doreen-Gehringer-Straße 57, 50348 Bad Brückenau");
    }

    #[test]
    fn phone_region_from_the_card_never_from_the_domain() {
        let us = ParseHints::default();
        // From the address: a German number on a card with a .co.uk site.
        let lines = card(&[
            ("Leo Krebs", 52.0),
            ("Tel 030 28287270", 26.0),
            ("leo@krebs.co.uk", 26.0),
            ("www.krebs.co.uk", 26.0),
            ("Budigstraße 4, 30216 Döbeln", 26.0),
        ]);
        assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+493028287270")]);
        // From the printed +: the other number's country code.
        let lines = card(&[
            ("Leo Krebs", 52.0),
            ("T +49 30 28287270", 26.0),
            ("M 0151 23456789", 26.0),
            ("www.krebs.co.uk", 26.0),
        ]);
        assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+493028287270"), ("mobile", "+4915123456789")]);
        // From the default region when the card says nothing (and a .co.uk site is no clue).
        let de = ParseHints { default_region: "DE".into(), ..Default::default() };
        let lines = card(&[("Leo Krebs", 52.0), ("Tel 030 2828 7270", 26.0), ("www.krebs.co.uk", 26.0)]);
        assert_eq!(phones(&parse_card(&lines, &de)), vec![("work", "+493028287270")]);
        let gb = ParseHints { default_region: "GB".into(), ..Default::default() };
        let lines = card(&[("Ann Lee", 52.0), ("Tel 020 7946 0018", 26.0), ("www.lee.de", 26.0)]);
        assert_eq!(phones(&parse_card(&lines, &gb)), vec![("work", "+442079460018")]);
        // From the language of the labels and the legal form.
        let lines = card(&[
            ("Dowerg GmbH", 36.0),
            ("Uwe Kranz", 52.0),
            ("Telefon 0221 2345678", 26.0),
            ("www.dowerg.co.uk", 26.0),
        ]);
        assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+492212345678")]);
    }

    #[test]
    fn russian_card_in_other_conventions() {
        let lines = card(&[
            ("РОГОВ Соломон", 52.0),
            ("Политолог", 30.0),
            ("Овчинников", 36.0),
            ("Групп", 36.0),
            ("Т +7 (812) 236-34-12", 26.0),
            ("М 8 (903) 628-63-17", 26.0),
            ("Ф +7 (812) 236-34-13", 26.0),
            ("Эл. почта: solomon.rogov@rogov.de", 26.0),
            ("Сайт: www.rogov.de", 26.0),
            ("пр. Социалистический, д. 95", 26.0),
            ("ст. Магнитогорск, 254814", 26.0),
            ("Россия", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!((v(&c.first_name), v(&c.last_name), v(&c.full_name)), ("Соломон", "Рогов", "Соломон Рогов"));
        assert_eq!(v(&c.position), "Политолог");
        assert_eq!(v(&c.company), "Овчинников Групп");
        assert_eq!(c.emails[0].value, "solomon.rogov@rogov.de");
        assert_eq!(v(&c.website), "www.rogov.de");
        assert_eq!(v(&c.address), "пр. Социалистический, д. 95, ст. Магнитогорск, 254814, Россия");
        assert_eq!(phones(&c), vec![("work", "+78122363412"), ("mobile", "+79036286317"), ("fax", "+78122363413")]);
        let lines = card(&[
            ("Соломон Рогов", 52.0),
            ("8 (812) 236-34-12 раб.", 26.0),
            ("8 (903) 628-63-17 (моб.)", 26.0),
            ("+7 812 236-34-13 факс", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(phones(&c), vec![("work", "+78122363412"), ("mobile", "+79036286317"), ("fax", "+78122363413")]);
    }

    #[test]
    fn split_name_fragments_and_latin_abbreviations_in_russian_lines() {
        let lines = card(&[
            ("H ина Юд ин", 46.0),
            ("Гитарист", 27.0),
            ("nina.udin@udin.ru", 26.0),
            ("к. Кинешма, ann. Дружбы, д. 582 к. 508, 710947", 26.0),
            ("Г. Лотошино, наб. Щорса, д. 9, 223623", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!((v(&c.first_name), v(&c.last_name)), ("Нина", "Юдин"));
        assert_eq!(
            v(&c.address),
            "к. Кинешма, алл. Дружбы, д. 582 к. 508, 710947, г. Лотошино, наб. Щорса, д. 9, 223623"
        );
        // Latin lines keep their words.
        let c = parse_card(&card(&[("Ann Lee", 46.0), ("ann@lee.com", 26.0)]), &ParseHints::default());
        assert_eq!(v(&c.full_name), "Ann Lee");
    }

    #[test]
    fn russian_tesseract_slips() {
        // A label and trunk digit boxed apart from the number; a company name over two lines
        // inside «»; a country line boxed smaller; ш. read as m.
        let mut lines = card(&[
            ("РАО «Субботина", 36.0),
            ("Петухов»", 36.0),
            ("Прокофий Туров", 52.0),
            ("prokofii.turov@turov.net", 26.0),
            ("m. Февральское, д. 581 к. 99", 26.0),
            ("п. Углегорск, 271305", 26.0),
            ("Россия", 17.0),
        ]);
        let row_y = 400.0;
        lines.push(line("Т8", row_y, 20.0));
        let mut num = line("(812) 815-05-78", row_y, 20.0);
        for p in num.quad.iter_mut() {
            p.x += 60.0;
        }
        lines.push(num);
        lines.push(line("+7 903 214-21-37", row_y + 30.0, 20.0));
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.company), "РАО «Субботина Петухов»");
        assert_eq!(v(&c.address), "ш. Февральское, д. 581 к. 99, п. Углегорск, 271305, Россия");
        assert!(phones(&c).contains(&("work", "+78128150578")), "{:?}", phones(&c));
    }
}
