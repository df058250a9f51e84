//! E-mail and web addresses: their labels, the usual OCR slips in them, and what they say about the
//! rest of the card (user names that spell the person's name, domains that spell the company).

use std::sync::LazyLock;

use regex::Regex;

use super::layout::{Kind, L};
use super::names::is_prefix;
use super::scripts::{latinize, letters_only, letters_only_de};
use super::text::{count_digits, count_letters};
use super::{field, FoundEmail, FoundWeb, ParsedCard, ParsedField};

re!(RE_EMAIL, r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}");
re!(
    RE_URL,
    r"(?i)\b(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|io|co|de|fr|ru|uk|es|it|nl|be|ch|at|eu|us|ca|au|info|biz|pro|ai|app|dev|tech|su|рф|by|kz|ua|pl|se|no|dk|fi|pt|ie|jp|cn|in|br|mx|ar|cz|online|site|store|shop|group|company)(?:\.[a-z]{2})?\b(?:/[^\s]*)?"
);

/// Labels printed before an e-mail address (compared after [`latinize`], in lower case).
const EMAIL_LABELS: &[&str] = &[
    "e-mail",
    "email",
    "e-mail.",
    "mail",
    "courriel",
    "correo",
    "эл. почта",
    "эл.почта",
    "эл почта",
    "почта",
    "e",
    "m",
    "@",
];
/// Labels printed before a web address.
const WEB_LABELS: &[&str] =
    &["website", "web site", "web", "homepage", "home page", "url", "site", "site web", "internet", "сайт", "w", "i"];

/// `lower` (latinized, lower case) without a leading label from `labels` and its separator:
/// "e elisa@x.com", "e-mail: …", "w | www.x.com" → the rest. A one-letter label needs a space, colon
/// or bar after it, so "e.smith@x.com" and "www.x.com" keep their first letter. None without a label.
fn strip_contact_label(lower: &str, labels: &[&str]) -> Option<String> {
    let mut best: Option<&str> = None;
    for l in labels {
        let lab = latinize(l).to_lowercase();
        let Some(rest) = lower.strip_prefix(lab.as_str()) else { continue };
        let sep_ok = match rest.chars().next() {
            Some(' ' | ':' | '|' | '\u{a0}') => true,
            // "Tél.", "Mob." style: a dot, then a space or colon.
            Some('.') if lab.chars().count() > 1 => rest[1..].starts_with([' ', ':']),
            _ => false,
        };
        if sep_ok && best.is_none_or(|b| rest.len() < b.len()) {
            best = Some(rest);
        }
    }
    let rest = best?.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '|' | '.' | '=' | '/'));
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Fix OCR confusions inside an e-mail or URL: look-alike scripts, O/0 and l/1 between letters,
/// commas for dots, stray spaces.
fn clean_contact(s: &str) -> String {
    let s = latinize(s);
    let mut s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s = s.replace(",", ".").replace("..", ".");
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let between_letters = prev.is_ascii_alphabetic() && next.is_ascii_alphabetic();
        let r = match c {
            '0' if between_letters => 'o',
            '1' if between_letters => 'l',
            '|' => 'l',
            c => c,
        };
        out.push(r);
    }
    out.to_lowercase()
}

/// Pick the spelling of `s` that agrees best with `anchors` among rn/m variants.
fn resolve_rn_m(s: &str, anchors: &[String]) -> String {
    if anchors.is_empty() {
        return s.to_string();
    }
    let score = |cand: &str| -> usize {
        anchors.iter().filter(|a| a.len() >= 3 && cand.contains(a.as_str())).map(|a| a.len()).sum()
    };
    let mut best = s.to_string();
    let mut best_score = score(s);
    for cand in [s.replace("rn", "m"), s.replace('m', "rn"), s.replace("cl", "d"), s.replace("vv", "w")] {
        let sc = score(&cand);
        if sc > best_score {
            best = cand;
            best_score = sc;
        }
    }
    best
}

/// Whether two ASCII words differ by at most one inserted, deleted or replaced letter.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let pre = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[pre..].iter().skip(1).eq(long[pre..].iter().skip(1))
    } else {
        short[pre..] == long[pre + 1..]
    }
}

