//! Application services over SeaORM: accounts, contacts, tags and groups, audit, settings.
//! Every door (REST, Leptos server functions, bots) calls these; rules live here once.
//! Without the `server` feature only the DTO modules are compiled (for the browser).

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
