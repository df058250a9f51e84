//! The cardcrm HTTP server: configuration, the axum router (UI, `/api/v1`, `/metrics`,
//! `/health`), and the middleware around them. The binary in `main.rs` is its command line.

pub mod api;
pub mod config;
pub mod dedup_cli;
pub mod http;
pub mod limits;
pub mod state;
pub mod web;
pub mod webhooks;
