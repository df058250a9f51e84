//! Application services over SeaORM: every rule of cardcrm, once for every door (REST, Leptos
//! server functions, CardDAV, bots). Without the `server` feature only the DTO modules are compiled
//! (for the browser).
//!
//! One module per domain; a domain uses only the domains below it (never one beside or above):
//!
//! ```text
//!   admin         the admin pages and status, maintenance            may use everything below
//!   integrations  Telegram and WhatsApp: link codes, updates, chat replies, setting checks
//!   scans         card scans, OCR engines and their order, corrections │ transfer  import, export,
//!                                                                      │           CardDAV
//!   duplicates    reviewing pairs, whole-CRM scans, merges
//!   contacts      contacts, tags, groups, photos, the matcher's keys and pairs a write keeps
//!   search        the search box: database search, its vocabulary, the embedded index
//!   accounts      users, sign-in, app passwords, per-user preferences
//!   platform      database, errors, background tasks, caches, text, rate limits, outbound HTTP
//!                 rule, and the shared stores: audit log, settings, integration settings
//! ```
//!
//! `scans` and `transfer` sit side by side: neither uses the other. What two domains both
//! need lives in the lower one (or in `platform`). [`Services`], [`Actor`] and [`Session`]
//! (`services.rs`) hold every domain's state and are the exception. `layering.rs` checks the rule
//! on the sources (`cargo test -p service layering`).

pub mod admin_dto;
pub mod dav_dto;
pub mod dto;
pub mod import_dto;
pub mod integration_dto;

#[cfg(feature = "server")]
pub mod accounts;
#[cfg(feature = "server")]
pub mod admin;
#[cfg(feature = "server")]
pub mod contacts;
#[cfg(feature = "server")]
pub mod duplicates;
#[cfg(feature = "server")]
pub mod integrations;
#[cfg(feature = "server")]
pub mod platform;
#[cfg(feature = "server")]
pub mod scans;
#[cfg(feature = "server")]
pub mod search;
#[cfg(feature = "server")]
mod services;
#[cfg(feature = "server")]
pub mod transfer;

#[cfg(feature = "server")]
pub use platform::error::{AppError, AppResult};
#[cfg(feature = "server")]
pub use services::{Actor, Services, Session};

#[cfg(all(test, feature = "server"))]
mod layering;
