//! `cardcrm dedup pairs`: the library function on small inputs, and the binary's exit status.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const GOOD: &str = r#"{"id": 1, "cluster": 5, "first_name": "Anna", "last_name": "Petrova", "company": "Acme", "emails": ["anna@acme.com"], "phones": ["+79161234567"], "locale": "ru_RU"}
{"id": 2, "cluster": 5, "first_name": "Анна", "last_name": "Петрова", "company": "Acme", "emails": [], "phones": ["+7 916 123-45-67"]}

{"id": 3, "cluster": 6, "first_name": "Anna", "last_name": "Petrova", "company": "Globex", "emails": ["a.petrova@globex.com"], "phones": ["+74951112233"]}
"#;

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cardcrm-dedup-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write input");
    path
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

#[test]
fn pairs_function_finds_the_transliterated_duplicate_only() {
    let path = temp_file("good.jsonl", GOOD);
    let mut out = Vec::new();
    let stats = server::dedup_cli::pairs(&path, &mut out, &dedup::Settings::default()).expect("pairs");
    assert_eq!(stats.contacts, 3);
    let pairs = lines(&out);
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!(pairs[0]["a"], 1);
    assert_eq!(pairs[0]["b"], 2);
    assert!(pairs[0]["score"].as_f64().unwrap_or(0.0) > 0.55);
}

#[test]
fn pairs_function_on_generated_data() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dedup/tests/data/contacts_2k_seed7.jsonl");
    let mut out = Vec::new();
    let stats = server::dedup_cli::pairs(&path, &mut out, &dedup::Settings::default()).expect("pairs");
    assert_eq!(stats.contacts, 2000);
    let pairs = lines(&out);
    assert_eq!(pairs.len(), stats.pairs);
    assert!(pairs.len() > 100, "{} pairs", pairs.len());
    assert!(pairs.iter().all(|p| p["a"].as_i64() < p["b"].as_i64()));
}

#[test]
fn pairs_function_names_the_bad_line() {
    let path = temp_file("bad.jsonl", "{\"id\": 1, \"first_name\": \"Anna\"}\n{\"id\": 2, \"first_name\": \n");
    let err = server::dedup_cli::pairs(&path, Vec::new(), &dedup::Settings::default()).expect_err("bad line");
    assert!(err.contains("line 2"), "{err}");
    let err = server::dedup_cli::pairs(&temp_file("x", "").with_extension("missing"), Vec::new(), &Default::default())
        .expect_err("missing file");
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn binary_prints_pairs_and_fails_on_a_bad_line() {
    let exe = env!("CARGO_BIN_EXE_cardcrm");
    let good = temp_file("bin-good.jsonl", GOOD);
    let out = Command::new(exe).args(["dedup", "pairs", "--input"]).arg(&good).output().expect("run cardcrm");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pairs = lines(&out.stdout);
    assert_eq!(pairs.len(), 1);
    assert_eq!((pairs[0]["a"].as_i64(), pairs[0]["b"].as_i64()), (Some(1), Some(2)));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"contacts\":3"));

    let bad = temp_file("bin-bad.jsonl", &format!("{GOOD}not json\n"));
    let out = Command::new(exe).args(["dedup", "pairs", "--input"]).arg(&bad).output().expect("run cardcrm");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 5"), "{err}");
}
