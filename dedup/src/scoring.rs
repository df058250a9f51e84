//! Explainable pairwise scoring: each field gives a similarity and a log-odds weight
//! (Fellegi–Sunter style); the score is the logistic of prior + Σ weights, i.e. a match probability.
//!
//! Correlated evidence is counted once: the e-mail user part is never compared fuzzily (it mostly
//! repeats the name, and namesakes get `first.last2@`), the organisation domain only stands in for a
//! missing company, the phone counts once per pair however many numbers agree, an agreeing
//! phone, e-mail or postal address adds nothing when the names have no part in common (a
//! switchboard, info@, neighbours), and an agreeing address adds nothing when the organisation
//! already agrees (colleagues share the office).

use crate::{FieldScore, Match, Normalized, Settings, Weights};

/// Explainable score of two normalised contacts. The address's parts (house number, street,
/// locality, postcode) are reported as one `address` field: their weights added, their
/// similarities averaged.
pub fn score(a: &Normalized, b: &Normalized, s: &Settings) -> Match {
    let mut fields: Vec<FieldScore> = Vec::with_capacity(8);
    let mut addr: Option<(f32, f32, u32)> = None; // (Σ similarity, Σ weight, parts)
    let total = evaluate(a, b, &s.weights, f32::NEG_INFINITY, &mut |field, _level, score, weight| {
        if ADDRESS_PARTS.contains(&field) {
            let e = addr.get_or_insert((0.0, 0.0, 0));
            *e = (e.0 + score, e.1 + weight, e.2 + 1);
        } else {
            fields.push(FieldScore { field: field.to_string(), score, weight })
        }
    });
    if let Some((sim, weight, n)) = addr {
        fields.push(FieldScore { field: "address".into(), score: sim / n as f32, weight });
    }
    Match { score: logistic(total), match_fields: fields }
}

const ADDRESS_PARTS: [&str; 4] = ["house_number", "street", "locality", "postcode"];

/// The comparison levels a pair falls on: `(comparison, level)`, where the level is the name of
/// its [`Weights`] field (`("name", "name_similar")`, `("postcode", "postcode_diff")`, …).
/// Comparisons a side has no data for are left out, and so are agreements set aside because the
/// evidence is shared (see [`score`]'s module notes). This is what the weight learner counts.
pub fn comparison_levels(a: &Normalized, b: &Normalized, s: &Settings) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::with_capacity(12);
    evaluate(a, b, &s.weights, f32::NEG_INFINITY, &mut |field, level, _, _| {
        if !level.is_empty() {
            out.push((field, level))
        }
    });
    out
}

/// Score only (no explanation, no allocation): the batch hot path. Pairs that cannot reach
/// `cutoff` may stop early and return a lower value than their full score.
pub(crate) fn score_value(a: &Normalized, b: &Normalized, s: &Settings, cutoff: f32) -> f32 {
    let c = cutoff.clamp(1e-6, 1.0 - 1e-6);
    let logit = (c / (1.0 - c)).ln();
    logistic(evaluate(a, b, &s.weights, logit, &mut |_, _, _, _| {}))
}

fn logistic(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Similarity of two name keys: 1 exact, 0.9 for an initial that fits, else Jaro-Winkler.
fn name_sim(a: &str, b: &str) -> Option<f32> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some(1.0);
    }
    if (a.len() == 1 && b.starts_with(a)) || (b.len() == 1 && a.starts_with(b)) {
        return Some(0.9);
    }
    Some(jaro_winkler(a, b))
}

/// Below this Jaro-Winkler similarity two name parts count as different.
const NAME_FUZZY_JW: f32 = 0.8;

