//! Learn the matcher's [`Weights`] from labelled contacts, the Fellegi–Sunter way (as Splink does
//! with labelled pairs): for every comparison level, m = P(level | duplicate) and
//! u = P(level | not a duplicate) over the candidate pairs that blocking produces, and the level's
//! weight is ln(m/u). The prior is the log-odds of a duplicate among candidate pairs.
//!
//!     cargo run --release -p dedup --example learn_weights -- a.jsonl b.jsonl … [--passes N] [--rust]
//!
//! Input: JSON lines in the shape of `gen_contacts.py` / `scripts/eval-febrl.py` output, each with
//! a `cluster` label (records sharing it are the same person). Each file is blocked on its own the
//! way check-on-create blocks (every key kind, each key's rows cut to its lookup limit), so u and
//! the prior are measured on the widest set of pairs the matcher really scores. Counts get add-one smoothing per level (a level never seen among duplicates or
//! non-duplicates gets a finite weight), weights are clamped to ±20, a `*_diff` level (a
//! disagreement) is never positive, and on an ordered comparison (street: exact, similar, fuzzy,
//! different) a closer level never weighs less than a looser one.
//!
//! Which reading of a swapped name is taken depends on the weights, so the counting is repeated
//! (`--passes`, default 3), each pass with the weights of the one before, starting from
//! `Weights::default()`. Prints the per-level counts, then the weights as JSON (a partial
//! `Settings.weights`), or as the body of `Weights::default()` with `--rust`.

use dedup::blocking::lookup_limit;
use dedup::{blocking_keys, comparison_levels, normalize, ContactInput, Normalized, Settings, Weights};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};

/// Every comparison and its levels (each a `Weights` field). `middle_name_match` and
/// `other_fields_compared` (a pair with more than the name to compare) are fixed at 0.
const COMPARISONS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "name_exact",
            "name_similar",
            "name_fuzzy",
            "first_name_diff",
            "last_name_diff",
            "name_diff",
            "one_part_match",
            "one_part_diff",
        ],
    ),
    ("middle_name", &["middle_name_match", "middle_name_diff"]),
    ("other_fields", &["name_only", "other_fields_compared"]),
    ("email", &["email_match", "email_diff"]),
    ("phone", &["phone_match", "phone_last7", "phone_diff", "phone_moved"]),
    ("company", &["company_exact", "company_similar", "company_diff"]),
    ("domain", &["domain_match", "domain_diff"]),
    ("position", &["position_match", "position_diff"]),
    ("house_number", &["house_number_match", "house_number_diff"]),
    ("street", &["street_exact", "street_similar", "street_fuzzy", "street_diff"]),
    ("locality", &["locality_exact", "locality_similar", "locality_partial", "locality_diff"]),
    ("postcode", &["postcode_match", "postcode_similar", "postcode_diff"]),
];

const CLAMP: f64 = 20.0;

/// Comparisons whose levels run from the closest agreement to disagreement.
const ORDERED: &[&str] =
    &["email", "phone", "company", "domain", "position", "house_number", "street", "locality", "postcode"];

struct Labelled {
    contacts: Vec<Normalized>,
    cluster: Vec<i64>,
}

fn load(path: &str, s: &Settings) -> Labelled {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut contacts = Vec::new();
    let mut cluster = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.expect("read");
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
        let c: ContactInput = serde_json::from_value(v.clone()).expect("contact");
        cluster.push(v["cluster"].as_i64().unwrap_or_else(|| panic!("{path}:{}: no cluster", i + 1)));
        contacts.push(normalize(&c, s));
    }
    Labelled { contacts, cluster }
}

