//! A production configuration refuses insecure defaults at start-up, before it listens.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cardcrm serve` with `env` in production mode and returns (exit status, stderr), killing
/// it if it is still running after 20 s (it would be serving: the refusal did not happen).
fn serve_in_production(name: &str, env: &[(&str, &str)]) -> (Option<std::process::ExitStatus>, String) {
    let dir = std::env::temp_dir().join(format!("cardcrm-prod-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cardcrm"));
    cmd.arg("serve")
        .env("CARDCRM_ENV", "production")
        .env("DATABASE_URL", format!("sqlite://{}/prod.db", dir.display()))
        .env("CARDCRM_DATA_DIR", &dir)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env_remove("METRICS_TOKEN")
        .env_remove("JWT_SECRET")
        .env_remove("REDIS_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start cardcrm");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        e.read_to_string(&mut err).ok();
    }
    let _ = std::fs::remove_dir_all(&dir);
    (status, err)
}

#[test]
fn production_refuses_to_serve_metrics_to_anyone() {
    let secret = "a-production-secret-of-enough-length-0123456789";
    let (status, err) = serve_in_production("metrics", &[("JWT_SECRET", secret)]);
    let status = status.expect("cardcrm kept running without a METRICS_TOKEN in production");
    assert!(!status.success(), "{err}");
    assert!(err.contains("METRICS_TOKEN"), "the refusal names the setting: {err}");

    let (status, err) = serve_in_production("short", &[("JWT_SECRET", secret), ("METRICS_TOKEN", "short")]);
    assert!(!status.expect("kept running with a 5-character metrics token").success(), "{err}");
    assert!(err.contains("METRICS_TOKEN"), "{err}");
}

#[test]
fn production_refuses_to_start_without_a_signing_secret() {
    let (status, err) = serve_in_production("jwt", &[("METRICS_TOKEN", "a-metrics-token-of-enough-length")]);
    assert!(!status.expect("cardcrm kept running without JWT_SECRET in production").success(), "{err}");
    assert!(err.contains("JWT_SECRET"), "{err}");
}