/// (level, weight, similarity shown) for a first/last pair of similarities.
fn name_level(f: Option<f32>, l: Option<f32>, w: &Weights) -> (&'static str, f32, f32) {
    let t = w.name_similar_jw;
    match (f, l) {
        (Some(f), Some(l)) => {
            let shown = (f + l) / 2.0;
            let (level, weight) = if f >= 1.0 && l >= 1.0 {
                ("name_exact", w.name_exact)
            } else if f >= t && l >= t {
                ("name_similar", w.name_similar)
            } else if f >= NAME_FUZZY_JW && l >= NAME_FUZZY_JW {
                ("name_fuzzy", w.name_fuzzy)
            } else if l >= t {
                ("first_name_diff", w.first_name_diff)
            } else if f >= t {
                ("last_name_diff", w.last_name_diff)
            } else {
                ("name_diff", w.name_diff)
            };
            (level, weight, shown)
        }
        (None, Some(x)) | (Some(x), None) => {
            if x >= t {
                ("one_part_match", w.one_part_match, x)
            } else {
                ("one_part_diff", w.one_part_diff, x)
            }
        }
        (None, None) => ("", 0.0, 0.0),
    }
}

/// The most the address comparisons can add (any level: an administrator may set weights that
/// are not monotone).
fn address_max(w: &Weights) -> f32 {
    let max = |ws: &[f32]| ws.iter().fold(0.0f32, |m, &x| m.max(x));
    max(&[w.house_number_match, w.house_number_diff])
        + max(&[w.street_exact, w.street_similar, w.street_fuzzy, w.street_diff])
        + max(&[w.locality_exact, w.locality_similar, w.locality_partial, w.locality_diff])
        + max(&[w.postcode_match, w.postcode_similar, w.postcode_diff])
}

