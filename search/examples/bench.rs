//! Search index benchmark: build time and size, per-query latency by query class, throughput
//! with 2 threads, and a recall check.
//!
//!     cargo run --release -p search --example bench -- CONTACTS.jsonl QUERIES.tsv [--dir DIR] [--reuse] [--limit N]
//!
//! CONTACTS.jsonl: scripts/gen-contacts.py output; QUERIES.tsv:
//! scripts/gen-search-queries.py output (`kind<TAB>query<TAB>target`). The index is built in DIR
//! (default target/search-bench-index, emptied first) unless --reuse opens the one already there.
//! Every query runs once per pass; pass 1 is the first time the process sees each query (the
//! OS page cache holds the index files either way: they were just written or read), pass 2
//! repeats them (tantivy's caches and the CPU caches warm).

use search::{ContactDoc, Index};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Raw {
    id: i64,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    address: String,
}

struct Query {
    kind: String,
    q: String,
    target: String,
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// CPU time of the calling thread: what a query costs, whatever else the machine runs (the
/// bench VM is shared, so wall-clock latencies include waits for a core).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn fold(s: &str) -> String {
    search::text::to_ascii_lower(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let mut dir = PathBuf::from("target/search-bench-index");
    let mut reuse = false;
    let mut limit = 10usize;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dir" => dir = PathBuf::from(it.next().expect("--dir DIR")),
            "--reuse" => reuse = true,
            "--limit" => limit = it.next().expect("--limit N").parse().expect("a number"),
            _ => pos.push(a),
        }
    }
    let [contacts_path, queries_path] = &pos[..] else {
        eprintln!("usage: bench CONTACTS.jsonl QUERIES.tsv [--dir DIR] [--reuse] [--limit N]");
        std::process::exit(2);
    };

    // contacts
    let t = Instant::now();
    let mut docs = Vec::new();
    let mut surname: Vec<(i64, String)> = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(contacts_path).expect("contacts")).lines() {
        let line = line.expect("read");
        if line.trim().is_empty() {
            continue;
        }
        let r: Raw = serde_json::from_str(&line).expect("contact json");
        surname.push((r.id, fold(&r.last_name)));
        docs.push(ContactDoc {
            id: r.id,
            names: [r.full_name.as_str(), r.first_name.as_str(), r.last_name.as_str()].join(" "),
            company: r.company,
            position: r.position,
            emails: r.emails,
            phones: r.phones,
            notes: String::new(),
            address: r.address,
        });
    }
    surname.sort();
    println!("contacts: {} read in {:.1} s", docs.len(), t.elapsed().as_secs_f64());

    // build
    if !reuse {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).expect("index dir");
    let ix = Index::open_or_create(Some(&dir)).expect("open index");
    if !reuse || ix.num_docs() == 0 {
        let t = Instant::now();
        for chunk in docs.chunks(10_000) {
            ix.upsert(chunk).expect("upsert");
        }
        ix.set_last_change_id(docs.len() as i64);
        ix.commit().expect("commit");
        let built = t.elapsed();
        let segments = ix.segment_count();
        let size_before = dir_size(&dir);
        let t2 = Instant::now();
        ix.optimize().expect("merge");
        let merged = t2.elapsed();
        // merged-away segment files are deleted by tantivy's garbage collection after the merge
        std::thread::sleep(Duration::from_millis(500));
        println!(
            "build: {} docs in {:.1} s ({:.0} docs/s, {} segments, {:.1} MB), merge to one segment {:.1} s; on disk {:.1} MB ({:.0} bytes/contact)",
            ix.num_docs(),
            built.as_secs_f64(),
            docs.len() as f64 / built.as_secs_f64(),
            segments,
            size_before as f64 / 1e6,
            merged.as_secs_f64(),
            dir_size(&dir) as f64 / 1e6,
            dir_size(&dir) as f64 / docs.len().max(1) as f64
        );
    } else {
        println!(
            "reused index in {}: {} docs, {:.1} MB on disk",
            dir.display(),
            ix.num_docs(),
            dir_size(&dir) as f64 / 1e6
        );
    }
    println!("segments: {}, watermark {}", ix.segment_count(), ix.last_change_id().unwrap());

    // queries
    let mut queries = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(queries_path).expect("queries")).lines() {
        let line = line.expect("read");
        let mut f = line.split('\t');
        let (Some(kind), Some(q)) = (f.next(), f.next()) else { continue };
        queries.push(Query { kind: kind.into(), q: q.into(), target: f.next().unwrap_or("").into() });
    }
    println!("queries: {} from {queries_path}, limit {limit}", queries.len());

    for pass in 1..=2 {
        let mut by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        let mut cpu_by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        let mut all = Vec::new();
        let mut all_cpu = Vec::new();
        let mut slowest: Vec<(Duration, &String, &String, usize)> = Vec::new();
        let mut misses: Vec<String> = Vec::new();
        let mut empty: BTreeMap<&str, usize> = BTreeMap::new();
        let mut recall: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let t = Instant::now();
        for q in &queries {
            let t = Instant::now();
            let c = thread_cpu();
            let hits = ix.search(&q.q, limit).expect("search");
            let c = thread_cpu().saturating_sub(c);
            let d = t.elapsed();
            by_kind.entry(&q.kind).or_default().push(d);
            cpu_by_kind.entry(&q.kind).or_default().push(c);
            all.push(d);
            all_cpu.push(c);
            slowest.push((c, &q.kind, &q.q, hits.len()));
            if hits.is_empty() {
                *empty.entry(&q.kind).or_default() += 1;
            }
            if !q.target.is_empty() && q.kind != "prefix" {
                let want = fold(&q.target);
                let found = hits
                    .iter()
                    .any(|h| surname.binary_search_by(|(id, _)| id.cmp(&h.id)).is_ok_and(|i| surname[i].1 == want));
                if !found && pass == 1 && misses.len() < 16 {
                    misses.push(format!("{:?} ({}, target {})", q.q, q.kind, q.target));
                }
                let r = recall.entry(&q.kind).or_default();
                r.0 += found as usize;
                r.1 += 1;
            }
        }
        let wall = t.elapsed();
        println!(
            "\npass {pass} ({}): 1 thread, {} queries in {:.2} s = {:.0} q/s",
            if pass == 1 { "first time each query" } else { "the same queries again" },
            queries.len(),
            wall.as_secs_f64(),
            queries.len() as f64 / wall.as_secs_f64()
        );
        println!(
            "{:<14} {:>5} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7} | {:>5} {:>8}",
            "class",
            "n",
            "wall50",
            "wall95",
            "wall99",
            "wallmax",
            "cpu50",
            "cpu95",
            "cpu99",
            "cpumax",
            "empty",
            "recall"
        );
        let line = |name: &str, v: &mut Vec<Duration>, c: &mut Vec<Duration>, e: usize, r: Option<(usize, usize)>| {
            v.sort();
            c.sort();
            let r = r.map_or(String::from("-"), |(a, b)| format!("{:.1}%", 100.0 * a as f64 / b.max(1) as f64));
            println!(
                "{:<14} {:>5} | {:>7.3} {:>7.3} {:>7.3} {:>7.3} | {:>7.3} {:>7.3} {:>7.3} {:>7.3} | {:>5} {:>8}",
                name,
                v.len(),
                pct(v, 0.5),
                pct(v, 0.95),
                pct(v, 0.99),
                pct(v, 1.0),
                pct(c, 0.5),
                pct(c, 0.95),
                pct(c, 0.99),
                pct(c, 1.0),
                e,
                r
            );
        };
        for (k, v) in by_kind.iter_mut() {
            let c = cpu_by_kind.get_mut(k).expect("same keys");
            line(k, v, c, empty.get(k).copied().unwrap_or(0), recall.get(k).copied());
        }
        line("all", &mut all, &mut all_cpu, empty.values().sum(), None);
        println!("(milliseconds; wall = elapsed, cpu = this thread's CPU time; recall = a contact with the target surname in the top {limit})");
        if pass == 1 {
            slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
            let list: Vec<String> = slowest
                .iter()
                .take(12)
                .map(|(c, k, q, n)| format!("{q:?} ({k}, {n} hits) {:.2}", c.as_secs_f64() * 1e3))
                .collect();
            println!("slowest by CPU: {}", list.join(", "));
            println!("some recall misses: {}", misses.join(", "));
        }
    }

    // throughput with 2 threads: each runs every query once, starting at opposite ends
    {
        let threads = 2usize;
        let t = Instant::now();
        let lat: Vec<Vec<Duration>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|i| {
                    let ix = &ix;
                    let queries = &queries;
                    s.spawn(move || {
                        let n = queries.len();
                        (0..n)
                            .map(|j| {
                                let q = &queries[(j + i * n / threads) % n];
                                let t = Instant::now();
                                ix.search(&q.q, limit).expect("search");
                                t.elapsed()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let wall = t.elapsed();
        let mut all: Vec<Duration> = lat.into_iter().flatten().collect();
        println!(
            "\nload average during the run: {}",
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        );
        all.sort();
        println!(
            "\n{threads} threads: {} queries in {:.2} s = {:.0} q/s; latency p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            all.len(),
            wall.as_secs_f64(),
            all.len() as f64 / wall.as_secs_f64(),
            pct(&all, 0.5),
            pct(&all, 0.95),
            pct(&all, 0.99),
            pct(&all, 1.0)
        );
    }
}
