//! Prints what the reader makes of a file: `cargo run -p interchange --example dump -- FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let bytes = std::fs::read(&path).expect("read");
    let opts = interchange::ReadOptions { file_name: Some(path.clone()), ..Default::default() };
    match interchange::read(&bytes, &opts) {
        Ok(p) => {
            println!("format {:?} encoding {:?}", p.format, p.encoding);
            if let Some(m) = &p.mapping {
                let h = p.headers.clone().unwrap_or_default();
                for (h, f) in h.iter().zip(&m.columns) {
                    println!("  {h:?} -> {f}");
                }
            }
            for r in &p.records {
                let mut r = r.clone();
                if let Some(ph) = &mut r.photo {
                    ph.bytes.truncate(8);
                }
                println!("{}", serde_json::to_string(&r).unwrap());
            }
            for e in &p.errors {
                println!("ERROR {e}");
            }
        }
        Err(e) => println!("FILE ERROR: {e}"),
    }
}
