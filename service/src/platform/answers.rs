//! Recent answers of a read that many users repeat (a contact-list page, a search-box answer), kept
//! for a short lifetime so the same question asked again costs no database work.
//!
//! - Every write through this process bumps the generation ([`Answers::invalidate`], called by
//!   [`crate::Services::contacts_changed`]): every kept answer is stale at once, and an answer read
//!   while a write landed is not kept.
//! - The lifetime bounds how long another instance's write can stay unseen when several instances
//!   share one database.
//! - One request per key refills it: the others asking the same question meanwhile wait for that
//!   answer instead of all querying the database at once (a hot page expiring, a slow typo search
//!   asked by many).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Answers<V> {
    ttl: Duration,
    max: usize,
    generation: AtomicU64,
    kept: Mutex<HashMap<String, (u64, Instant, V)>>,
    /// One lock per key being refilled.
    refills: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl<V: Clone> Answers<V> {
    /// Answers kept for `ttl` (zero: nothing is kept, every call reads), at most `max` of them.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Answers {
            ttl,
            max: max.max(1),
            generation: AtomicU64::new(0),
            kept: Mutex::default(),
            refills: Mutex::default(),
        }
    }

    /// The kept answer to `key`, else the one `read` gives (kept for the next callers).
    pub async fn get_or_read<E, F, Fut>(&self, key: String, read: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return read().await;
        }
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let gate = self.gate(&key);
        let answer = {
            let _turn = gate.lock().await;
            match self.get(&key) {
                Some(v) => Ok(v),
                None => {
                    // Read the generation before the database: a write landing meanwhile makes it stale.
                    let generation = self.generation.load(Ordering::Acquire);
                    read().await.inspect(|v| self.put(key.clone(), generation, v))
                }
            }
        };
        self.release(&key, gate);
        answer
    }

    /// Drops every kept answer (a write changed what they show).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut kept) = self.kept.lock() {
            kept.clear();
        }
    }

    fn get(&self, key: &str) -> Option<V> {
        let generation = self.generation.load(Ordering::Acquire);
        let kept = self.kept.lock().ok()?;
        let (g, at, v) = kept.get(key)?;
        (*g == generation && at.elapsed() < self.ttl).then(|| v.clone())
    }

    fn put(&self, key: String, generation: u64, v: &V) {
        let Ok(mut kept) = self.kept.lock() else { return };
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if kept.len() >= self.max {
            let ttl = self.ttl;
            kept.retain(|_, (g, at, _)| *g == generation && at.elapsed() < ttl);
            if kept.len() >= self.max {
                kept.clear();
            }
        }
        kept.insert(key, (generation, Instant::now(), v.clone()));
    }

    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut refills = self.refills.lock().unwrap_or_else(|e| e.into_inner());
        refills.entry(key.to_string()).or_default().clone()
    }

    fn release(&self, key: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        let mut refills = self.refills.lock().unwrap_or_else(|e| e.into_inner());
        // The map's reference and ours: nobody else waits on this key.
        if Arc::strong_count(&gate) <= 2 {
            refills.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn one_read_for_many_askers_and_none_after_a_write() {
        let answers = Arc::new(Answers::<u32>::new(Duration::from_secs(60), 8));
        let reads = Arc::new(AtomicUsize::new(0));
        let ask = |answers: Arc<Answers<u32>>, reads: Arc<AtomicUsize>| async move {
            answers
                .get_or_read("q".into(), || async {
                    reads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ()>(7)
                })
                .await
        };
        let askers: Vec<_> = (0..16).map(|_| tokio::spawn(ask(answers.clone(), reads.clone()))).collect();
        for asker in askers {
            assert_eq!(asker.await.expect("asker"), Ok(7));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "16 askers at once, one read");
        answers.invalidate();
        assert_eq!(ask(answers.clone(), reads.clone()).await, Ok(7));
        assert_eq!(reads.load(Ordering::SeqCst), 2, "a write makes the next ask read again");
        assert!(answers.refills.lock().unwrap().is_empty(), "no gate is left behind");
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept_and_zero_ttl_keeps_nothing() {
        let answers = Answers::<u32>::new(Duration::from_secs(60), 8);
        assert_eq!(answers.get_or_read("q".into(), || async { Err::<u32, _>("down") }).await, Err("down"));
        assert_eq!(answers.get_or_read("q".into(), || async { Ok::<_, &str>(1) }).await, Ok(1));
        let off = Answers::<u32>::new(Duration::ZERO, 8);
        assert_eq!(off.get_or_read("q".into(), || async { Ok::<_, ()>(1) }).await, Ok(1));
        assert_eq!(off.get_or_read("q".into(), || async { Ok::<_, ()>(2) }).await, Ok(2));
    }
}
