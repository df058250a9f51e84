//! Application services over SeaORM: accounts, contacts, tags and groups, audit, settings.
//! Every door (REST, Leptos server functions, bots) calls these; rules live here once.
//! Without the `server` feature only [`dto`] is compiled (for the browser).

pub mod admin_dto;
pub mod dav_dto;
pub mod dto;
pub mod import_dto;
pub mod integration_dto;

#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
pub use server::*;