/// The pairs check-on-create scores: contacts sharing any blocking key of any kind, each key's
/// group cut to its lookup limit (the `LIMIT` of the lookup). This is the widest candidate set the
/// weights meet — batch mode blocks on fewer kinds and prunes more — so its u probabilities and
/// prior are the cautious ones.
fn check_candidates(contacts: &[Normalized], s: &Settings) -> Vec<(u32, u32)> {
    let mut groups: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, c) in contacts.iter().enumerate() {
        for k in blocking_keys(c) {
            groups.entry(k).or_default().push(i as u32);
        }
    }
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for (key, members) in &groups {
        let members = &members[..members.len().min(lookup_limit(key, s) + 1)];
        for x in 0..members.len() {
            for y in x + 1..members.len() {
                pairs.push((members[x], members[y]));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn main() {
    let mut files = Vec::new();
    let mut passes = 3;
    let mut rust = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--passes" => passes = args.next().and_then(|v| v.parse().ok()).expect("--passes N"),
            "--rust" => rust = true,
            _ => files.push(a),
        }
    }
    assert!(!files.is_empty(), "usage: learn_weights labelled.jsonl … [--passes N] [--rust]");
    let mut s = Settings::default();
    let sets: Vec<(String, Labelled)> = files.iter().map(|p| (p.clone(), load(p, &s))).collect();
    let cands: Vec<Vec<(u32, u32)>> = sets.iter().map(|(_, l)| check_candidates(&l.contacts, &s)).collect();

    let mut weights = Weights::default();
    for pass in 1..=passes {
        s.weights = weights.clone();
        // counts[level] = (among duplicates, among others)
        let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
        let (mut dups, mut others) = (0u64, 0u64);
        for ((_, l), cs) in sets.iter().zip(&cands) {
            for &(i, j) in cs {
                let (a, b) = (&l.contacts[i as usize], &l.contacts[j as usize]);
                let dup = l.cluster[i as usize] == l.cluster[j as usize];
                if dup {
                    dups += 1;
                } else {
                    others += 1;
                }
                let levels = comparison_levels(a, b, &s);
                let name_only = levels.iter().any(|l| l.1 == "name_only");
                let name = levels.iter().any(|l| l.0 == "name");
                let extra = (name && !name_only).then_some(("other_fields", "other_fields_compared"));
                for (_, level) in levels.into_iter().chain(extra) {
                    let e = counts.entry(level).or_default();
                    if dup {
                        e.0 += 1;
                    } else {
                        e.1 += 1;
                    }
                }
            }
        }
        let mut learnt: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
        let prior = ((dups.max(1)) as f64 / (others.max(1)) as f64).ln();
        learnt.insert("prior".into(), round(prior).into());
        if pass == passes {
            println!("candidate pairs: {} duplicates, {} others (prior log-odds {:.2})", dups, others, prior);
            println!("{:<20} {:>9} {:>9} {:>8} {:>8} {:>7}", "level", "dups", "others", "m", "u", "weight");
        }
        for (comparison, levels) in COMPARISONS {
            let m_total: u64 = levels.iter().map(|l| counts.get(l).map_or(0, |c| c.0)).sum();
            let u_total: u64 = levels.iter().map(|l| counts.get(l).map_or(0, |c| c.1)).sum();
            for level in levels.iter() {
                let (cm, cu) = counts.get(level).copied().unwrap_or_default();
                let m = (cm as f64 + 1.0) / (m_total as f64 + levels.len() as f64);
                let u = (cu as f64 + 1.0) / (u_total as f64 + levels.len() as f64);
                let w = (m / u).ln().clamp(-CLAMP, CLAMP);
                if pass == passes {
                    println!("{level:<20} {cm:>9} {cu:>9} {m:>8.5} {u:>8.5} {w:>7.2}");
                }
                // a disagreement is never evidence for a match (small counts can say otherwise)
                let w = if level.ends_with("_diff") { w.min(0.0) } else { w };
                if !matches!(*level, "middle_name_match" | "other_fields_compared") {
                    learnt.insert(level.to_string(), round(w).into());
                }
            }
            // Ordered levels (most similar first): a closer agreement never weighs less than a
            // looser one (small counts can invert them, e.g. exact vs similar street).
            if ORDERED.contains(comparison) {
                for k in (0..levels.len() - 1).rev() {
                    let (hi, lo) = (levels[k], levels[k + 1]);
                    let lo_w = learnt[lo].as_f64().unwrap_or(0.0);
                    if learnt[hi].as_f64().unwrap_or(0.0) < lo_w {
                        learnt.insert(hi.to_string(), lo_w.into());
                    }
                }
            }
        }
        let mut v = serde_json::to_value(&weights).expect("weights");
        for (k, w) in learnt {
            v[k.as_str()] = w;
        }
        weights = serde_json::from_value(v).expect("weights");
    }
    if rust {
        let v = serde_json::to_value(&weights).expect("weights");
        println!("        Weights {{");
        for (k, w) in v.as_object().expect("object") {
            let w = w.as_f64().unwrap_or(0.0);
            println!("            {k}: {w:.2},");
        }
        println!("        }}");
    } else {
        println!("{}", serde_json::to_string_pretty(&weights).expect("json"));
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