fn evaluate(
    a: &Normalized,
    b: &Normalized,
    w: &Weights,
    reject_below: f32,
    sink: &mut impl FnMut(&'static str, &'static str, f32, f32),
) -> f32 {
    let mut total = w.prior;
    // the names share nothing (no part agrees even loosely): set by the name comparison below
    let mut names_differ = false;
    // both name parts agree (closely): set by the name comparison below
    let mut names_agree = false;
    // comparisons made besides the name's
    let mut compared = 0u32;
    let mut name_compared = false;
    // the most the fields after the phone can still add (an agreeing address adds nothing when
    // the names differ or the organisation agrees, see below)
    let address_max = address_max(w);
    let name_only_max = w.name_only.max(0.0);
    let position_max = w.position_match.max(w.position_diff).max(0.0);
    let org_max =
        w.company_exact.max(w.company_similar).max(w.company_diff).max(w.domain_match).max(w.domain_diff).max(0.0);

    // ---- name (also the swapped order: OCR and people put surnames first)
    if a.has_name() && b.has_name() {
        let straight = name_level(name_sim(&a.first, &b.first), name_sim(&a.last, &b.last), w);
        // Which cross pair plays "first" depends on the argument order: read it both ways and keep
        // the weaker, so that score(a, b) == score(b, a).
        let (fl, lf) = (name_sim(&a.first, &b.last), name_sim(&a.last, &b.first));
        let (x, y) = (name_level(fl, lf, w), name_level(lf, fl, w));
        let crossed = if y.1 < x.1 { y } else { x };
        // a swap is only fully trusted when one side's order came from free text
        let crossed = if a.name_order_uncertain || b.name_order_uncertain || crossed.1 <= w.name_similar {
            crossed
        } else {
            ("name_similar", w.name_similar, crossed.2)
        };
        let (level, weight, sim) = if a.first.is_empty() != b.first.is_empty() || a.last.is_empty() != b.last.is_empty()
        {
            // one side has a single name part, perhaps in the other field: the best of it against
            // either part of the other side
            let single = if a.first.is_empty() || a.last.is_empty() { a } else { b };
            let other = if std::ptr::eq(single, a) { b } else { a };
            let part = if single.first.is_empty() { &single.last } else { &single.first };
            let best = [name_sim(part, &other.first), name_sim(part, &other.last)]
                .into_iter()
                .flatten()
                .fold(None, |m: Option<f32>, x| Some(m.map_or(x, |m| m.max(x))));
            name_level(best, None, w)
        } else if crossed.1 > straight.1 && !a.first.is_empty() && !b.first.is_empty() {
            crossed
        } else {
            straight
        };
        names_differ = matches!(level, "name_diff" | "one_part_diff");
        names_agree = matches!(level, "name_exact" | "name_similar");
        name_compared = true;
        total += weight;
        sink("name", level, sim, weight);
        if !a.middle.is_empty() && !b.middle.is_empty() {
            let (ma, mb) = (a.middle.split(' ').next().unwrap_or(""), b.middle.split(' ').next().unwrap_or(""));
            let ok = ma == mb || (ma.len() == 1 && mb.starts_with(ma)) || (mb.len() == 1 && ma.starts_with(mb));
            let (level, weight) =
                if ok { ("middle_name_match", 0.0) } else { ("middle_name_diff", w.middle_name_diff) };
            total += weight;
            sink("middle_name", level, if ok { 1.0 } else { 0.0 }, weight);
        }
    }

    // A phone, an e-mail or an address can be shared — an office switchboard, info@, a household —
    // so an agreeing one counts for a match only when the names have a part in common; a
    // differing one always counts against.
    // (A level set aside so is reported as "": the weight learner does not count it.)
    let shared = |level: &'static str, w: f32| if names_differ && w > 0.0 { ("", 0.0) } else { (level, w) };

    // ---- e-mail: exact key or nothing
    let mut email_agrees = false;
    if !a.emails.is_empty() && !b.emails.is_empty() {
        let hit = a.emails.iter().any(|x| b.emails.iter().any(|y| x == y));
        let (level, weight) = if hit { ("email_match", w.email_match) } else { ("email_diff", w.email_diff) };
        let (level, weight) = shared(level, weight);
        email_agrees = level == "email_match" && names_agree;
        total += weight;
        compared += 1;
        sink("email", level, if hit { 1.0 } else { 0.0 }, weight);
    }

    // ---- phone
    if !a.phones.is_empty() && !b.phones.is_empty() {
        let mut best = 0u8; // 0 differ, 1 last 7, 2 same number
        for x in a.phone_digits() {
            for y in b.phone_digits() {
                best = best.max(phone_level(x, y));
            }
        }
        let (level, sim, weight) = match best {
            2 => ("phone_match", 1.0, w.phone_match),
            1 => ("phone_last7", 0.7, w.phone_last7),
            // the same person (both name parts agree) with the same address and new numbers
            _ if email_agrees => ("phone_moved", 0.0, w.phone_moved),
            _ => ("phone_diff", 0.0, w.phone_diff),
        };
        let (level, weight) = shared(level, weight);
        total += weight;
        compared += 1;
        sink("phone", level, sim, weight);
    }

    let addr_max = if names_differ { 0.0 } else { address_max };
    let after_phone = org_max + position_max + addr_max + name_only_max;
    if total + after_phone < reject_below {
        return total + after_phone - 1.0;
    }

    // ---- company (or, when one is missing, the organisation domain)
    let mut same_org = false;
    if !a.company.is_empty() && !b.company.is_empty() {
        let (level, sim, weight) = if a.company == b.company {
            ("company_exact", 1.0, w.company_exact)
        } else {
            let jw = jaro_winkler(&a.company, &b.company);
            if jw >= 0.92 || token_subset(&a.company, &b.company) {
                ("company_similar", jw, w.company_similar)
            } else {
                ("company_diff", jw, w.company_diff)
            }
        };
        same_org = level != "company_diff";
        total += weight;
        compared += 1;
        sink("company", level, sim, weight);
    } else if !a.domains.is_empty() && !b.domains.is_empty() {
        let hit = a.domains.iter().any(|d| b.domains.contains(d));
        let (level, weight) = if hit { ("domain_match", w.domain_match) } else { ("domain_diff", w.domain_diff) };
        same_org = hit;
        total += weight;
        compared += 1;
        sink("domain", level, if hit { 1.0 } else { 0.0 }, weight);
    }

    let addr_max = if same_org { 0.0 } else { addr_max };
    let after_company = position_max + addr_max + name_only_max;
    if total + after_company < reject_below {
        return total + after_company - 1.0;
    }

    // ---- position
    if !a.position.is_empty() && !b.position.is_empty() {
        let jw = if a.position == b.position { 1.0 } else { jaro_winkler(&a.position, &b.position) };
        let (level, weight) =
            if jw >= 0.95 { ("position_match", w.position_match) } else { ("position_diff", w.position_diff) };
        total += weight;
        compared += 1;
        sink("position", level, jw, weight);
    }

    let after_position = addr_max + name_only_max;
    if total + after_position < reject_below {
        return total + after_position - 1.0;
    }

    // ---- postal address, part by part. Shared like a phone (above), and colleagues share the
    // office: an agreeing address adds nothing when the organisation already agrees either (the
    // same evidence twice). A differing address still counts against.
    let addr_weight = |level: &'static str, w: f32| if same_org && w > 0.0 { ("", 0.0) } else { shared(level, w) };
    if !a.addr_number.is_empty() && !b.addr_number.is_empty() {
        let hit = a.addr_number == b.addr_number;
        let (level, weight) =
            if hit { ("house_number_match", w.house_number_match) } else { ("house_number_diff", w.house_number_diff) };
        let (level, weight) = addr_weight(level, weight);
        total += weight;
        compared += 1;
        sink("house_number", level, if hit { 1.0 } else { 0.0 }, weight);
    }
    if !a.addr_street.is_empty() && !b.addr_street.is_empty() {
        let jw = street_sim(a, b);
        let (level, weight) = if jw >= 1.0 {
            ("street_exact", w.street_exact)
        } else if jw >= 0.9 {
            ("street_similar", w.street_similar)
        } else if jw >= 0.75 {
            ("street_fuzzy", w.street_fuzzy)
        } else {
            ("street_diff", w.street_diff)
        };
        let (level, weight) = addr_weight(level, weight);
        total += weight;
        compared += 1;
        sink("street", level, jw, weight);
    }
    if !a.addr_locality.is_empty() && !b.addr_locality.is_empty() {
        let (sim, level, weight) = match locality_overlap(&a.addr_locality, &b.addr_locality) {
            3 => (1.0, "locality_exact", w.locality_exact),
            2 => (0.9, "locality_similar", w.locality_similar),
            1 => (0.5, "locality_partial", w.locality_partial),
            _ => (0.0, "locality_diff", w.locality_diff),
        };
        let (level, weight) = addr_weight(level, weight);
        total += weight;
        compared += 1;
        sink("locality", level, sim, weight);
    }
    if !a.addr_postcode.is_empty() && !b.addr_postcode.is_empty() {
        let (sim, level, weight) = if a.addr_postcode == b.addr_postcode {
            (1.0, "postcode_match", w.postcode_match)
        } else if one_edit(&a.addr_postcode, &b.addr_postcode) {
            (0.8, "postcode_similar", w.postcode_similar)
        } else {
            (0.0, "postcode_diff", w.postcode_diff)
        };
        let (level, weight) = addr_weight(level, weight);
        total += weight;
        compared += 1;
        sink("postcode", level, sim, weight);
    }
    // Nothing but the name to go by: how often that is a namesake rather than a copy is a
    // comparison of its own (learnt like the others; namesakes make it negative).
    if name_compared && compared == 0 {
        total += w.name_only;
        sink("other_fields", "name_only", 0.0, w.name_only);
    }
    total
}

