//! Criterion benches: normalise one contact, blocking keys, score one pair, check-on-create
//! (`candidates`) for one draft against a block of rows fetched by key.
//!
//!     cargo bench --bench dedup
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dedup::{blocking_keys, candidates, normalize, score, ContactInput, Normalized, Settings};
use std::hint::black_box;

fn contacts() -> Vec<ContactInput> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/contacts_2k_seed7.jsonl"))
        .expect("test data");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn benches(c: &mut Criterion) {
    let s = Settings::default();
    let cs = contacts();
    let latin =
        cs.iter().find(|c| c.phones.len() == 1 && c.emails.len() == 1 && c.first_name.is_ascii()).unwrap().clone();
    let cyr = cs.iter().find(|c| !c.last_name.is_ascii() && c.last_name.chars().any(|ch| ch > 'Ѐ')).unwrap().clone();
    let national = ContactInput { phones: vec!["8 (916) 123-45-67".into()], ..cyr.clone() };

    let mut g = c.benchmark_group("normalize");
    g.bench_function("latin", |b| b.iter(|| normalize(black_box(&latin), &s)));
    g.bench_function("cyrillic", |b| b.iter(|| normalize(black_box(&cyr), &s)));
    g.bench_function("national_phone", |b| b.iter(|| normalize(black_box(&national), &s)));
    g.finish();

    let n_latin = normalize(&latin, &s);
    c.bench_function("blocking_keys", |b| b.iter(|| blocking_keys(black_box(&n_latin))));

    // a true duplicate pair and a namesake-like non-pair
    let mut dup = latin.clone();
    dup.id = -1;
    dup.emails.clear();
    dup.first_name = dup.first_name.to_uppercase();
    let n_dup = normalize(&dup, &s);
    let n_other = normalize(&cs[7], &s);
    let mut g = c.benchmark_group("score");
    g.bench_function("duplicate", |b| b.iter(|| score(black_box(&n_latin), black_box(&n_dup), &s)));
    g.bench_function("distinct", |b| b.iter(|| score(black_box(&n_latin), black_box(&n_other), &s)));
    g.finish();

    // check-on-create: the draft against the rows a key lookup returned
    let norm: Vec<Normalized> = cs.iter().map(|c| normalize(c, &s)).collect();
    let mut g = c.benchmark_group("candidates");
    for size in [10usize, 100, 1000] {
        let mut block: Vec<&Normalized> = norm.iter().take(size - 1).collect();
        block.push(&n_dup);
        g.bench_with_input(BenchmarkId::from_parameter(size), &block, |b, block| {
            b.iter(|| {
                let draft = normalize(black_box(&latin), &s);
                let found = candidates(&draft, block.iter().copied(), &s);
                assert!(!found.is_empty());
                found
            })
        });
    }
    g.finish();
}

criterion_group!(name = dedup_benches; config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)); targets = benches);
criterion_main!(dedup_benches);