/// Overlap between a line's words and the e-mail user names (after transliteration).
pub(super) fn email_agreement(text: &str, users: &[Vec<String>]) -> f32 {
    let plain = email_agreement_of(text, users, letters_only);
    if text.to_lowercase().contains(['ä', 'ö', 'ü']) {
        plain.max(email_agreement_of(text, users, letters_only_de))
    } else {
        plain
    }
}

fn email_agreement_of(text: &str, users: &[Vec<String>], fold: fn(&str) -> String) -> f32 {
    let words: Vec<String> =
        text.split_whitespace().filter(|w| !is_prefix(w)).map(fold).filter(|w| w.len() >= 2).collect();
    if words.is_empty() {
        return 0.0;
    }
    let mut best: f32 = 0.0;
    for parts in users {
        let joined: String = parts.concat();
        let mut hit = 0.0;
        for w in &words {
            let w5: String = w.chars().take(5).collect();
            if parts
                .iter()
                .any(|p| p == w || (p.len() >= 3 && w.len() >= 3 && (p.starts_with(&w5) || w.starts_with(p.as_str()))))
            {
                hit += 1.0;
            } else if w.len() >= 3 && joined.contains(w.as_str()) {
                hit += 0.8;
            } else if w.len() >= 4 && parts.iter().any(|p| p.len() >= 4 && one_edit_apart(p, w)) {
                hit += 0.8; // another transliteration: Юдин → yudin / udin, Ксения → kseniya / ksenia
            } else if parts.iter().any(|p| p.len() == 1 && w.starts_with(p.as_str())) {
                hit += 0.5; // initial: j.smith
            }
        }
        best = best.max(hit / words.len() as f32 * (words.len().min(3) as f32));
    }
    best
}

/// The e-mail address on a line (`lat`: the line [`latinize`]d), or None: a label before it ("E-Mail: …")
/// and words glued after it are left out, "(at)" is read as @, and OCR slips in it are fixed.
pub(super) fn email_in_line(lat: &str) -> Option<String> {
    let at_fixed = cut_email_tail(lat)
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
            return Some(m.as_str().trim_matches('.').to_string());
        }
    }
    None
}

/// The web address on a line (`lat`: the line [`latinize`]d), or None: a line with "www", "http" or a
/// web label, or a lone word shaped like a URL that is mostly letters; the label is left out and
/// OCR slips in it (a glued one-letter label, a trailing "/" read as l) are fixed.
pub(super) fn web_in_line(lat: &str) -> Option<String> {
    let lower = lat.to_lowercase();
    let digits = count_digits(lat);
    let letters = count_letters(lat);
    // "W www.x.com", "Web: x.com", "Сайт: …": a web label before the address.
    let web_rest = strip_contact_label(&lower, WEB_LABELS);
    let web_label = web_rest.as_deref().is_some_and(|r| r.contains('.') && count_digits(r) * 2 < count_letters(r));
    if lower.contains("www")
        || lower.contains("http")
        || web_label
        || (digits * 2 < letters && RE_URL.is_match(&clean_contact(lat)) && !lat.contains(' '))
    {
        let stripped = if web_label { web_rest.clone().unwrap_or_default() } else { lat.to_string() };
        let cleaned = clean_contact(&stripped);
        let mut cleaned = cleaned.replace("http//", "http://").replace("https//", "https://").replace("www,", "www.");
        // A one-letter label glued to the address by the recogniser: "W www.x.com" read "Wwww.x.com".
        if let Some(rest) = cleaned.strip_prefix("wwww.") {
            cleaned = format!("www.{rest}");
        }
        // A trailing "/" is often read as l, 1 or I: "contoso.coml".
        if RE_URL.find(&cleaned).is_none_or(|m| m.end() != cleaned.len()) && cleaned.ends_with(['l', '1', 'i', '|']) {
            let mut fixed = cleaned.clone();
            fixed.pop();
            fixed.push('/');
            if RE_URL.find(&fixed).is_some_and(|m| m.end() == fixed.len()) {
                cleaned = fixed;
            }
        }
        if let Some(m) = RE_URL.find(&cleaned) {
            return Some(m.as_str().to_string());
        }
    }
    None
}