/// Best similarity of the two streets, trying each side's alternative reading: Jaro-Winkler of
/// the whole names, or of their first words (at most 0.95 then: "sullivan" and "sullivan c
/// rescent" — a misspelt type word kept as a word — are similar, not equal).
fn street_sim(a: &Normalized, b: &Normalized) -> f32 {
    let mut best: f32 = 0.0;
    for x in [&a.addr_street, &a.addr_street_alt] {
        for y in [&b.addr_street, &b.addr_street_alt] {
            if x.is_empty() || y.is_empty() {
                continue;
            }
            if x == y {
                return 1.0;
            }
            best = best.max(jaro_winkler(x, y));
            let (fx, fy) = (x.split(' ').next().unwrap_or(""), y.split(' ').next().unwrap_or(""));
            if fx.len() >= 4 && fy.len() >= 4 && (fx.len() < x.len() || fy.len() < y.len()) {
                best = best.max(jaro_winkler(fx, fy).min(0.95));
            }
        }
    }
    best
}

/// 3 = the same word set; 2 = every word of the side with fewer words has a close partner
/// (Jaro-Winkler ≥ 0.9) on the other; 1 = at least one has; 0 = none.
fn locality_overlap(a: &str, b: &str) -> u8 {
    if a == b {
        return 3;
    }
    let mut ta: [&str; 32] = [""; 32];
    let mut tb: [&str; 32] = [""; 32];
    let na = collect_tokens(a, &mut ta);
    let nb = collect_tokens(b, &mut tb);
    let (short, long) = if na <= nb { (&ta[..na], &tb[..nb]) } else { (&tb[..nb], &ta[..na]) };
    if short.is_empty() {
        return 0;
    }
    if na == nb && short.iter().all(|t| long.contains(t)) {
        return 3;
    }
    let level = |short: &[&str], long: &[&str]| {
        let found = short.iter().filter(|t| long.iter().any(|u| u == *t || jaro_winkler(t, u) >= 0.9)).count();
        if found == short.len() {
            2
        } else if found > 0 {
            1
        } else {
            0
        }
    };
    // with as many words on each side, read it both ways and keep the weaker (a symmetric score)
    if na == nb {
        level(short, long).min(level(long, short))
    } else {
        level(short, long)
    }
}

