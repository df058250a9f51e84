//! SeaORM entities: one module per table. Relations are resolved by explicit queries in `service`,
//! so only the columns live here.

pub mod app_password;
pub mod audit_log;
pub mod card_scan;
pub mod contact;
pub mod contact_email;
pub mod contact_group;
pub mod contact_group_member;
pub mod contact_key;
pub mod contact_merge;
pub mod contact_phone;
pub mod contact_photo;
pub mod contact_tag;
pub mod duplicate_pair;
pub mod duplicate_scan;
pub mod import;
pub mod import_row;
pub mod maintenance_run;
pub mod ocr_correction;
pub mod refresh_token;
pub mod setting;
pub mod tag;
pub mod user;
pub mod user_pref;
