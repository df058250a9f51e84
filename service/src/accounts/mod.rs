//! Users, sign-in and sessions, CardDAV app passwords, per-user preferences.

pub mod app_passwords;
pub mod auth;
pub mod prefs;
