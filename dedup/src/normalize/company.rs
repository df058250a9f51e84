//! Company names without legal forms.

use super::{to_ascii_lower, tokens};

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
