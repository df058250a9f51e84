//! Accounts: argon2id passwords, short-lived JWT access tokens, rotating refresh tokens,
//! activation by an administrator, and login throttling.

use crate::dto::{self, LoginInput, RegisterInput, TokenPair, UserPatch};
use crate::{Actor, AppError, AppResult, Services};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{Duration as ChronoDuration, Utc};
use entity::{refresh_token, user};
use jsonwebtoken::{decode, encode, Algorithm as JwtAlg, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Signing key and lifetimes. The secret never has a default: the server reads it from
/// `JWT_SECRET` or, for the embedded set-up, from a generated file.
pub struct AuthConfig {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: ChronoDuration,
    pub refresh_ttl: ChronoDuration,
    /// argon2 cost (memory KiB, iterations); lowered only by tests.
    pub argon2_cost: (u32, u32),
}

impl AuthConfig {
    pub fn new(secret: &[u8]) -> Self {
        AuthConfig {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl: ChronoDuration::minutes(30),
            refresh_ttl: ChronoDuration::days(14),
            argon2_cost: (19 * 1024, 2),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.argon2_cost.0, self.argon2_cost.1, 1, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    name: String,
    typ: String,
    iat: i64,
    exp: i64,
}

/// A short in-process memory of whether a user is active and admin, so that every request need
/// not hit the database, while deactivation or a role change takes effect within seconds.
#[derive(Default)]
pub struct UserCache {
    entries: Mutex<HashMap<i64, (Instant, Option<(String, bool, bool)>)>>,
}

const USER_CACHE_TTL: Duration = Duration::from_secs(5);

impl UserCache {
    fn get(&self, id: i64) -> Option<Option<(String, bool, bool)>> {
        let map = self.entries.lock().ok()?;
        map.get(&id).filter(|(at, _)| at.elapsed() < USER_CACHE_TTL).map(|(_, v)| v.clone())
    }
    fn put(&self, id: i64, v: Option<(String, bool, bool)>) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(id, (Instant::now(), v));
        }
    }
    pub(crate) fn forget(&self, id: i64) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&id);
        }
    }
}

pub fn to_dto(u: &user::Model) -> dto::User {
    dto::User {
        id: u.id,
        username: u.username.clone(),
        email: u.email.clone(),
        is_active: u.is_active,
        is_admin: u.is_admin,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn validate_username(username: &str) -> AppResult<String> {
    let u = username.trim().to_lowercase();
    if u.len() < 3 || u.len() > 40 {
        return Err(AppError::validation("username", "must be 3 to 40 characters"));
    }
    if !u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(AppError::validation("username", "may contain only letters, digits, '.', '_' and '-'"));
    }
    Ok(u)
}

fn validate_password(password: &str, username: &str) -> AppResult<()> {
    if password.chars().count() < 10 {
        return Err(AppError::validation("password", "must be at least 10 characters"));
    }
    if password.len() > 256 {
        return Err(AppError::validation("password", "must be at most 256 bytes"));
    }
    if password.to_lowercase().contains(username) {
        return Err(AppError::validation("password", "must not contain the username"));
    }
    Ok(())
}

/// Hashes a password with argon2id on a blocking thread (it is deliberately slow).
pub async fn hash_password(svc: &Services, password: &str) -> AppResult<String> {
    let argon = svc.auth.argon2();
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon.hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))
}

