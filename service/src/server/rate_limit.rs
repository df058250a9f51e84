//! In-process fixed-window counters, used to throttle failed logins and registrations.
//! (A Redis-backed limiter shared by several instances comes with the operations work.)

use crate::{AppError, AppResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, Duration, u32)>>,
}

impl RateLimiter {
    fn retry_after(start: Instant, window: Duration) -> u64 {
        window.saturating_sub(start.elapsed()).as_secs().max(1)
    }

    /// Fails with 429 when `key` has already been hit `max` times in its current window.
    pub fn check(&self, key: &str, max: u32, window: Duration) -> AppResult<()> {
        let Ok(map) = self.windows.lock() else { return Ok(()) };
        match map.get(key) {
            Some(&(start, w, n)) if start.elapsed() < w && n >= max => {
                Err(AppError::RateLimited { retry_after: Self::retry_after(start, window) })
            }
            _ => Ok(()),
        }
    }

    /// Counts one hit against `key`.
    pub fn hit(&self, key: &str, window: Duration) {
        let Ok(mut map) = self.windows.lock() else { return };
        if map.len() > 100_000 {
            map.retain(|_, (start, w, _)| start.elapsed() < *w);
        }
        let entry = map.entry(key.to_string()).or_insert((Instant::now(), window, 0));
        if entry.0.elapsed() >= entry.1 {
            *entry = (Instant::now(), window, 0);
        }
        entry.2 += 1;
    }

    /// Counts a hit and fails with 429 once more than `max` hits fall in the window.
    pub fn allow(&self, key: &str, max: u32, window: Duration) -> AppResult<()> {
        self.check(key, max, window)?;
        self.hit(key, window);
        Ok(())
    }

    pub fn reset(&self, key: &str) {
        if let Ok(mut map) = self.windows.lock() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_hits_and_resets() {
        let l = RateLimiter::default();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            l.allow("k", 3, w).unwrap();
        }
        match l.allow("k", 3, w) {
            Err(AppError::RateLimited { retry_after }) => assert!(retry_after >= 1 && retry_after <= 60),
            other => panic!("expected 429, got {other:?}"),
        }
        l.reset("k");
        assert!(l.allow("k", 3, w).is_ok());
        assert!(l.allow("other", 3, w).is_ok());
    }
}
