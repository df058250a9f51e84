//! App passwords: what a CardDAV client (a phone, Thunderbird, vdirsyncer) signs in with, using
//! HTTP Basic with the cardcrm username. The account password never works there: a phone keeps
//! its password in its settings for years, so each device gets its own secret that can be revoked
//! on its own from the profile page without touching the account password.
//!
//! A password is 32 random bytes (256 bits) shown once as 52 base32 letters in groups of four.
//! Only its SHA-256 is stored. A slow hash (argon2, as for account passwords) exists to make
//! guessing a *human-chosen* password expensive; a 256-bit random secret cannot be guessed, so
//! one SHA-256 per request is enough and keeps every CardDAV request cheap (a sync makes dozens).
//! The stored hash is found by its unique index and then compared again in constant time.
//!
//! Failed sign-ins are throttled as the login is ([`crate::accounts::auth::login`]): each attempt is counted
//! per (name, address) and per address *before* the password is checked, so parallel guesses
//! cannot all be checked; a success gives both counts their attempt back. The limits are higher
//! than the login's because a CardDAV client sends its credentials with every request, several at
//! once, and a wrong password on a phone otherwise locks its owner out for minutes.

use crate::dav_dto::{AppPassword, NewAppPassword, APP_PASSWORDS_PER_USER, APP_PASSWORD_NAME_MAX};
use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::{Duration as ChronoDuration, Utc};
use entity::{app_password, user};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// CardDAV sign-in attempts allowed per (login name, address) and per address in [`DAV_WINDOW`].
pub const DAV_ATTEMPTS_PER_NAME_AND_ADDRESS: u32 = 20;
pub const DAV_ATTEMPTS_PER_ADDRESS: u32 = 60;
pub const DAV_WINDOW: Duration = Duration::from_secs(300);

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// 32 random bytes as base32 (lower case, no padding), grouped by four with `-` for typing.
fn new_secret() -> String {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut letters = String::with_capacity(52);
    for b in raw {
        bits = (bits << 8) | u32::from(b);
        n += 8;
        while n >= 5 {
            n -= 5;
            letters.push(BASE32[((bits >> n) & 31) as usize] as char);
        }
    }
    if n > 0 {
        letters.push(BASE32[((bits << (5 - n)) & 31) as usize] as char);
    }
    letters.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The stored form of a presented password: separators and case do not matter (people type it
/// on a phone), then SHA-256 in hex.
fn hash(password: &str) -> String {
    let canonical: String = password.chars().filter(|c| !matches!(c, '-' | ' ')).flat_map(char::to_lowercase).collect();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn to_dto(m: &app_password::Model) -> AppPassword {
    AppPassword { id: m.id, name: m.name.clone(), created_at: m.created_at, last_used_at: m.last_used_at }
}

/// Creates an app password for the acting user; the answer is the only time it is shown.
pub async fn create(svc: &Services, actor: &Actor, name: &str) -> AppResult<NewAppPassword> {
    // U+FEFF counts as space as well (JSON Schema's `\s` does, and the API document says so).
    let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if name.is_empty() {
        return Err(AppError::validation("name", "must not be empty"));
    }
    if name.chars().count() > APP_PASSWORD_NAME_MAX {
        return Err(AppError::validation("name", format!("must be at most {APP_PASSWORD_NAME_MAX} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::validation("name", "must not contain control characters"));
    }
    let held = app_password::Entity::find()
        .filter(app_password::Column::UserId.eq(actor.user_id))
        .filter(app_password::Column::RevokedAt.is_null())
        .count(&svc.db)
        .await?;
    if held >= APP_PASSWORDS_PER_USER {
        return Err(AppError::validation(
            "name",
            format!("you already have {APP_PASSWORDS_PER_USER} app passwords; revoke one first"),
        ));
    }
    let password = new_secret();
    let row = app_password::ActiveModel {
        user_id: Set(actor.user_id),
        name: Set(name.to_string()),
        token_hash: Set(hash(&password)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&svc.db)
    .await?;
    audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        "app_password",
        "create",
        json!({"id": row.id, "name": row.name}),
    )
    .await?;
    Ok(NewAppPassword { id: row.id, name: row.name, password })
}

/// The acting user's app passwords that still work, newest first (never the passwords).
pub async fn list(svc: &Services, actor: &Actor) -> AppResult<Vec<AppPassword>> {
    let rows = app_password::Entity::find()
        .filter(app_password::Column::UserId.eq(actor.user_id))
        .filter(app_password::Column::RevokedAt.is_null())
        .order_by_desc(app_password::Column::Id)
        .all(&svc.db)
        .await?;
    Ok(rows.iter().map(to_dto).collect())
}

/// Revokes one of the acting user's app passwords; it stops working with the next request.
/// Another user's (or an unknown, or an already revoked) id is 404.
pub async fn revoke(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let done = app_password::Entity::update_many()
        .col_expr(app_password::Column::RevokedAt, Expr::value(Some(Utc::now())))
        .filter(app_password::Column::Id.eq(id))
        .filter(app_password::Column::UserId.eq(actor.user_id))
        .filter(app_password::Column::RevokedAt.is_null())
        .exec(&svc.db)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::not_found("app password"));
    }
    audit::record(&svc.db, Some(actor.user_id), None, "app_password", "revoke", json!({"id": id})).await?;
    Ok(())
}

/// Resolves HTTP Basic credentials for CardDAV: `username` (the cardcrm username, or the e-mail
/// address) and an app password of that user that is not revoked, for an active account.
/// Anything else is 401 (429 once throttled); the account password is never accepted.
pub async fn authenticate(svc: &Services, username: &str, password: &str, ip: &str) -> AppResult<Actor> {
    let refused = || AppError::Unauthorized("wrong username or app password".into());
    if username.chars().count() > crate::accounts::auth::MAX_LOGIN_NAME
        || password.len() > crate::accounts::auth::MAX_LOGIN_PASSWORD
    {
        return Err(refused());
    }
    let address = crate::accounts::auth::throttle_address(ip);
    let name = username.trim().to_lowercase();
    let name_key = format!("dav-name:{}@{address}", hex::encode(Sha256::digest(name.as_bytes())));
    let ip_key = format!("dav-ip:{address}");
    svc.limiter.allow(&ip_key, DAV_ATTEMPTS_PER_ADDRESS, DAV_WINDOW).await?;
    svc.limiter.allow(&name_key, DAV_ATTEMPTS_PER_NAME_AND_ADDRESS, DAV_WINDOW).await?;
    let presented = hash(password);
    let found = app_password::Entity::find()
        .filter(app_password::Column::TokenHash.eq(presented.clone()))
        .filter(app_password::Column::RevokedAt.is_null())
        .one(&svc.db)
        .await?;
    let owner = match &found {
        Some(p) => user::Entity::find_by_id(p.user_id).one(&svc.db).await?,
        None => None,
    };
    let matches = match (&found, &owner) {
        (Some(p), Some(u)) => {
            let same_hash: bool = p.token_hash.as_bytes().ct_eq(presented.as_bytes()).into();
            let same_user = u.username == name || u.email == name;
            same_hash && same_user
        }
        _ => false,
    };
    let (Some(pw), Some(u), true) = (found, owner, matches) else {
        metrics::counter!("auth_attempts_total", "outcome" => "failure").increment(1);
        return Err(refused());
    };
    svc.limiter.undo(&name_key).await;
    svc.limiter.undo(&ip_key).await;
    if !u.is_active {
        // A deactivated user's app passwords stop working at once (the row is read on every request).
        return Err(AppError::Forbidden("this account is not active".into()));
    }
    // The last use, to the minute: one write a minute per password, not one per request.
    let now = Utc::now();
    if pw.last_used_at.is_none_or(|t| now - t > ChronoDuration::minutes(1)) {
        app_password::Entity::update_many()
            .col_expr(app_password::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(app_password::Column::Id.eq(pw.id))
            .exec(&svc.db)
            .await?;
    }
    Ok(Actor { user_id: u.id, username: u.username, is_admin: u.is_admin })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bits_and_typing_forgiving() {
        let s = new_secret();
        let letters: String = s.chars().filter(|c| *c != '-').collect();
        assert_eq!(letters.len(), 52);
        assert!(letters.bytes().all(|b| BASE32.contains(&b)));
        assert_ne!(s, new_secret());
        assert_eq!(hash(&s), hash(&s.to_uppercase().replace('-', " ")));
        assert_eq!(hash(&s), hash(&letters));
    }
}