async fn verify_password(svc: &Services, password: &str, hash: Option<String>) -> bool {
    let argon = svc.auth.argon2();
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        // Without a user, verify against a fixed hash anyway so the answer takes as long.
        let hash = hash.unwrap_or_else(|| {
            let salt = SaltString::encode_b64(b"cardcrm-no-user!").unwrap_or_else(|_| SaltString::generate(&mut OsRng));
            argon.hash_password(b"no such user", &salt).map(|h| h.to_string()).unwrap_or_default()
        });
        match PasswordHash::new(&hash) {
            Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

async fn find_by_login(svc: &Services, login: &str) -> AppResult<Option<user::Model>> {
    let key = login.trim().to_lowercase();
    Ok(user::Entity::find()
        .filter(if key.contains('@') { user::Column::Email.eq(key) } else { user::Column::Username.eq(key) })
        .one(&svc.db)
        .await?)
}

async fn insert_user(svc: &Services, input: &RegisterInput, active: bool, admin: bool) -> AppResult<user::Model> {
    let username = validate_username(&input.username)?;
    let email = input.email.trim().to_lowercase();
    if !crate::text::is_email(&email) {
        return Err(AppError::validation("email", "is not a valid e-mail address"));
    }
    validate_password(&input.password, &username)?;
    if user::Entity::find()
        .filter(user::Column::Username.eq(username.clone()).or(user::Column::Email.eq(email.clone())))
        .one(&svc.db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict("username or e-mail is already registered".into()));
    }
    let hash = hash_password(svc, &input.password).await?;
    let now = Utc::now();
    let model = user::ActiveModel {
        username: Set(username),
        email: Set(email),
        password_hash: Set(hash),
        is_active: Set(active),
        is_admin: Set(admin),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(&svc.db)
    .await?;
    Ok(model)
}

/// Self-registration: the account stays inactive until an administrator activates it.
pub async fn register(svc: &Services, input: &RegisterInput) -> AppResult<dto::User> {
    let u = insert_user(svc, input, false, false).await?;
    crate::audit::record(&svc.db, Some(u.id), None, "user", "register", serde_json::json!({"username": u.username}))
        .await?;
    Ok(to_dto(&u))
}

/// Creates an active administrator (the `create-admin` command), or promotes and re-passwords
/// an existing account of that name.
pub async fn create_admin(svc: &Services, input: &RegisterInput) -> AppResult<dto::User> {
    let username = validate_username(&input.username)?;
    if let Some(existing) =
        user::Entity::find().filter(user::Column::Username.eq(username.clone())).one(&svc.db).await?
    {
        validate_password(&input.password, &username)?;
        let hash = hash_password(svc, &input.password).await?;
        let mut am: user::ActiveModel = existing.into();
        am.password_hash = Set(hash);
        am.is_admin = Set(true);
        am.is_active = Set(true);
        am.updated_at = Set(Utc::now());
        let u = am.update(&svc.db).await?;
        svc.users_cache.forget(u.id);
        return Ok(to_dto(&u));
    }
    let u = insert_user(svc, input, true, true).await?;
    crate::audit::record(
        &svc.db,
        Some(u.id),
        None,
        "user",
        "create_admin",
        serde_json::json!({"username": u.username}),
    )
    .await?;
    Ok(to_dto(&u))
}

/// Checks a password and issues tokens. Failures are throttled per IP and per login name.
pub async fn login(svc: &Services, input: &LoginInput, ip: &str) -> AppResult<TokenPair> {
    let name_key = format!("login-user:{}", input.username.trim().to_lowercase());
    let ip_key = format!("login-ip:{ip}");
    svc.limiter.check(&name_key, 5, Duration::from_secs(300)).await?;
    svc.limiter.check(&ip_key, 20, Duration::from_secs(300)).await?;
    let found = find_by_login(svc, &input.username).await?;
    let ok = verify_password(svc, &input.password, found.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match (found, ok) {
        (Some(u), true) => u,
        _ => {
            svc.limiter.hit(&name_key, Duration::from_secs(300)).await;
            svc.limiter.hit(&ip_key, Duration::from_secs(300)).await;
            metrics::counter!("auth_attempts_total", "outcome" => "failure").increment(1);
            return Err(AppError::Unauthorized("wrong username or password".into()));
        }
    };
    if !user.is_active {
        metrics::counter!("auth_attempts_total", "outcome" => "inactive").increment(1);
        return Err(AppError::Forbidden("this account is not active yet; an administrator must activate it".into()));
    }
    svc.limiter.reset(&name_key).await;
    metrics::counter!("auth_attempts_total", "outcome" => "success").increment(1);
    let mut am: user::ActiveModel = user.clone().into();
    am.last_login_at = Set(Some(Utc::now()));
    am.update(&svc.db).await?;
    issue_tokens(svc, &user, None).await
}

async fn issue_tokens(svc: &Services, user: &user::Model, family: Option<String>) -> AppResult<TokenPair> {
    let now = Utc::now();
    let claims = Claims {
        sub: user.id.to_string(),
        name: user.username.clone(),
        typ: "access".into(),
        iat: now.timestamp(),
        exp: (now + svc.auth.access_ttl).timestamp(),
    };
    let access = encode(&Header::new(JwtAlg::HS256), &claims, &svc.auth.encoding)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let refresh = hex::encode(raw);
    refresh_token::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(sha256_hex(&refresh)),
        family: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        expires_at: Set(now + svc.auth.refresh_ttl),
        revoked_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&svc.db)
    .await?;
    Ok(TokenPair {
        access_token: access,
        token_type: "bearer".into(),
        expires_in: svc.auth.access_ttl.num_seconds(),
        refresh_token: refresh,
    })
}

/// Exchanges a refresh token for a new pair. The old token is revoked; presenting a revoked
/// token again (a stolen copy) revokes its whole family.
pub async fn refresh(svc: &Services, token: &str) -> AppResult<TokenPair> {
    let invalid = || AppError::Unauthorized("invalid or expired refresh token".into());
    let txn = svc.db.begin().await?;
    let Some(row) =
        refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(sha256_hex(token))).one(&txn).await?
    else {
        return Err(invalid());
    };
    let now = Utc::now();
    if let Some(revoked) = row.revoked_at {
        // Two requests racing to rotate the same token (parallel page loads) are not theft.
        if now - revoked < ChronoDuration::seconds(30) {
            return Err(invalid());
        }
        revoke_family(&txn, &row.family).await?;
        txn.commit().await?;
        tracing::warn!(user_id = row.user_id, "refresh token reuse detected; family revoked");
        return Err(invalid());
    }
    if row.expires_at < now {
        return Err(invalid());
    }
    let user = user::Entity::find_by_id(row.user_id).one(&txn).await?.ok_or_else(invalid)?;
    if !user.is_active {
        return Err(AppError::Forbidden("this account is not active".into()));
    }
    let family = row.family.clone();
    let mut am: refresh_token::ActiveModel = row.into();
    am.revoked_at = Set(Some(now));
    am.update(&txn).await?;
    txn.commit().await?;
    issue_tokens(svc, &user, Some(family)).await
}

async fn revoke_family<C: sea_orm::ConnectionTrait>(db: &C, family: &str) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_token::Column::Family.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes the refresh token's family. Unknown tokens are ignored (logout is idempotent).
pub async fn logout(svc: &Services, token: &str) -> AppResult<()> {
    if let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(sha256_hex(token)))
        .one(&svc.db)
        .await?
    {
        revoke_family(&svc.db, &row.family).await?;
    }
    Ok(())
}

