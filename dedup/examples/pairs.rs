//! `cardcrm dedup pairs` in miniature: contacts JSON lines in, one JSON line per duplicate pair out.
//!
//!     cargo run --release --example pairs -- contacts.jsonl > pairs.jsonl
//!
//! Timings and blocking statistics go to stderr.
use std::io::BufReader;

fn main() {
    let path = std::env::args().nth(1).expect("usage: pairs contacts.jsonl");
    let f = std::fs::File::open(&path).expect("open input");
    let stdout = std::io::stdout();
    match dedup::run_pairs_jsonl(BufReader::with_capacity(1 << 20, f), stdout.lock(), &dedup::Settings::default()) {
        Ok(stats) => eprintln!("{}", serde_json::to_string(&stats).unwrap()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
