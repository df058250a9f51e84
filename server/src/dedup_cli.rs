//! `cardcrm dedup …`: batch duplicate detection from the command line, without a database.
//!
//! `cardcrm dedup pairs --input contacts.jsonl` reads contacts in the JSON-lines shape of
//! `gen_contacts.py` (unknown fields such as `cluster` ignored) and prints one line per duplicate
//! pair, `{"a": id, "b": id, "score": s}` with `a < b`, through [`dedup::run_pairs_jsonl`].
//! Run statistics go to standard error; a malformed line is an error naming its line number.
//!
//! `cardcrm dedup scan` runs the full duplicate scan on the database ([`scan`]).

use std::io::{BufReader, Write};
use std::path::Path;

/// Reads `input` (a file path, or `-` for standard input) and writes the pairs to `out`.
/// Returns the run statistics; errors are human-readable (`line 3: …`, `cannot open …`).
pub fn pairs(input: &Path, out: impl Write, settings: &dedup::Settings) -> Result<dedup::Stats, String> {
    let result = if input.as_os_str() == "-" {
        let stdin = std::io::stdin();
        dedup::run_pairs_jsonl(BufReader::with_capacity(1 << 20, stdin.lock()), out, settings)
    } else {
        let file = std::fs::File::open(input).map_err(|e| format!("cannot open {}: {e}", input.display()))?;
        dedup::run_pairs_jsonl(BufReader::with_capacity(1 << 20, file), out, settings)
    };
    result.map_err(|e| match e {
        dedup::DedupError::Parse { line, message } => format!("{}: line {line}: {message}", input.display()),
        other => other.to_string(),
    })
}

/// Matching settings from a JSON file (every field optional), else the defaults.
pub fn settings(path: Option<&Path>) -> Result<dedup::Settings, String> {
    let Some(path) = path else { return Ok(dedup::Settings::default()) };
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `cardcrm dedup scan`: the full duplicate scan of the API's `POST /api/v1/duplicates/scan`,
/// run in the foreground on the configured database (keys backfilled for contacts that have
/// none, new pairs recorded, stored pairs keep their status). Progress goes to standard error
/// every second; the finished scan is returned.
pub async fn scan(svc: &service::Services) -> Result<service::dto::DuplicateScan, String> {
    let id = service::duplicates::duplicate_scans::create_job(svc, None).await.map_err(|e| e.to_string())?;
    let watcher = {
        let svc = svc.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                if let Ok(s) = service::duplicates::duplicate_scans::by_id(&svc, id).await {
                    eprintln!("scan {id}: {} {}/{} ({:.0}%)", s.phase, s.done, s.total, s.progress * 100.0);
                }
            }
        })
    };
    let result = service::duplicates::duplicate_scans::run(svc, id).await;
    watcher.abort();
    result.map_err(|e| e.to_string())
}
