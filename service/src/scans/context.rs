//! How much image work runs at once (turns), for how long, how many scans one person may queue,
//! and where the images and models are: [`ScanLimits`], [`ScanContext`].

use super::*;
use crate::platform::error::EnvError;

/// How much image work runs at once, for how long, and how many scans one user may queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// Image decodes and OCR runs at once in this process (`CARDCRM_SCAN_CONCURRENCY`; default the
    /// number of cores, at most 4). Upload checks and the worker's reads share these turns.
    pub concurrency: usize,
    /// The longest one scan may be read (`CARDCRM_SCAN_TIME_LIMIT`: seconds, or `500ms`, `90s`,
    /// `2m`; default 120 s). A scan over it fails with that reason.
    pub time_limit: Duration,
    /// Scans one user may have `queued` or `processing` (`CARDCRM_SCAN_QUEUE_PER_USER`; default 20).
    pub per_user_queue: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ScanLimits { concurrency: cores.clamp(1, 4), time_limit: Duration::from_secs(120), per_user_queue: 20 }
    }
}

/// A duration setting that cannot be used, and why (the messages name the value as written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("'{0}' is not a duration (e.g. 120, 500ms, 90s, 2m)")]
    NotADuration(String),
    #[error("unknown unit '{unit}' in '{value}' (use ms, s, m, h or d)")]
    UnknownUnit { unit: String, value: String },
    #[error("'{0}' must be more than zero")]
    Zero(String),
    #[error("must be at most {max_secs} s")]
    TooLong { max_secs: u64 },
}

/// `120` (seconds), `500ms`, `90s`, `2m`, `1h`.
pub fn parse_duration(v: &str) -> Result<Duration, DurationError> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num.parse().map_err(|_| DurationError::NotADuration(v.to_string()))?;
    let d = match unit.trim() {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86400)),
        other => return Err(DurationError::UnknownUnit { unit: other.to_string(), value: v.to_string() }),
    };
    if d.is_zero() {
        return Err(DurationError::Zero(v.to_string()));
    }
    Ok(d)
}

impl ScanLimits {
    /// The defaults, changed by `CARDCRM_SCAN_CONCURRENCY`, `CARDCRM_SCAN_TIME_LIMIT` and
    /// `CARDCRM_SCAN_QUEUE_PER_USER`; an invalid value is an error naming the variable.
    pub fn from_env() -> Result<ScanLimits, EnvError> {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut l = ScanLimits::default();
        if let Some(v) = var("CARDCRM_SCAN_CONCURRENCY") {
            l.concurrency = v.parse::<usize>().ok().filter(|n| (1..=256).contains(n)).ok_or_else(|| {
                EnvError::new("CARDCRM_SCAN_CONCURRENCY", format!("'{v}' is not a count from 1 to 256"))
            })?;
        }
        if let Some(v) = var("CARDCRM_SCAN_TIME_LIMIT") {
            l.time_limit = parse_duration(&v).map_err(|e| EnvError::new("CARDCRM_SCAN_TIME_LIMIT", e.to_string()))?;
        }
        if let Some(v) = var("CARDCRM_SCAN_QUEUE_PER_USER") {
            l.per_user_queue = v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                EnvError::new("CARDCRM_SCAN_QUEUE_PER_USER", format!("'{v}' is not a count of at least 1"))
            })?;
        }
        Ok(l)
    }

    /// [`ScanLimits::from_env`], with the defaults (and a warning) when a value is invalid.
    pub(super) fn from_env_or_default() -> ScanLimits {
        ScanLimits::from_env().unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default scan limits");
            ScanLimits::default()
        })
    }
}

/// Counts image work really running on the blocking pool, and the most seen at once.
#[derive(Default)]
struct Busy {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One unit of [`Busy`] work, counted until dropped.
struct BusyGuard<'a>(&'a Busy);

impl<'a> BusyGuard<'a> {
    pub(super) fn enter(busy: &'a Busy) -> Self {
        let now = busy.now.fetch_add(1, Ordering::SeqCst) + 1;
        busy.peak.fetch_max(now, Ordering::SeqCst);
        metrics::gauge!("scans_in_progress").set(now as f64);
        BusyGuard(busy)
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        let now = self.0.now.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
        metrics::gauge!("scans_in_progress").set(now as f64);
    }
}

/// What a loaded pipeline was built for.
type PipelineKey = (Vec<String>, Option<crate::scans::vision::VisionConfig>);

