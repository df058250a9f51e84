//! Session cookies of the web UI (server side only): an HttpOnly, SameSite=Lax access cookie that
//! lives as long as the access token, and a refresh cookie scoped to the same site. Served over
//! TLS, both carry `Secure` and the `__Host-` prefix (the browser then refuses them unless they
//! came over HTTPS from this very host, with `Path=/` and no `Domain`: a sibling subdomain cannot
//! plant or overwrite them).

use service::dto::TokenPair;

pub const ACCESS_COOKIE: &str = "cardcrm_access";
pub const REFRESH_COOKIE: &str = "cardcrm_refresh";
const REFRESH_MAX_AGE: i64 = 14 * 24 * 3600;

/// Whether cookies carry `Secure` and the `__Host-` prefix (set when served over HTTPS).
#[derive(Clone, Debug, Default)]
pub struct CookieConfig {
    pub secure: bool,
}

impl CookieConfig {
    /// The access cookie's name: `__Host-cardcrm_access` over TLS, else `cardcrm_access`.
    pub fn access_name(&self) -> &'static str {
        if self.secure {
            "__Host-cardcrm_access"
        } else {
            ACCESS_COOKIE
        }
    }

    /// The refresh cookie's name: `__Host-cardcrm_refresh` over TLS, else `cardcrm_refresh`.
    pub fn refresh_name(&self) -> &'static str {
        if self.secure {
            "__Host-cardcrm_refresh"
        } else {
            REFRESH_COOKIE
        }
    }
}

fn cookie(name: &str, value: &str, max_age: i64, cfg: &CookieConfig) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if cfg.secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` values that store a freshly issued token pair.
pub fn token_cookies(tokens: &TokenPair, cfg: &CookieConfig) -> Vec<String> {
    vec![
        // Expire the access cookie a little before the token so the refresh happens in time.
        cookie(cfg.access_name(), &tokens.access_token, (tokens.expires_in - 30).max(30), cfg),
        cookie(cfg.refresh_name(), &tokens.refresh_token, REFRESH_MAX_AGE, cfg),
    ]
}

/// `Set-Cookie` values that remove both cookies.
pub fn clear_cookies(cfg: &CookieConfig) -> Vec<String> {
    vec![cookie(cfg.access_name(), "", 0, cfg), cookie(cfg.refresh_name(), "", 0, cfg)]
}

/// The value of cookie `name` among the request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The address a request came to (`https://host` behind a proxy that says so, else `http://host`),
/// for links shown to the user when `CARDCRM_PUBLIC_URL` is not set.
pub fn request_origin(headers: &http::HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// The client's address as the connection saw it, from the request extensions.
pub fn client_ip(extensions: &http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
