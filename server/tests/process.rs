//! The `cardcrm` process itself: Tesseract's OpenMP threads are limited from the process's start
//! (`ocr::limit_openmp_threads`), which the OpenMP runtime only reads when it is loaded.
#![cfg(all(feature = "tesseract", target_os = "linux"))]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `NAME=value` entries of a running process's environment.
fn environment(pid: u32) -> Vec<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    bytes.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

fn arguments(pid: u32) -> Vec<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    bytes.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

fn omp_limit(pid: u32) -> Option<String> {
    environment(pid).into_iter().find_map(|e| e.strip_prefix("OMP_THREAD_LIMIT=").map(str::to_string))
}

/// `cardcrm create-admin` with no password in the environment: it waits for one on stdin, so the
/// process stays up to be looked at.
fn start(dir: &std::path::Path, omp: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cardcrm"));
    cmd.args(["create-admin", "--username", "omp", "--email", "omp@example.com"])
        .env("DATABASE_URL", format!("sqlite://{}/omp.db", dir.display()))
        .env("CARDCRM_DATA_DIR", dir)
        .env_remove("CARDCRM_ADMIN_PASSWORD")
        .env_remove("OMP_THREAD_LIMIT")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(v) = omp {
        cmd.env("OMP_THREAD_LIMIT", v);
    }
    cmd.spawn().expect("start cardcrm")
}

#[test]
fn cardcrm_runs_tesseract_on_one_thread_unless_told_otherwise() {
    let dir = std::env::temp_dir().join(format!("cardcrm-omp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    // Unset: the process executes itself again with the limit, same process, same arguments.
    let mut child = start(&dir, None);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    while omp_limit(pid).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (limit, args) = (omp_limit(pid), arguments(pid));
    child.kill().ok();
    child.wait().ok();
    assert_eq!(limit.as_deref(), Some("1"), "OMP_THREAD_LIMIT of the running cardcrm");
    assert_eq!(args[1..], ["create-admin", "--username", "omp", "--email", "omp@example.com"], "{args:?}");

    // Set by the user: kept as it is.
    let mut child = start(&dir, Some("3"));
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(500));
    let limit = omp_limit(pid);
    child.kill().ok();
    child.wait().ok();
    assert_eq!(limit.as_deref(), Some("3"));
    let _ = std::fs::remove_dir_all(&dir);
}