/// Where scans live on disk and the shared pieces of the job queue; one per process.
pub struct ScanContext {
    pub(super) data_dir: PathBuf,
    pub(super) models_dir: PathBuf,
    pub(super) wake: Notify,
    /// The loaded pipeline and the engine order and Google Vision configuration it was built for.
    pub(super) pipeline: Mutex<Option<(PipelineKey, Arc<ocr::Pipeline>)>>,
    pub(super) limits: ScanLimits,
    /// [`ScanLimits::concurrency`] turns for image work (fair: first come, first served).
    pub(super) turns: Arc<Semaphore>,
    busy: Busy,
    /// Counting a user's waiting scans and adding one happen one upload at a time (in this process).
    pub(super) queue_room: tokio::sync::Mutex<()>,
}

impl ScanContext {
    /// Limits from the environment (see [`ScanLimits::from_env`]).
    pub fn new(data_dir: impl Into<PathBuf>, models_dir: impl Into<PathBuf>) -> Self {
        let limits = ScanLimits::from_env_or_default();
        ScanContext {
            data_dir: data_dir.into(),
            models_dir: models_dir.into(),
            wake: Notify::new(),
            pipeline: Mutex::new(None),
            turns: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            limits,
            busy: Busy::default(),
            queue_room: tokio::sync::Mutex::new(()),
        }
    }

    /// The same folders with other limits.
    pub fn with_limits(mut self, limits: ScanLimits) -> Self {
        self.turns = Arc::new(Semaphore::new(limits.concurrency.max(1)));
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> &ScanLimits {
        &self.limits
    }

    /// Image decodes and OCR runs going on now in this process.
    pub fn in_progress(&self) -> usize {
        self.busy.now.load(Ordering::SeqCst)
    }

    /// The most image decodes and OCR runs seen at once in this process (never above
    /// [`ScanLimits::concurrency`]).
    pub fn peak_in_progress(&self) -> usize {
        self.busy.peak.load(Ordering::SeqCst)
    }

    /// Waits (in order of arrival) for a turn to do image work.
    pub(super) async fn turn(&self) -> AppResult<OwnedSemaphorePermit> {
        self.turns.clone().acquire_owned().await.map_err(|e| AppError::Internal(format!("scan turns closed: {e}")))
    }

    /// Runs `work` on the blocking pool holding `turn` until `work` returns, counted as in progress.
    pub(super) fn run_with_turn<T: Send + 'static>(
        self: &Arc<Self>,
        turn: OwnedSemaphorePermit,
        work: impl FnOnce(&ScanContext) -> T + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let _busy = BusyGuard::enter(&ctx.busy);
            work(&ctx)
        })
    }

    /// The data directory; images are under its `scans/` folder.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The OCR models folder.
    pub fn models_dir(&self) -> &std::path::Path {
        &self.models_dir
    }

    /// Whether the OCR pipeline has been loaded into memory (after the first scan).
    pub fn pipeline_loaded(&self) -> bool {
        self.pipeline.lock().map(|p| p.is_some()).unwrap_or(false)
    }

    pub(super) fn scans_dir(&self) -> PathBuf {
        self.data_dir.join("scans")
    }

    /// The OCR pipeline for an engine order (the `ocr_engine_order` setting; empty: the build's
    /// local order) and the Google Vision configuration (`None`: `google` is left out, see
    /// [`crate::scans::vision::pipeline`]), loaded on first use and shared until either changes (blocking:
    /// call off the runtime). A load failure (missing model) is not remembered, so fetching the
    /// models fixes it without a restart.
    pub(super) fn pipeline(
        &self,
        order: &[String],
        vision: Option<&crate::scans::vision::VisionConfig>,
    ) -> Result<Arc<ocr::Pipeline>, ocr::OcrError> {
        let mut slot = self.pipeline.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(((built_order, built_vision), p)) = slot.as_ref() {
            if built_order.as_slice() == order && built_vision.as_ref() == vision {
                return Ok(p.clone());
            }
        }
        let p = Arc::new(crate::scans::vision::pipeline(order, &self.models_dir, vision)?);
        *slot = Some(((order.to_vec(), vision.cloned()), p.clone()));
        Ok(p)
    }
}

impl Default for ScanContext {
    fn default() -> Self {
        ScanContext::new("./data", "./models")
    }
}

impl Services {
    /// Other scan limits than the environment's (tests; see [`ScanLimits`]). Kept by
    /// [`Services::with_scan_dirs`].
    pub fn with_scan_limits(mut self, limits: ScanLimits) -> Self {
        let ctx = ScanContext::new(self.scans.data_dir.clone(), self.scans.models_dir.clone()).with_limits(limits);
        self.scans = Arc::new(ctx);
        self
    }
}