/// Equal length and one character changed, or two neighbours swapped ("4011" / "4101").
fn one_edit(a: &str, b: &str) -> bool {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x.len() != y.len() {
        return false;
    }
    let mut diff = [0usize; 2];
    let mut n = 0;
    for i in 0..x.len() {
        if x[i] != y[i] {
            if n == 2 {
                return false;
            }
            diff[n] = i;
            n += 1;
        }
    }
    match n {
        1 => true,
        2 => diff[1] == diff[0] + 1 && x[diff[0]] == y[diff[1]] && x[diff[1]] == y[diff[0]],
        _ => false,
    }
}

/// Jaro-Winkler similarity. Normalised fields are ASCII, so short strings take a byte-wise,
/// allocation-free path that computes exactly what `strsim::jaro_winkler` does; anything else
/// goes to `strsim`.
pub fn jaro_winkler(a: &str, b: &str) -> f32 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > 64 || y.len() > 64 {
        return strsim::jaro_winkler(a, b) as f32;
    }
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let range = (x.len().max(y.len()) / 2).saturating_sub(1);
    let mut xf = [false; 64];
    let mut yf = [false; 64];
    let mut matches = 0usize;
    for (i, &c) in x.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = (i + range + 1).min(y.len());
        for j in lo..hi {
            if !yf[j] && y[j] == c {
                xf[i] = true;
                yf[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &c) in x.iter().enumerate() {
        if xf[i] {
            while !yf[j] {
                j += 1;
            }
            if y[j] != c {
                transpositions += 1;
            }
            j += 1;
        }
    }
    let m = matches as f64;
    let t = (transpositions / 2) as f64;
    let jaro = (m / x.len() as f64 + m / y.len() as f64 + (m - t) / m) / 3.0;
    let jw = if jaro > 0.7 {
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    };
    jw as f32
}

/// 2 = same number, 1 = same last 7 digits only, 0 = different.
pub(crate) fn phone_level(x: &str, y: &str) -> u8 {
    if x == y {
        return 2;
    }
    let common = x.bytes().rev().zip(y.bytes().rev()).take_while(|(p, q)| p == q).count();
    let shorter = x.len().min(y.len());
    // ≥ 9 shared trailing digits: the same subscriber number written with and without country
    // code / trunk prefix (+7 916 …, 8 916 …, 0 30 …, (212) …); a whole shorter number that is
    // the tail of the longer one is the same number written locally.
    if common >= 9 || (common == shorter && common >= 7) {
        2
    } else if common >= 7 {
        1
    } else {
        0
    }
}

/// "acme widgets" within "acme widgets europe": all (≥ 2) tokens of the shorter name in the
/// longer. One shared word ("smith" in "walton wright smith") is not enough.
/// Names of equal length are tried both ways, so the answer does not depend on the argument order.
fn token_subset(a: &str, b: &str) -> bool {
    let within =
        |short: &str, long: &str| short.contains(' ') && short.split(' ').all(|t| long.split(' ').any(|u| u == t));
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => within(a, b),
        std::cmp::Ordering::Greater => within(b, a),
        std::cmp::Ordering::Equal => within(a, b) || within(b, a),
    }
}

