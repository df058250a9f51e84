//! What every domain stands on: the database, errors, background tasks, caches, text helpers,
//! rate limits, and the two shared tables every domain writes (the audit log, the settings).

pub mod answers;
pub mod audit;
pub mod background;
pub mod db;
pub mod error;
pub mod integration_config;
pub mod outbound;
pub mod rate_limit;
pub mod settings;
pub mod text;
