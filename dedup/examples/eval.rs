//! Evaluate duplicate detection against the `cluster` labels of a `gen_contacts.py` file.
//!
//!     cargo run --release --example eval -- contacts.jsonl [--show N] [--threads N] [--settings s.json]
//!
//! 1. Runs `run_pairs_jsonl` exactly as `cardcrm dedup pairs` would (output to a buffer) and
//!    reports its wall time and the peak RSS (VmHWM) at that point.
//! 2. Scores the pairs: precision, recall, F1 over all pairs within a cluster.
//! 3. Blocking alone: share of true pairs that are candidates (after block caps) and share that
//!    share at least one key at all (before caps); candidate-pair count.
//!
//! `--show N` prints N missed and N wrong pairs with their explanation (for tuning);
//! `--show-unblocked N` prints N true pairs that share no blocking key of any kind.

use dedup::blocking::{batch_key_hashes, batch_kind_mask, hash_kind};
use dedup::{candidate_pairs, parse_contacts_jsonl, run_pairs_jsonl, score, Settings};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::time::Instant;

#[derive(serde::Deserialize)]
struct Label {
    id: i64,
    cluster: i64,
    #[serde(default)]
    last_name: String,
}

fn is_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0400}'..='\u{04ff}').contains(&c))
}

fn vm_hwm_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for l in s.lines() {
        if let Some(v) = l.strip_prefix("VmHWM:") {
            let kb: f64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0.0);
            return kb / 1024.0;
        }
    }
    0.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = None;
    let mut show = 0usize;
    let mut show_unblocked = 0usize;
    let mut settings = Settings::default();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--show" => {
                show = args[i + 1].parse().expect("--show N");
                i += 1;
            }
            "--show-unblocked" => {
                show_unblocked = args[i + 1].parse().expect("--show-unblocked N");
                i += 1;
            }
            "--threads" => {
                let n: usize = args[i + 1].parse().expect("--threads N");
                rayon::ThreadPoolBuilder::new().num_threads(n).build_global().unwrap();
                i += 1;
            }
            "--keys" => {
                settings.batch_keys = args[i + 1].split(',').map(|k| k.to_string()).collect();
                i += 1;
            }
            "--settings" => {
                let text = std::fs::read_to_string(&args[i + 1]).expect("settings file");
                settings = serde_json::from_str(&text).expect("settings JSON");
                i += 1;
            }
            p => path = Some(p.to_string()),
        }
        i += 1;
    }
    let path = path.expect("usage: eval contacts.jsonl [--show N] [--threads N] [--settings file]");
    let s = settings;

    // ---- 1. the batch run, as the CLI does it
    let t = Instant::now();
    let f = std::fs::File::open(&path).expect("open input");
    let mut out: Vec<u8> = Vec::new();
    let stats = run_pairs_jsonl(BufReader::with_capacity(1 << 20, f), &mut out, &s).expect("run");
    let secs = t.elapsed().as_secs_f64();
    let rss = vm_hwm_mb();
    println!("file: {path}");
    println!("threads: {}", rayon::current_num_threads());
    println!(
        "run_pairs_jsonl: {} contacts, {} pairs, {:.2} s (read+normalise {} ms, blocking {} ms, scoring {} ms, write {} ms), peak RSS {:.0} MB",
        stats.contacts, stats.pairs, secs, stats.read_ms, stats.block_ms, stats.score_ms, stats.write_ms, rss
    );
    println!(
        "blocking: {} keys, {} blocks, {} skipped (> cap, {} members), largest used {}, {} raw pairs, {} candidate pairs",
        stats.blocking.keys,
        stats.blocking.blocks,
        stats.blocking.skipped_blocks,
        stats.blocking.skipped_members,
        stats.blocking.largest_block,
        stats.blocking.raw_pairs,
        stats.blocking.candidate_pairs
    );

    // ---- 2. quality
    let mut predicted: HashSet<(i64, i64)> = HashSet::with_capacity(stats.pairs);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        predicted.insert((v["a"].as_i64().unwrap(), v["b"].as_i64().unwrap()));
    }
    drop(out);
    let mut by_cluster: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut cyr: HashMap<i64, bool> = HashMap::new();
    let f = std::fs::File::open(&path).unwrap();
    for line in BufReader::new(f).lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let l: Label = serde_json::from_str(&line).expect("every line needs id and cluster");
        by_cluster.entry(l.cluster).or_default().push(l.id);
        cyr.insert(l.id, is_cyrillic(&l.last_name));
    }
    let mut truth: HashSet<(i64, i64)> = HashSet::new();
    for ids in by_cluster.values() {
        for x in 0..ids.len() {
            for y in x + 1..ids.len() {
                let (a, b) = (ids[x].min(ids[y]), ids[x].max(ids[y]));
                truth.insert((a, b));
            }
        }
    }
    let tp = predicted.iter().filter(|p| truth.contains(p)).count();
    let fp = predicted.len() - tp;
    let fneg = truth.len() - tp;
    let precision = tp as f64 / predicted.len().max(1) as f64;
    let recall = tp as f64 / truth.len().max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-12);
    println!("true pairs: {}, predicted: {}, TP {tp}, FP {fp}, FN {fneg}", truth.len(), predicted.len());
    println!("precision {precision:.5}  recall {recall:.5}  F1 {f1:.5}");
    let mixed: Vec<&(i64, i64)> = truth.iter().filter(|(a, b)| cyr[a] != cyr[b]).collect();
    let mixed_found = mixed.iter().filter(|p| predicted.contains(p)).count();
    println!(
        "Cyrillic-vs-Latin surname pairs: {} true, {} found (recall {:.5})",
        mixed.len(),
        mixed_found,
        mixed_found as f64 / mixed.len().max(1) as f64
    );

    // ---- 3. blocking recall
    let norm = parse_contacts_jsonl(BufReader::new(std::fs::File::open(&path).unwrap()), &s).unwrap();
    let idx: HashMap<i64, usize> = norm.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let (cands, _) = candidate_pairs(&norm, &s);
    let cand_ids: HashSet<(i64, i64)> = cands
        .iter()
        .map(|&(i, j)| {
            let (a, b) = (norm[i as usize].id, norm[j as usize].id);
            (a.min(b), a.max(b))
        })
        .collect();
    drop(cands);
    let in_cands = truth.iter().filter(|p| cand_ids.contains(p)).count();
    let mut share_key = 0usize;
    let mut only_kind: HashMap<String, usize> = HashMap::new();
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    let all_kinds = batch_kind_mask(&Settings {
        batch_keys: ["e", "p", "p7", "t", "n", "c", "d", "w", "sp", "nh", "cs", "ns", "sh"]
            .iter()
            .map(|k| k.to_string())
            .collect(),
        ..s.clone()
    });
    for &(a, b) in &truth {
        batch_key_hashes(&norm[idx[&a]], all_kinds, &mut ka);
        batch_key_hashes(&norm[idx[&b]], all_kinds, &mut kb);
        let shared: Vec<u64> = ka.iter().copied().filter(|k| kb.contains(k)).collect();
        if !shared.is_empty() {
            share_key += 1;
        } else if show_unblocked > 0 {
            show_unblocked -= 1;
            println!("UNBLOCKED\n  A {:?}\n  B {:?}", norm[idx[&a]], norm[idx[&b]]);
        }
        let mut kinds: Vec<_> = shared.iter().filter_map(|&k| hash_kind(k)).collect();
        kinds.sort();
        kinds.dedup();
        if kinds.len() == 1 {
            *only_kind.entry(kinds[0].prefix().to_string()).or_default() += 1;
        }
    }
    println!(
        "blocking pair-recall: {:.5} of true pairs are candidates (batch keys {:?}, after caps); {:.5} share any key of any kind (before caps); {} candidate pairs ({:.2} per contact)",
        in_cands as f64 / truth.len().max(1) as f64,
        s.batch_keys,
        share_key as f64 / truth.len().max(1) as f64,
        cand_ids.len(),
        cand_ids.len() as f64 / norm.len().max(1) as f64
    );
    let mut ok: Vec<_> = only_kind.into_iter().collect();
    ok.sort();
    println!("true pairs found through one key kind only: {ok:?}");
    println!("scoring recall on candidates: {:.5}", tp as f64 / in_cands.max(1) as f64);

    if show > 0 {
        let mut fns: Vec<_> = truth.iter().filter(|p| !predicted.contains(p)).collect();
        fns.sort();
        let mut fps: Vec<_> = predicted.iter().filter(|p| !truth.contains(p)).collect();
        fps.sort();
        for (label, list) in [("MISSED", fns), ("WRONG", fps)] {
            for &&(a, b) in list.iter().take(show) {
                let (x, y) = (&norm[idx[&a]], &norm[idx[&b]]);
                let m = score(x, y, &s);
                println!("\n{label} {a} {b} score {:.4} candidate={}", m.score, cand_ids.contains(&(a, b)));
                println!("  A {:?}", x);
                println!("  B {:?}", y);
                for fs in &m.match_fields {
                    println!("    {:<12} sim {:.3} weight {:+.2}", fs.field, fs.score, fs.weight);
                }
            }
        }
    }
}