/// Resolves an access token to the acting user. Rejects expired, tampered, `alg: none` and
/// refresh-typed tokens, and users that are no longer active.
pub async fn authenticate(svc: &Services, token: &str) -> AppResult<Actor> {
    let unauthorized = || AppError::Unauthorized("invalid or expired token".into());
    let mut validation = Validation::new(JwtAlg::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(token, &svc.auth.decoding, &validation).map_err(|_| unauthorized())?;
    if data.claims.typ != "access" {
        return Err(unauthorized());
    }
    let id: i64 = data.claims.sub.parse().map_err(|_| unauthorized())?;
    let state = match svc.users_cache.get(id) {
        Some(s) => s,
        None => {
            let s = user::Entity::find_by_id(id).one(&svc.db).await?.map(|u| (u.username, u.is_active, u.is_admin));
            svc.users_cache.put(id, s.clone());
            s
        }
    };
    match state {
        Some((username, true, is_admin)) => Ok(Actor { user_id: id, username, is_admin }),
        Some((_, false, _)) => Err(AppError::Forbidden("this account is not active".into())),
        None => Err(unauthorized()),
    }
}

pub async fn me(svc: &Services, actor: &Actor) -> AppResult<dto::User> {
    let u = user::Entity::find_by_id(actor.user_id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("user"))?;
    Ok(to_dto(&u))
}

pub async fn list_users(svc: &Services, actor: &Actor) -> AppResult<Vec<dto::User>> {
    actor.require_admin()?;
    let users = user::Entity::find().order_by_asc(user::Column::Id).all(&svc.db).await?;
    Ok(users.iter().map(to_dto).collect())
}

/// Activates/deactivates or changes the role of a user (administrators only). An administrator
/// cannot lock themselves out, and the last active administrator cannot be demoted.
pub async fn patch_user(svc: &Services, actor: &Actor, id: i64, patch: &UserPatch) -> AppResult<dto::User> {
    actor.require_admin()?;
    let u = user::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("user"))?;
    if id == actor.user_id && (patch.is_active == Some(false) || patch.is_admin == Some(false)) {
        return Err(AppError::validation("is_admin", "you cannot deactivate or demote yourself"));
    }
    let before = serde_json::json!({"is_active": u.is_active, "is_admin": u.is_admin});
    let mut am: user::ActiveModel = u.into();
    if let Some(a) = patch.is_active {
        am.is_active = Set(a);
    }
    if let Some(a) = patch.is_admin {
        am.is_admin = Set(a);
    }
    am.updated_at = Set(Utc::now());
    let u = am.update(&svc.db).await?;
    if !u.is_active {
        // A deactivated user loses their sessions too.
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(refresh_token::Column::UserId.eq(u.id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&svc.db)
            .await?;
    }
    svc.users_cache.forget(u.id);
    let after = serde_json::json!({"is_active": u.is_active, "is_admin": u.is_admin});
    crate::audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        "user",
        "update",
        serde_json::json!({"user_id": u.id, "username": u.username, "from": before, "to": after}),
    )
    .await?;
    Ok(to_dto(&u))
}

/// How many accounts exist (used at start-up to explain how to create the first administrator).
pub async fn count_admins(svc: &Services) -> AppResult<u64> {
    Ok(user::Entity::find().filter(user::Column::IsAdmin.eq(true)).count(&svc.db).await?)
}

/// The acting user for command-line work done in a named account's name (must be active).
pub async fn actor_by_username(svc: &Services, username: &str) -> AppResult<Actor> {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim().to_lowercase()))
        .one(&svc.db)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    if !u.is_active {
        return Err(AppError::Forbidden("this account is not active".into()));
    }
    Ok(Actor { user_id: u.id, username: u.username, is_admin: u.is_admin })
}
