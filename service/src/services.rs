//! Who is acting ([`Actor`], [`Session`]) and what every service call is given ([`Services`]: the
//! database and the per-process caches and contexts of the domains).

use crate::accounts::auth;
use crate::contacts;
use crate::platform::{answers, rate_limit, settings};
use crate::scans;
use crate::search::{self, contact_index};
use crate::{AppError, AppResult};
use std::sync::Arc;

/// Who is acting: the signed-in user a door resolved from a token or cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
}

impl Actor {
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("administrators only".into()))
        }
    }
}

/// Everything a service call needs; cheap to clone (one per process, shared by all doors).
#[derive(Clone)]
pub struct Services {
    pub db: sea_orm::DatabaseConnection,
    pub auth: Arc<auth::AuthConfig>,
    pub limiter: Arc<rate_limit::RateLimiter>,
    pub(crate) users_cache: Arc<auth::UserCache>,
    pub(crate) counts: Arc<contacts::CountCache>,
    /// Contact-list pages (1 s, dropped by every write; see [`answers`]).
    pub(crate) lists: Arc<answers::Answers<crate::dto::Page<crate::dto::Contact>>>,
    /// Search-box answers (see [`search::answer_lifetime`]).
    pub(crate) searches: Arc<answers::Answers<Vec<crate::dto::SearchHit>>>,
    /// Turns for searches to read the database (see [`search::Turns`]).
    pub(crate) search_turns: Arc<search::Turns>,
    /// The embedded contact index the search box asks first (see [`contact_index`]); `None`:
    /// every search reads the database (tests, `CARDCRM_SEARCH_INDEX=off`, command-line tools).
    pub index: Option<Arc<contact_index::ContactIndex>>,
    /// The settings table in memory (see [`settings::SettingsCache`]).
    pub settings: Arc<settings::SettingsCache>,
    /// Scan storage folders, the OCR pipeline and the job wake-up (see [`scans`]).
    pub scans: Arc<scans::ScanContext>,
}

impl Services {
    pub fn new(db: sea_orm::DatabaseConnection, auth: auth::AuthConfig) -> Self {
        Services {
            search_turns: Arc::new(search::Turns::new(search::turns(&db))),
            db,
            auth: Arc::new(auth),
            limiter: Arc::new(rate_limit::RateLimiter::default()),
            users_cache: Arc::default(),
            counts: Arc::default(),
            lists: Arc::new(answers::Answers::new(std::time::Duration::from_secs(1), 512)),
            searches: Arc::new(answers::Answers::new(search::answer_lifetime(), 1024)),
            settings: Arc::default(),
            scans: Arc::default(),
            index: None,
        }
    }

    /// Searches of the search box ask `index` first (see [`contact_index`]).
    pub fn with_search_index(mut self, index: contact_index::ContactIndex) -> Self {
        self.index = Some(Arc::new(index));
        self
    }

    /// The same database and settings with an in-process user cache of its own, as another
    /// instance of the server has (for tests of what several instances see).
    pub fn fresh_caches(mut self) -> Self {
        self.users_cache = Arc::default();
        self
    }

    /// Call after any write that changes what a contact list shows (contacts, their phones,
    /// e-mails, tags, groups): drops the cached count, list pages and search-box answers.
    pub fn contacts_changed(&self) {
        self.counts.invalidate();
        self.lists.invalidate();
        self.searches.invalidate();
        if let Some(ix) = &self.index {
            ix.mark_dirty();
        }
    }

    /// At most `n` searches read the database at once (default: see `CARDCRM_SEARCH_CONCURRENCY`
    /// in the README); the others wait their turn in order.
    pub fn with_search_turns(mut self, n: usize) -> Self {
        self.search_turns = Arc::new(search::Turns::new(n));
        self
    }

    /// Where scan images are stored (`<data_dir>/scans`) and the OCR models are read from.
    pub fn with_scan_dirs(
        mut self,
        data_dir: impl Into<std::path::PathBuf>,
        models_dir: impl Into<std::path::PathBuf>,
    ) -> Self {
        let limits = self.scans.limits().clone();
        self.scans = Arc::new(scans::ScanContext::new(data_dir, models_dir).with_limits(limits));
        self
    }
}

/// What a door knows about the caller of the current request: the resolved user, or why not.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub actor: Option<Actor>,
    /// Why a presented token was refused (expired, tampered, inactive user…).
    pub error: Option<(u16, String)>,
}

impl Session {
    /// The signed-in user, or the 401/403 that explains why there is none.
    pub fn require(&self) -> AppResult<Actor> {
        if let Some(a) = &self.actor {
            return Ok(a.clone());
        }
        match &self.error {
            Some((403, msg)) => Err(AppError::Forbidden(msg.clone())),
            Some((_, msg)) => Err(AppError::Unauthorized(msg.clone())),
            None => Err(AppError::Unauthorized("sign in first".into())),
        }
    }
}
