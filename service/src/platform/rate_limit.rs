//! Fixed-window rate-limit counters: failed logins, registrations and the per-IP / per-user /
//! per-endpoint-class request limits of the HTTP middleware.
//!
//! With `REDIS_URL` the counters live in Redis (one atomic Lua script per call: read, compare,
//! `INCR`, `PEXPIRE`), so several app instances share them. Without Redis — or while Redis is
//! unreachable — they are counted in this process; a Redis outage never turns into a 500, it is
//! logged (at most every 30 s) and the in-process counters take over until Redis answers again.

use crate::{AppError, AppResult};
use fred::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Counts (unless blocked) and returns `{allowed (0|1), count, ms left in the window}`.
/// ARGV: max, window ms, count (1 = count this call, 0 = only check).
const ALLOW_SCRIPT: &str = r#"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local max = tonumber(ARGV[1])
if max > 0 and n >= max then
  return {0, n, redis.call('PTTL', KEYS[1])}
end
if ARGV[3] == '1' then
  n = redis.call('INCR', KEYS[1])
  if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  end
end
return {1, n, redis.call('PTTL', KEYS[1])}
"#;

/// Takes back one counted hit (never below zero), keeping the window's expiry.
const UNDO_SCRIPT: &str = r#"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then
  redis.call('DECR', KEYS[1])
end
return 1
"#;

/// In-process counters: key → (window start, window, hits).
#[derive(Default)]
struct Local {
    windows: Mutex<HashMap<String, (Instant, Duration, u32)>>,
}

impl Local {
    fn allow(&self, key: &str, max: u32, window: Duration, count: bool) -> Result<(), u64> {
        let Ok(mut map) = self.windows.lock() else { return Ok(()) };
        if map.len() > 100_000 {
            map.retain(|_, (start, w, _)| start.elapsed() < *w);
        }
        if let Some(&(start, w, n)) = map.get(key) {
            if start.elapsed() < w && max > 0 && n >= max {
                return Err(w.saturating_sub(start.elapsed()).as_secs().max(1));
            }
        }
        if count {
            let entry = map.entry(key.to_string()).or_insert((Instant::now(), window, 0));
            if entry.0.elapsed() >= entry.1 {
                *entry = (Instant::now(), window, 0);
            }
            entry.2 += 1;
        }
        Ok(())
    }

    fn reset(&self, key: &str) {
        if let Ok(mut map) = self.windows.lock() {
            map.remove(key);
        }
    }

    fn undo(&self, key: &str) {
        if let Ok(mut map) = self.windows.lock() {
            if let Some(entry) = map.get_mut(key) {
                entry.2 = entry.2.saturating_sub(1);
            }
        }
    }
}

struct Redis {
    client: Client,
    prefix: String,
}

/// Where the counters are kept, for the status page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    InProcess,
    Redis,
    /// Redis is configured but not answering: counting in-process meanwhile.
    RedisDown,
}

#[derive(Default)]
pub struct RateLimiter {
    local: Local,
    redis: Option<Redis>,
    /// Unix seconds of the last "Redis unreachable" warning (logged at most every 30 s).
    warned_at: AtomicU64,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// What went wrong with Redis: setting the client up ([`RateLimiter::redis`]) or asking it
/// ([`RateLimiter::redis_ping`]).
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("REDIS_URL is invalid: {0}")]
    Url(fred::error::Error),
    #[error("cannot set up the Redis client: {0}")]
    Client(fred::error::Error),
    #[error("not connected")]
    NotConnected,
    #[error("{0}")]
    Command(fred::error::Error),
}

