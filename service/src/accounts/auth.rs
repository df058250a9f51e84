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
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
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
    /// The user's token version when the token was issued (see [`revoke_access`]).
    #[serde(default)]
    ver: i64,
}

/// What every request needs to know about its user: name, state, role and token version.
#[derive(Clone, Debug)]
struct UserState {
    username: String,
    active: bool,
    admin: bool,
    token_version: i64,
}

/// A short in-process memory of each user's [`UserState`], so that every request need not hit
/// the database. A change made in this process (sign-out, password reset, deactivation, role)
/// forgets the entry at once. With Redis, every change also writes a new stamp for the user there
/// (`cardcrm:user-stamp:<id>`), and each request compares the stamp it cached with Redis's, so
/// other instances see the change on their next request too; without Redis, another instance
/// sees it within [`USER_CACHE_TTL`].
#[derive(Default)]
pub struct UserCache {
    entries: Mutex<HashMap<i64, CachedUser>>,
}

#[derive(Clone)]
struct CachedUser {
    at: Instant,
    state: Option<UserState>,
    /// The Redis stamp read before the state was loaded (`None`: no Redis, or no stamp yet).
    stamp: Option<String>,
}

const USER_CACHE_TTL: Duration = Duration::from_secs(5);
const USER_STAMP_PREFIX: &str = "cardcrm:user-stamp:";

impl UserCache {
    fn get(&self, id: i64) -> Option<CachedUser> {
        let map = self.entries.lock().ok()?;
        map.get(&id).filter(|c| c.at.elapsed() < USER_CACHE_TTL).cloned()
    }
    fn put(&self, id: i64, state: Option<UserState>, stamp: Option<String>) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(id, CachedUser { at: Instant::now(), state, stamp });
        }
    }
    pub(crate) fn forget(&self, id: i64) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&id);
        }
    }
}

/// The user's stamp in Redis: `Some(None)` when Redis answered and has none, `None` without Redis.
async fn redis_stamp(svc: &Services, id: i64) -> Option<Option<String>> {
    use fred::prelude::KeysInterface;
    let client = svc.limiter.redis_client()?;
    client.get::<Option<String>, _>(format!("{USER_STAMP_PREFIX}{id}")).await.ok()
}

/// Records that user `id` changed: forgotten here at once, and a new stamp in Redis for the others.
pub(crate) async fn user_changed(svc: &Services, id: i64) {
    svc.users_cache.forget(id);
    if let Some(client) = svc.limiter.redis_client() {
        use fred::prelude::KeysInterface;
        let stamp = uuid::Uuid::new_v4().to_string();
        let expire = Some(fred::types::Expiration::EX(7 * 24 * 3600));
        if let Err(e) = client.set::<(), _, _>(format!("{USER_STAMP_PREFIX}{id}"), stamp, expire, None, false).await {
            tracing::warn!(user_id = id, error = %e, "could not publish a user change to Redis");
        }
    }
}

/// The user's current state, from the cache while it is fresh (and, with Redis, unchanged).
async fn user_state(svc: &Services, id: i64) -> AppResult<Option<UserState>> {
    let stamp = redis_stamp(svc, id).await;
    if let Some(cached) = svc.users_cache.get(id) {
        let unchanged = match &stamp {
            Some(now) => *now == cached.stamp,
            None => true,
        };
        if unchanged {
            return Ok(cached.state);
        }
    }
    let state = user::Entity::find_by_id(id).one(&svc.db).await?.map(|u| UserState {
        username: u.username,
        active: u.is_active,
        admin: u.is_admin,
        token_version: u.token_version,
    });
    svc.users_cache.put(id, state.clone(), stamp.flatten());
    Ok(state)
}

/// Ends every access token user `id` holds now (sign-out, password reset, deactivation): the
/// user's token version goes up, and tokens carrying an older one are refused from the next request.
pub async fn revoke_access(svc: &Services, id: i64) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::TokenVersion, Expr::col(user::Column::TokenVersion).add(1))
        .filter(user::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    user_changed(svc, id).await;
    Ok(())
}

/// Revokes every refresh token of user `id` and every access token issued so far.
pub async fn revoke_all_sessions(svc: &Services, id: i64) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&svc.db)
        .await?;
    revoke_access(svc, id).await
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
    if !crate::platform::text::is_email(&email) {
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
    crate::platform::audit::record(
        &svc.db,
        Some(u.id),
        None,
        "user",
        "register",
        serde_json::json!({"username": u.username}),
    )
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
        // A new password ends the sessions the old one opened.
        revoke_all_sessions(svc, u.id).await?;
        return Ok(to_dto(&u));
    }
    let u = insert_user(svc, input, true, true).await?;
    crate::platform::audit::record(
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

/// The longest login name looked at (an e-mail address is at most 254 characters); longer
/// names are refused before any work is done.
pub const MAX_LOGIN_NAME: usize = 254;
/// The longest password looked at (bytes); the hash of a longer one is never computed.
pub const MAX_LOGIN_PASSWORD: usize = 1024;
/// Sign-in attempts allowed per login name from one address, and per address, in [`LOGIN_WINDOW`].
pub const LOGIN_ATTEMPTS_PER_NAME_AND_ADDRESS: u32 = 5;
pub const LOGIN_ATTEMPTS_PER_ADDRESS: u32 = 20;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);