fn collect_tokens<'s>(s: &'s str, buf: &mut [&'s str; 32]) -> usize {
    let mut n = 0;
    for t in s.split(' ') {
        if t.is_empty() || buf[..n].contains(&t) {
            continue;
        }
        if n == buf.len() {
            break;
        }
        buf[n] = t;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{normalize, ContactInput};

    fn c(id: i64, first: &str, last: &str, company: &str, email: &str, phone: &str, addr: &str) -> ContactInput {
        ContactInput {
            id,
            first_name: first.into(),
            last_name: last.into(),
            full_name: format!("{first} {last}"),
            company: company.into(),
            position: "Sales manager".into(),
            emails: if email.is_empty() { vec![] } else { vec![email.into()] },
            phones: if phone.is_empty() { vec![] } else { vec![phone.into()] },
            website: String::new(),
            address: addr.into(),
            ..Default::default()
        }
    }

    fn sc(x: &ContactInput, y: &ContactInput) -> Match {
        let s = Settings::default();
        score(&normalize(x, &s), &normalize(y, &s), &s)
    }

    const ADDR: &str = "ul. Tverskaya 7, Moscow, 125009";

    #[test]
    fn same_person_variants_score_high() {
        let s = Settings::default();
        let base = c(1, "Анна", "Петрова", "ООО «Ромашка»", "anna.petrova@romashka.ru", "+7 916 123-45-67", ADDR);
        // transliterated, national phone, no e-mail
        let v1 = c(2, "Anna", "Petrova", "Ромашка", "", "8 (916) 123-45-67", ADDR);
        // OCR in surname and e-mail, no phone
        let v2 = c(3, "Анна", "Пeтрова", "ООО «Ромашка»", "Anna.Pctr0va@romashka.ru", "", ADDR);
        // nickname + swapped full name only
        let mut v3 = c(4, "", "", "Romashka", "", "+79161234567", "");
        v3.full_name = "Petrova Anya".into();
        for v in [&v1, &v2, &v3] {
            let m = sc(&base, v);
            assert!(m.score >= s.threshold, "{:?} vs {:?}: {:?}", base.full_name, v.full_name, m);
        }
        let m = sc(&base, &v1);
        let phone = m.match_fields.iter().find(|f| f.field == "phone").unwrap();
        assert_eq!(phone.score, 1.0);
        assert!(phone.weight > 0.0);
        // two variants without any common e-mail/phone still match on name + company + address
        assert!(sc(&v1, &v2).score >= s.threshold, "{:?}", sc(&v1, &v2));
    }

    #[test]
    fn nickname_pair_matches() {
        let a = c(1, "Robert", "Smith", "Acme Inc", "robert.smith@acme.com", "+1 212 555 0142", "");
        let b = c(2, "Bob", "Smith", "Acme Inc.", "", "(212) 555-0142", "");
        assert!(sc(&a, &b).score > 0.9, "{:?}", sc(&a, &b));
    }

    #[test]
    fn a_job_change_with_the_same_address_is_still_the_same_person() {
        let s = Settings::default();
        // the same name and e-mail, another employer, title and numbers (found by the stack-of-
        // cards browser test: such a card was not flagged)
        let old = c(1, "Grace", "Hopper", "Acme Inc", "grace.hopper@gmail.com", "+1 212 555 0142", "");
        let mut new = c(2, "Grace", "Hopper", "Globex", "grace.hopper@gmail.com", "+1 415 555 0199", "");
        new.position = "Chief engineer".into();
        let m = sc(&old, &new);
        assert!(m.score >= s.threshold, "{m:?}");
        let phone = m.match_fields.iter().find(|f| f.field == "phone").unwrap();
        assert!(phone.weight < 0.0 && phone.weight > s.weights.phone_diff, "{phone:?}");
        // without the agreeing address the other numbers still count fully: another person
        let stranger = c(3, "Grace", "Hopper", "Globex", "ghopper@globex.com", "+1 415 555 0199", "");
        let m = sc(&old, &stranger);
        assert!(m.score < s.threshold, "{m:?}");
        assert_eq!(m.match_fields.iter().find(|f| f.field == "phone").unwrap().weight, s.weights.phone_diff);
        // a shared address under another name is no evidence for the numbers either way
        let info = c(4, "Alan", "Turing", "Acme Inc", "grace.hopper@gmail.com", "+1 415 555 0100", "");
        assert!(sc(&old, &info).score < s.threshold);
    }

    #[test]
    fn namesakes_at_same_company_score_low() {
        let s = Settings::default();
        let a = c(1, "John", "Smith", "Acme Inc", "john.smith@acme.com", "+12125550142", "1 Main St, Springfield");
        let b = c(2, "John", "Smith", "Acme Inc", "john.smith2@acme.com", "+12125550199", "9 Oak Ave, Shelbyville");
        let m = sc(&a, &b);
        assert!(m.score < s.threshold, "{m:?}");
        // the numbered e-mail gives no credit
        let e = m.match_fields.iter().find(|f| f.field == "email").unwrap();
        assert!(e.weight < 0.0);
        // colleague sharing surname and company
        let c2 = c(3, "Mary", "Smith", "Acme Inc", "mary.smith@acme.com", "+12125550111", "1 Main St, Springfield");
        assert!(sc(&a, &c2).score < s.threshold);
        // even when one of them has no e-mail
        let d = c(4, "John", "Smith", "Acme", "", "+12125550199", "9 Oak Ave, Shelbyville");
        assert!(sc(&a, &d).score < s.threshold);
    }

    #[test]
    fn name_and_address_alone_decide() {
        let s = Settings::default();
        let p = |first: &str, last: &str, addr: &str| c(0, first, last, "", "", "", addr);
        let p = |first: &str, last: &str, addr: &str| ContactInput { position: String::new(), ..p(first, last, addr) };
        let base = p("Sarah", "Clarke", "14 Brigden Crescent, Wintersloe, Oakleigh NSW 4700");
        // typos, a missing house number, swapped postcode digits, swapped names
        for dup in [
            p("sarah", "clarkre", "brigden crescent, wintersloe, oakleigh nsw 7400"),
            p("Clarke", "Sarah", "14 Brigden Cres, Wintersloe, Oakleigh 4700"),
            p("Sara", "Clarke", "14 Brigdne Crescent, Oakleigh NSW 4700"),
        ] {
            let m = sc(&base, &dup);
            assert!(m.score >= s.threshold, "{dup:?}: {m:?}");
            assert!(m.match_fields.iter().any(|f| f.field == "address" && f.weight > 0.0), "{m:?}");
        }
        // a namesake elsewhere, and a neighbour in the same building
        for other in [
            p("Sarah", "Clarke", "3 Kent Street, Bellbird, Cleveland QLD 2119"),
            p("Mitchell", "Green", "14 Brigden Crescent, Wintersloe, Oakleigh NSW 4700"),
        ] {
            let m = sc(&base, &other);
            assert!(m.score < s.threshold, "{other:?}: {m:?}");
        }
    }

    #[test]
    fn shared_channels_and_bare_names_are_not_pairs() {
        let s = Settings::default();
        // an office switchboard and a shared mailbox on two colleagues' cards
        let a = c(1, "Anna", "Petrova", "", "info@romashka.ru", "+7 495 123-45-67", "");
        let b = c(2, "Ivan", "Sidorov", "", "info@romashka.ru", "+7 495 123-45-67", "");
        let m = sc(&a, &b);
        assert!(m.score < s.candidate_threshold, "{m:?}");
        // namesakes with nothing else to compare: a warning on create, not a duplicate pair
        let a = ContactInput { position: String::new(), ..c(1, "James", "Smith", "", "", "", "") };
        let b = ContactInput { position: String::new(), ..c(2, "James", "Smith", "", "", "", "") };
        let m = sc(&a, &b);
        assert!(m.score < s.threshold && m.score >= s.candidate_threshold, "{m:?}");
        // … while one corroborating field makes it one
        let b = ContactInput { position: "Sales manager".into(), ..b };
        let a = ContactInput { position: "Sales manager".into(), ..a };
        assert!(sc(&a, &b).score >= s.threshold, "{:?}", sc(&a, &b));
    }

    #[test]
    fn comparison_levels_name_weights() {
        let s = Settings::default();
        let a = normalize(&c(1, "Sarah", "Clarke", "", "", "", "14 Brigden Crescent, Oakleigh 4700"), &s);
        let b = normalize(&c(2, "Sara", "Clarke", "", "", "", "14 Brigden Crescent, Oakleigh 4701"), &s);
        let levels = comparison_levels(&a, &b, &s);
        assert!(levels.contains(&("name", "name_similar")), "{levels:?}");
        assert!(levels.contains(&("postcode", "postcode_similar")), "{levels:?}");
        assert!(levels.contains(&("street", "street_exact")), "{levels:?}");
        // colleagues: with the organisation agreeing, an agreeing address is set aside (not
        // counted, not learnt from); a differing part still is
        let a = normalize(&c(1, "Sarah", "Clarke", "Acme", "", "", "14 Brigden Crescent, Oakleigh 4700"), &s);
        let b = normalize(&c(2, "Sara", "Clarke", "Acme", "", "", "14 Brigden Crescent, Oakleigh 4701"), &s);
        let levels = comparison_levels(&a, &b, &s);
        assert!(levels.contains(&("company", "company_exact")), "{levels:?}");
        assert!(!levels.iter().any(|l| l.0 == "street" || l.0 == "postcode"), "{levels:?}");
        let m = score(&a, &b, &s);
        assert!(m.match_fields.iter().any(|f| f.field == "address" && f.weight == 0.0), "{m:?}");
        // nothing but the name to compare
        let a = normalize(&c(1, "Sarah", "Clarke", "", "", "", ""), &s);
        let b = normalize(&c(2, "Sarah", "Clarke", "", "", "", ""), &s);
        let (a, b) = (Normalized { position: String::new(), ..a }, Normalized { position: String::new(), ..b });
        assert_eq!(comparison_levels(&a, &b, &s), vec![("name", "name_exact"), ("other_fields", "name_only")]);
        // every level is a field of Weights
        let w = serde_json::to_value(&s.weights).unwrap();
        for (_, level) in &levels {
            assert!(w.get(level).is_some() || *level == "middle_name_match", "{level}");
        }
    }

    #[test]
    fn explanation_lists_fields() {
        let a = c(1, "Anna", "Petrova", "Acme", "anna@acme.com", "", "");
        let m = sc(&a, &a.clone());
        let names: Vec<&str> = m.match_fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, vec!["name", "email", "company", "position"]);
        assert!(m.match_fields.iter().all(|f| f.score == 1.0 && f.weight > 0.0));
    }

    #[test]
    fn locality_overlap_is_symmetric() {
        // both words on the right are close to "abcdefgh"; on the left only that one has a
        // partner: read one way every word has one, the other way not
        assert_eq!(locality_overlap("abcdefgi abcdefgj", "abcdefgh zzzzzzzz"), 1);
        for (a, b) in [("abcdefgh zzzzzzzz", "abcdefgi abcdefgj"), ("oakleigh bittern", "oakleigh bitern")] {
            assert_eq!(locality_overlap(a, b), locality_overlap(b, a), "{a} / {b}");
        }
    }

    #[test]
    fn phone_levels() {
        assert_eq!(phone_level("79161234567", "89161234567"), 2);
        assert_eq!(phone_level("494712037456", "04712037456"), 2);
        assert_eq!(phone_level("13675447248", "3675447248"), 2);
        assert_eq!(phone_level("12125550142", "5550142"), 2);
        assert_eq!(phone_level("79161234567", "79251234567"), 1);
        assert_eq!(phone_level("79161234567", "79161234568"), 0);
    }

    #[test]
    fn jaro_winkler_equals_strsim() {
        let words = [
            "",
            "a",
            "ab",
            "martha",
            "marhta",
            "dixon",
            "dicksonx",
            "jellyfish",
            "smellyfish",
            "petrova",
            "petrov",
            "ana",
            "anna",
            "aleksandr",
            "alexander",
            "yohnson",
            "johnson",
            "haase salz",
            "hase salz",
            "crate",
            "trace",
            "dwayne",
            "duane",
            "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01",
            "mueller",
        ];
        for a in words {
            for b in words {
                let ours = jaro_winkler(a, b);
                let theirs = strsim::jaro_winkler(a, b) as f32;
                assert!((ours - theirs).abs() < 1e-6, "{a} {b}: {ours} vs {theirs}");
            }
        }
        assert_eq!(jaro_winkler("Müller", "Müller"), 1.0);
    }
}
