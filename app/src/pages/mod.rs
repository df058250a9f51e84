//! One module per screen.

pub mod admin;
pub mod auth;
pub mod contact;
pub mod contacts;
pub mod duplicates;
pub mod imports;
pub mod labels;
pub mod merge;
pub mod profile;
pub mod scan;
