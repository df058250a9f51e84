//! Reading and writing speed on generated files:
//! `cargo run --release -p interchange --example bench -- [ROWS]` (default 100,000).
use interchange::*;
use std::io::Cursor;
use std::time::Instant;

fn record(i: usize) -> ContactRecord {
    ContactRecord {
        uid: format!("6f1c2d3e-0000-4000-8000-{i:012}"),
        first_name: ["Anna", "Иван", "Jürgen", "María"][i % 4].into(),
        last_name: format!("Lastname{i}"),
        full_name: format!("{} Lastname{i}", ["Anna", "Иван", "Jürgen", "María"][i % 4]),
        company: format!("Company {}, Ltd", i % 997),
        department: "Sales".into(),
        position: "Manager; Europe".into(),
        phones: vec![
            Phone {
                kind: Kind::Mobile,
                number: format!("+7 916 {:03}-{:02}-{:02}", i % 1000, i % 100, i % 97),
                label: String::new(),
            },
            Phone { kind: Kind::Work, number: format!("+49 30 {i:07}"), label: String::new() },
        ],
        emails: vec![Email { kind: Kind::Work, address: format!("person{i}@example.com"), label: String::new() }],
        websites: vec![Website { kind: Kind::Work, url: format!("https://example.com/{i}"), label: String::new() }],
        addresses: vec![Address {
            kind: Kind::Work,
            street: format!("{} Main Street", i % 300),
            city: "Berlin".into(),
            postal_code: "10115".into(),
            country: "Germany".into(),
            ..Default::default()
        }],
        notes: format!("Met at the fair in {}.\nFollow up next week, about order #{i}.", 2000 + i % 27),
        tags: vec!["Customers".into(), format!("Batch {}", i % 10)],
        groups: vec!["Sales".into()],
        rev: "20261206T101500Z".into(),
        ..Default::default()
    }
}

fn time_read(name: &str, bytes: &[u8]) {
    let t = Instant::now();
    let mut ok = 0usize;
    let mut bad = 0usize;
    for r in Reader::new(bytes, &ReadOptions::default()).expect("readable") {
        match r {
            Ok(_) => ok += 1,
            Err(_) => bad += 1,
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "read  {name:5}: {ok} records ({bad} errors) from {:.1} MB in {:.3} s = {:.0} rows/s, {:.0} MB/s",
        bytes.len() as f64 / 1e6,
        s,
        ok as f64 / s,
        bytes.len() as f64 / 1e6 / s
    );
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);

    let t = Instant::now();
    let mut w = CsvWriter::new(Vec::new(), CsvOptions::default()).unwrap();
    for i in 0..n {
        w.write(&record(i)).unwrap();
    }
    let csv = w.finish().unwrap();
    println!("write csv  : {n} rows in {:.3} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut w = VcardWriter::new(Vec::new(), VcardVersion::V4);
    for i in 0..n {
        w.write(&record(i)).unwrap();
    }
    let vcf = w.finish().unwrap();
    println!("write vcf  : {n} cards in {:.3} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut w = XlsxWriter::new(&Column::ALL).unwrap();
    for i in 0..n {
        w.write(&record(i)).unwrap();
    }
    let mut xlsx = Cursor::new(Vec::new());
    w.finish(&mut xlsx).unwrap();
    let xlsx = xlsx.into_inner();
    println!("write xlsx : {n} rows in {:.3} s ({:.1} MB)", t.elapsed().as_secs_f64(), xlsx.len() as f64 / 1e6);

    let t = Instant::now();
    let mut w = JsonlWriter::new(Vec::new());
    for i in 0..n {
        w.write(&record(i)).unwrap();
    }
    let jsonl = w.finish().unwrap();
    println!("write jsonl: {n} rows in {:.3} s", t.elapsed().as_secs_f64());

    time_read("csv", &csv);
    time_read("vcf", &vcf);
    time_read("xlsx", &xlsx);
    time_read("jsonl", &jsonl);
}
