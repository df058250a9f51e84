//! Check-on-create load run: index N stored contacts by their blocking keys (as the database
//! would, one equality index), then for each draft: normalise, look up its keys (at most
//! `Settings::lookup_limit` rows per key, like a `LIMIT` on the query, fewer for weak keys),
//! score with `candidates`.
//!
//!     cargo run --release --example check_load -- contacts.jsonl [--drafts 10000] [--limit 200]
//!
//! Drafts are stored contacts re-typed with noise (upper-cased name, national phone, no e-mail)
//! so each has a true match. Reports latency percentiles and whether the match was found.
use dedup::blocking::lookup_limit;
use dedup::{blocking_keys, candidates, normalize, parse_contacts_jsonl, ContactInput, Settings};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().expect("usage: check_load contacts.jsonl [--drafts N] [--limit N]").clone();
    let opt =
        |name: &str, d: usize| args.iter().position(|a| a == name).map(|i| args[i + 1].parse().unwrap()).unwrap_or(d);
    let n_drafts = opt("--drafts", 10_000);
    let mut s = Settings::default();
    s.lookup_limit = opt("--limit", s.lookup_limit);

    let t = Instant::now();
    let stored = parse_contacts_jsonl(BufReader::new(std::fs::File::open(&path).unwrap()), &s).unwrap();
    // the "database index": key → row numbers (keys hashed to save memory here)
    let mut index: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, n) in stored.iter().enumerate() {
        for k in blocking_keys(n) {
            index.entry(hash(&k)).or_default().push(i as u32);
        }
    }
    println!("indexed {} contacts, {} keys in {:.1} s", stored.len(), index.len(), t.elapsed().as_secs_f64());

    // drafts: every k-th raw contact, re-typed
    let step = (stored.len() / n_drafts.max(1)).max(1);
    let raw: Vec<ContactInput> = BufReader::new(std::fs::File::open(&path).unwrap())
        .lines()
        .step_by(step)
        .take(n_drafts)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let mut lat: Vec<f64> = Vec::with_capacity(raw.len());
    let (mut found, mut rows_total) = (0usize, 0usize);
    for c in &raw {
        let draft_in = ContactInput {
            id: 0,
            first_name: c.first_name.to_uppercase(),
            emails: vec![],
            phones: if c.phones.is_empty() { c.phones.clone() } else { vec![c.phones[0].replacen('+', "00", 1)] },
            ..c.clone()
        };
        let t = Instant::now();
        let draft = normalize(&draft_in, &s);
        let mut rows: Vec<u32> = Vec::new();
        for k in blocking_keys(&draft) {
            if let Some(r) = index.get(&hash(&k)) {
                rows.extend(r.iter().take(lookup_limit(&k, &s)));
            }
        }
        rows.sort_unstable();
        rows.dedup();
        let cands = candidates(&draft, rows.iter().map(|&i| &stored[i as usize]), &s);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        rows_total += rows.len();
        if cands.iter().any(|(id, _)| *id == c.id) {
            found += 1;
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize];
    println!(
        "{} drafts: latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {:.1} rows fetched per draft; own record found for {:.4}",
        lat.len(),
        p(0.5),
        p(0.99),
        lat[lat.len() - 1],
        rows_total as f64 / lat.len() as f64,
        found as f64 / lat.len() as f64
    );
}

fn hash(k: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in k.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}
