//! E-mail addresses and web sites: the clean address, its matching key, domains.

use super::{ocr_fold_into, to_ascii_lower};

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
