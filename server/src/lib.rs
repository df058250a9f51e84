//! The cardcrm HTTP server: configuration, the axum router (UI, `/api/v1`, `/metrics`,
//! `/health`), and the middleware around them. The binary in `main.rs` is its command line.
// The Leptos view types of the bigger pages (scan editor, merge view) nest deeper than the
// default limit of 128 when the whole app is monomorphised in this crate.
#![recursion_limit = "256"]

pub mod api;
pub mod assets;
pub mod config;
pub mod dav;
pub mod dedup_cli;
pub mod demo;
pub mod http;
pub mod limits;
pub mod metrics_catalog;
pub mod state;
pub mod web;
pub mod webhooks;