/// The address a login attempt is counted against: IPv4 as it is, IPv6 by its /64 network
/// (one subscriber usually holds a whole /64, so single addresses would be free to rotate).
pub fn throttle_address(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

/// Checks a password and issues tokens.
///
/// Attempts are throttled per (login name, address) and per address, and each attempt is
/// counted *before* the password is checked, atomically (Redis script or in-process lock): a
/// burst of parallel guesses cannot all be checked, and a stranger guessing from elsewhere cannot
/// lock the user out of their own address. A successful sign-in clears the name's count and
/// gives the address its attempt back.
pub async fn login(svc: &Services, input: &LoginInput, ip: &str) -> AppResult<TokenPair> {
    if input.username.chars().count() > MAX_LOGIN_NAME {
        return Err(AppError::validation("username", format!("must be at most {MAX_LOGIN_NAME} characters")));
    }
    if input.password.len() > MAX_LOGIN_PASSWORD {
        return Err(AppError::validation("password", format!("must be at most {MAX_LOGIN_PASSWORD} bytes")));
    }
    let address = throttle_address(ip);
    let name = input.username.trim().to_lowercase();
    let name_key = format!("login-name:{}@{address}", sha256_hex(&name));
    let ip_key = format!("login-ip:{address}");
    svc.limiter.allow(&ip_key, LOGIN_ATTEMPTS_PER_ADDRESS, LOGIN_WINDOW).await?;
    svc.limiter.allow(&name_key, LOGIN_ATTEMPTS_PER_NAME_AND_ADDRESS, LOGIN_WINDOW).await?;
    let found = find_by_login(svc, &input.username).await?;
    let ok = verify_password(svc, &input.password, found.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match (found, ok) {
        (Some(u), true) => u,
        _ => {
            metrics::counter!("auth_attempts_total", "outcome" => "failure").increment(1);
            return Err(AppError::Unauthorized("wrong username or password".into()));
        }
    };
    svc.limiter.reset(&name_key).await;
    svc.limiter.undo(&ip_key).await;
    if !user.is_active {
        metrics::counter!("auth_attempts_total", "outcome" => "inactive").increment(1);
        return Err(AppError::Forbidden("this account is not active yet; an administrator must activate it".into()));
    }
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
        ver: user.token_version,
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
///
/// The rotation is one conditional `UPDATE … WHERE revoked_at IS NULL`, not a read-then-write
/// transaction: of several requests racing with one token exactly one changes the row and gets
/// new tokens, the others get 401, and none waits on a lock it cannot get (SQLite's "database is
/// locked" came from deferred transactions upgrading their read lock).
pub async fn refresh(svc: &Services, token: &str) -> AppResult<TokenPair> {
    let invalid = || AppError::Unauthorized("invalid or expired refresh token".into());
    if token.len() > 256 {
        return Err(invalid());
    }
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(sha256_hex(token)))
        .one(&svc.db)
        .await?
    else {
        return Err(invalid());
    };
    let now = Utc::now();
    if let Some(revoked) = row.revoked_at {
        // Two requests racing to rotate the same token (parallel page loads) are not theft.
        if now - revoked < ChronoDuration::seconds(30) {
            return Err(invalid());
        }
        revoke_family(&svc.db, &row.family).await?;
        revoke_access(svc, row.user_id).await?;
        tracing::warn!(user_id = row.user_id, "refresh token reuse detected; family revoked");
        return Err(invalid());
    }
    if row.expires_at < now {
        return Err(invalid());
    }
    let user = user::Entity::find_by_id(row.user_id).one(&svc.db).await?.ok_or_else(invalid)?;
    if !user.is_active {
        return Err(AppError::Forbidden("this account is not active".into()));
    }
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&svc.db)
        .await?;
    if claimed.rows_affected != 1 {
        // Another request rotated it a moment ago.
        return Err(invalid());
    }
    issue_tokens(svc, &user, Some(row.family)).await
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

/// Signs out: revokes the refresh token's family and ends the user's access tokens issued so
/// far (their other devices refresh theirs). Unknown tokens are ignored (logout is idempotent).
pub async fn logout(svc: &Services, token: &str) -> AppResult<()> {
    if token.len() > 256 {
        return Ok(());
    }
    if let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(sha256_hex(token)))
        .one(&svc.db)
        .await?
    {
        revoke_family(&svc.db, &row.family).await?;
        revoke_access(svc, row.user_id).await?;
    }
    Ok(())
}

/// Resolves an access token to the acting user. Rejects expired, tampered, `alg: none` and
/// refresh-typed tokens, tokens issued before the user's last sign-out, password reset or
/// deactivation, and users that are no longer active.
pub async fn authenticate(svc: &Services, token: &str) -> AppResult<Actor> {
    let unauthorized = || AppError::Unauthorized("invalid or expired token".into());
    if token.len() > 4096 {
        return Err(unauthorized());
    }
    let mut validation = Validation::new(JwtAlg::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(token, &svc.auth.decoding, &validation).map_err(|_| unauthorized())?;
    if data.claims.typ != "access" {
        return Err(unauthorized());
    }
    let id: i64 = data.claims.sub.parse().map_err(|_| unauthorized())?;
    match user_state(svc, id).await? {
        Some(u) if !u.active => Err(AppError::Forbidden("this account is not active".into())),
        Some(u) if u.token_version != data.claims.ver => {
            Err(AppError::Unauthorized("this token has been revoked; sign in again".into()))
        }
        Some(u) => Ok(Actor { user_id: id, username: u.username, is_admin: u.admin }),
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
        // A well-formed request the caller may not make: 403 on every door (422 is for bad fields).
        return Err(AppError::Forbidden("you cannot deactivate or demote yourself".into()));
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
        // A deactivated user loses their sessions and tokens at once.
        revoke_all_sessions(svc, u.id).await?;
    } else {
        user_changed(svc, u.id).await;
    }
    let after = serde_json::json!({"is_active": u.is_active, "is_admin": u.is_admin});
    crate::platform::audit::record(
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