impl RateLimiter {
    /// Counters shared through Redis at `url` (keys `<prefix><key>`). The connection is made in the
    /// background and re-made after an outage; until it is up the in-process counters are used.
    /// Fails only for a malformed URL.
    pub fn redis(url: &str, prefix: &str) -> Result<Self, RedisError> {
        let config = Config::from_url(url).map_err(RedisError::Url)?;
        let mut config = config;
        config.fail_fast = false;
        let client = Builder::from_config(config)
            .with_performance_config(|p| p.default_command_timeout = Duration::from_millis(500))
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(2);
                c.internal_command_timeout = Duration::from_secs(2);
                c.max_command_attempts = 1;
            })
            .set_policy(ReconnectPolicy::new_constant(0, 2_000))
            .build()
            .map_err(RedisError::Client)?;
        let _ = client.connect();
        Ok(RateLimiter {
            local: Local::default(),
            redis: Some(Redis { client, prefix: prefix.to_string() }),
            warned_at: AtomicU64::new(0),
        })
    }

    /// Waits up to `timeout` for the Redis connection (start-up and tests); true when connected.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let Some(r) = &self.redis else { return false };
        if r.client.is_connected() {
            return true;
        }
        tokio::time::timeout(timeout, r.client.wait_for_connect()).await.is_ok_and(|r| r.is_ok())
    }

    /// The Redis client, when Redis is configured and connected: other state shared between
    /// instances (the scans' result cache) uses the same connection.
    pub fn redis_client(&self) -> Option<&Client> {
        self.redis.as_ref().map(|r| &r.client).filter(|c| c.is_connected())
    }

    pub fn backend(&self) -> Backend {
        match &self.redis {
            None => Backend::InProcess,
            Some(r) if r.client.is_connected() => Backend::Redis,
            Some(_) => Backend::RedisDown,
        }
    }

    /// Round trip to Redis (status page): `None` without Redis, else whether it answered.
    pub async fn redis_ping(&self) -> Option<Result<(), RedisError>> {
        let r = self.redis.as_ref()?;
        if !r.client.is_connected() {
            return Some(Err(RedisError::NotConnected));
        }
        Some(
            r.client
                .eval::<i64, _, _, _>("return 1", Vec::<String>::new(), Vec::<String>::new())
                .await
                .map(|_| ())
                .map_err(RedisError::Command),
        )
    }

    fn warn(&self, why: &str) {
        let now = now_secs();
        let last = self.warned_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 30
            && self.warned_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::warn!(reason = why, "Redis is unreachable: rate limits are counted in this process meanwhile");
        }
    }

    /// One call of the script in Redis; `None` when Redis is not configured or failed.
    async fn redis_allow(&self, key: &str, max: u32, window: Duration, count: bool) -> Option<Result<(), u64>> {
        let r = self.redis.as_ref()?;
        if !r.client.is_connected() {
            self.warn("not connected");
            return None;
        }
        let window_ms = window.as_millis().max(1).to_string();
        let args = vec![max.to_string(), window_ms, if count { "1".into() } else { "0".into() }];
        match r.client.eval::<Vec<i64>, _, _, _>(ALLOW_SCRIPT, vec![format!("{}{key}", r.prefix)], args).await {
            Ok(v) if v.len() == 3 => {
                if v[0] == 1 {
                    Some(Ok(()))
                } else {
                    let ms = if v[2] > 0 { v[2] as u64 } else { window.as_millis() as u64 };
                    Some(Err(ms.div_ceil(1000).max(1)))
                }
            }
            Ok(v) => {
                self.warn(&format!("unexpected script answer {v:?}"));
                None
            }
            Err(e) => {
                self.warn(&e.to_string());
                None
            }
        }
    }

    async fn run(&self, key: &str, max: u32, window: Duration, count: bool) -> AppResult<()> {
        let outcome = match self.redis_allow(key, max, window, count).await {
            Some(o) => o,
            None => self.local.allow(key, max, window, count),
        };
        outcome.map_err(|retry_after| AppError::RateLimited { retry_after })
    }

    /// Fails with 429 when `key` has already been hit `max` times in its current window.
    pub async fn check(&self, key: &str, max: u32, window: Duration) -> AppResult<()> {
        self.run(key, max, window, false).await
    }

    /// Counts one hit against `key`.
    pub async fn hit(&self, key: &str, window: Duration) {
        let _ = self.run(key, 0, window, true).await;
    }

    /// Counts a hit and fails with 429 once `max` hits fall in the window (blocked calls are not counted).
    pub async fn allow(&self, key: &str, max: u32, window: Duration) -> AppResult<()> {
        self.run(key, max, window, true).await
    }

    /// Takes back one hit counted against `key` (an attempt that turned out to be legitimate).
    pub async fn undo(&self, key: &str) {
        if let Some(r) = &self.redis {
            if r.client.is_connected() {
                let keys = vec![format!("{}{key}", r.prefix)];
                if let Err(e) = r.client.eval::<i64, _, _, _>(UNDO_SCRIPT, keys, Vec::<String>::new()).await {
                    self.warn(&e.to_string());
                }
                return;
            }
        }
        self.local.undo(key);
    }

    pub async fn reset(&self, key: &str) {
        if let Some(r) = &self.redis {
            if r.client.is_connected() {
                if let Err(e) = r.client.del::<i64, _>(format!("{}{key}", r.prefix)).await {
                    self.warn(&e.to_string());
                }
            }
        }
        self.local.reset(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn blocks_after_max_hits_and_resets(l: &RateLimiter, tag: &str) {
        let w = Duration::from_secs(60);
        let k = format!("k-{tag}");
        for _ in 0..3 {
            l.allow(&k, 3, w).await.unwrap();
        }
        match l.allow(&k, 3, w).await {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(l.check(&k, 3, w).await.is_err());
        l.reset(&k).await;
        assert!(l.allow(&k, 3, w).await.is_ok());
        assert!(l.allow(&format!("other-{tag}"), 3, w).await.is_ok());
        // check() does not count; hit() does.
        let h = format!("h-{tag}");
        l.check(&h, 1, w).await.unwrap();
        l.check(&h, 1, w).await.unwrap();
        l.hit(&h, w).await;
        assert!(l.check(&h, 1, w).await.is_err());
        // undo() takes one hit back, never below zero.
        let u = format!("u-{tag}");
        l.allow(&u, 2, w).await.unwrap();
        l.allow(&u, 2, w).await.unwrap();
        assert!(l.check(&u, 2, w).await.is_err());
        l.undo(&u).await;
        assert!(l.check(&u, 2, w).await.is_ok());
        l.undo(&u).await;
        l.undo(&u).await;
        l.allow(&u, 2, w).await.unwrap();
        l.allow(&u, 2, w).await.unwrap();
        assert!(l.allow(&u, 2, w).await.is_err());
    }

    #[tokio::test]
    async fn in_process() {
        let l = RateLimiter::default();
        assert_eq!(l.backend(), Backend::InProcess);
        blocks_after_max_hits_and_resets(&l, "local").await;
    }

    #[tokio::test]
    async fn window_expires() {
        let l = RateLimiter::default();
        let w = Duration::from_millis(200);
        l.allow("e", 1, w).await.unwrap();
        assert!(l.allow("e", 1, w).await.is_err());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(l.allow("e", 1, w).await.is_ok());
    }

    #[tokio::test]
    async fn with_redis_when_configured() {
        let Ok(url) = std::env::var("TEST_REDIS_URL") else { return };
        let prefix = format!("cardcrm-test:{}:", rand::random::<u64>());
        let l = RateLimiter::redis(&url, &prefix).unwrap();
        assert!(l.wait_connected(Duration::from_secs(5)).await, "Redis at {url} did not answer");
        assert_eq!(l.backend(), Backend::Redis);
        blocks_after_max_hits_and_resets(&l, "redis").await;
        // A second limiter (another instance) sees the same counters.
        let other = RateLimiter::redis(&url, &prefix).unwrap();
        assert!(other.wait_connected(Duration::from_secs(5)).await);
        assert!(other.check("k-redis", 1, Duration::from_secs(60)).await.is_err());
    }

    #[tokio::test]
    async fn redis_down_falls_back_to_in_process() {
        // Nothing listens on port 1: the limiter still limits, in this process.
        let l = RateLimiter::redis("redis://127.0.0.1:1", "x:").unwrap();
        assert!(!l.wait_connected(Duration::from_millis(300)).await);
        assert_eq!(l.backend(), Backend::RedisDown);
        blocks_after_max_hits_and_resets(&l, "down").await;
    }
}