/// The card's e-mail addresses, each once: a one-letter label read glued to an address is dropped
/// (for the first four), and the domain's rn/m spelling agrees with the website's domain.
pub(super) fn add_emails(card: &mut ParsedCard, emails: &[FoundEmail], webs: &[FoundWeb], ls: &[L]) {
    let web_domains: Vec<String> = webs.iter().map(|(w, _)| domain_of(w)).collect();
    for (k, (e, idx, raw)) in emails.iter().enumerate() {
        // (bounded: a card has one or two addresses; the check reads every word on the card)
        let e = if k < 4 { drop_glued_label(e, raw, ls) } else { e.clone() };
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
}

/// The website: the first web address, its rn/m spelling agreeing with the e-mail domain, and a
/// one-letter label read glued to it ("Wmasoncampbell.eu") dropped when the e-mail domain shows it.
pub(super) fn add_website(card: &mut ParsedCard, webs: &[FoundWeb]) {
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
}

/// The e-mail user names split into their parts ("e.turner@" → ["e", "turner"]), letters only:
/// what the name lines are checked against.
pub(super) fn email_users(card: &ParsedCard) -> Vec<Vec<String>> {
    card.emails
        .iter()
        .filter_map(|e| e.value.split_once('@').map(|(u, _)| u.to_string()))
        .map(|u| {
            u.split(['.', '_', '-'])
                .filter(|p| !p.is_empty())
                .map(|p| p.chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .collect()
}

/// The first labels of the card's own e-mail and web domains, letters only, at least three of them
/// and not a free mail provider's: what a company name may spell.
pub(super) fn card_domains(card: &ParsedCard) -> Vec<String> {
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
    domains
}

/// "x@firma.deBrown Rapid": the recogniser joined the next line's words to an address; cut at a
/// capital letter that follows a dot and two lower-case letters in the domain.
fn cut_email_tail(s: &str) -> &str {
    let Some(at) = s.find('@') else { return s };
    let mut after_dot = 0usize;
    let mut seen_dot = false;
    for (i, c) in s[at..].char_indices() {
        if c == '.' {
            seen_dot = true;
            after_dot = 0;
        } else if seen_dot && c.is_ascii_lowercase() {
            after_dot += 1;
        } else if seen_dot && after_dot >= 2 && c.is_uppercase() {
            return &s[..at + i];
        } else if c.is_whitespace() {
            return s;
        }
    }
    s
}

/// "Emaggie@x.com", "Elanna@x.com": a one-letter label (E, M) read glued to the address. It is
/// dropped when the rest, and not the whole, starts like a word printed elsewhere on the card.
fn drop_glued_label(addr: &str, raw: &str, ls: &[L]) -> String {
    let raw = latinize(raw.trim());
    let mut rc = raw.chars();
    let (Some(c0), Some(c1)) = (rc.next(), rc.next()) else { return addr.to_string() };
    if !matches!(c0, 'E' | 'M') || !(c1.is_ascii_lowercase() || matches!(c1, '|' | 'I')) {
        return addr.to_string();
    }
    let Some((user, _)) = addr.split_once('@') else { return addr.to_string() };
    let parts: Vec<&str> = user.split(['.', '_', '-']).collect();
    let word_lines: Vec<Vec<String>> = ls
        .iter()
        .filter(|l| !matches!(l.kind, Kind::Email | Kind::Web))
        .map(|l| l.text.split_whitespace().map(letters_only).filter(|w| w.len() >= 2).collect())
        .collect();
    let matches = |first: &str| -> bool {
        if first.is_empty() {
            return false;
        }
        word_lines.iter().any(|ws| {
            ws.iter().any(|w| {
                if first.len() == 1 {
                    // An initial: the surname must be on the same line.
                    w.starts_with(first)
                        && parts.get(1).is_some_and(|p| {
                            p.len() >= 3 && ws.iter().any(|x| x.starts_with(p) || p.starts_with(x.as_str()))
                        })
                } else {
                    first.len() >= 3 && (w.starts_with(first) || (w.len() >= 3 && first.starts_with(w.as_str())))
                }
            })
        })
    };
    let first = parts[0];
    if matches(first) {
        return addr.to_string();
    }
    for k in [1usize, 2] {
        if k == 2 && !matches!(first.chars().nth(1), Some('l' | 'i')) {
            continue;
        }
        if let Some(rest) = first.get(k..) {
            if matches(rest) {
                return addr[k..].to_string();
            }
        }
    }
    addr.to_string()
}

fn domain_of(url: &str) -> String {
    let u = url.trim().to_lowercase();
    let u = u.trim_start_matches("https://").trim_start_matches("http://").trim_start_matches("www.");
    u.split('/').next().unwrap_or("").to_string()
}
