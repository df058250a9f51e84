//! Request rate limits per endpoint class (login, register, uploads, API), each per client IP and
//! per signed-in user, counted by the shared [`service::platform::rate_limit::RateLimiter`] (Redis when
//! configured). Over the limit: `429` with `Retry-After` and a JSON `detail`.
//!
//! Also the client address behind a trusted reverse proxy: when the peer is in `TRUSTED_PROXIES`,
//! the right-most `X-Forwarded-For` entry that is not itself a trusted proxy becomes the request's
//! `ConnectInfo`, so every reader of the client IP (limits, login throttle) sees the real client.

use crate::config::{IpNet, Limit, RateLimits};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use service::{AppError, Session};
use std::net::{IpAddr, SocketAddr};

/// What kind of endpoint a request is for; each class has its own limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Login,
    Register,
    Upload,
    Api,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Login => "login",
            Class::Register => "register",
            Class::Upload => "upload",
            Class::Api => "api",
        }
    }

    /// The class of a request; `None` for pages, static files, health and metrics (not limited).
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        let post = method == Method::POST;
        match path {
            "/api/v1/auth/login" | "/api/login" if post => Some(Class::Login),
            "/api/v1/auth/register" | "/api/register" if post => Some(Class::Register),
            "/api/v1/scans" if post => Some(Class::Upload),
            // CardDAV counts as API use (a phone's sync is a burst of small requests).
            p if p.starts_with("/api/") || p == "/dav" || p.starts_with("/dav/") => Some(Class::Api),
            _ => None,
        }
    }

    fn limits(self, l: &RateLimits) -> (Option<Limit>, Option<Limit>) {
        match self {
            Class::Login => (l.login_per_ip, None),
            Class::Register => (l.register_per_ip, None),
            Class::Upload => (l.upload_per_ip, l.upload_per_user),
            Class::Api => (l.api_per_ip, l.api_per_user),
        }
    }
}

fn too_many(class: Class, scope: &str, retry_after: u64) -> Response {
    metrics::counter!("rate_limited_total", "class" => class.name(), "scope" => scope.to_string()).increment(1);
    let mut resp = crate::api::detail(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many {} requests from this {scope}; retry in {retry_after} s", class.name()),
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The rate-limit middleware; runs inside the session layer (it needs the signed-in user).
pub async fn rate_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &st.config.rate_limits;
    if !limits.enabled {
        return next.run(req).await;
    }
    let Some(class) = Class::of(req.method(), req.uri().path()) else { return next.run(req).await };
    let (per_ip, per_user) = class.limits(limits);
    if let Some(l) = per_ip {
        let key = format!("{}:ip:{}", class.name(), app::session::client_ip(req.extensions()));
        if let Err(AppError::RateLimited { retry_after }) = st.svc.limiter.allow(&key, l.max, l.window).await {
            return too_many(class, "address", retry_after);
        }
    }
    if let Some(l) = per_user {
        let user = req.extensions().get::<Session>().and_then(|s| s.actor.as_ref()).map(|a| a.user_id);
        if let Some(id) = user {
            let key = format!("{}:user:{id}", class.name());
            if let Err(AppError::RateLimited { retry_after }) = st.svc.limiter.allow(&key, l.max, l.window).await {
                return too_many(class, "user", retry_after);
            }
        }
    }
    next.run(req).await
}

/// The per-user `api` limit for a caller a door signed in itself (CardDAV's Basic
/// authentication happens after the middleware above, which only knows session users): the 429
/// to answer, if over it.
pub async fn over_user_api_limit(st: &AppState, user_id: i64) -> Option<Response> {
    let limits = &st.config.rate_limits;
    if !limits.enabled {
        return None;
    }
    let l = Class::Api.limits(limits).1?;
    let key = format!("{}:user:{user_id}", Class::Api.name());
    match st.svc.limiter.allow(&key, l.max, l.window).await {
        Err(AppError::RateLimited { retry_after }) => Some(too_many(Class::Api, "user", retry_after)),
        _ => None,
    }
}

/// The client address: the peer, or behind trusted proxies the last untrusted `X-Forwarded-For` hop.
pub fn real_client(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    if !trusted.iter().any(|n| n.contains(peer)) {
        return peer;
    }
    let Some(list) = forwarded else { return peer };
    let mut client = peer;
    for hop in list.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else { break };
        client = ip;
        if !trusted.iter().any(|n| n.contains(ip)) {
            break;
        }
    }
    client
}

/// Rewrites `ConnectInfo` to the real client when the request came through a trusted proxy.
pub async fn client_addr(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    if !st.config.trusted_proxies.is_empty() {
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
            let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            let ip = real_client(peer.ip(), forwarded, &st.config.trusted_proxies);
            if ip != peer.ip() {
                req.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, peer.port())));
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(Class::of(&Method::POST, "/api/v1/auth/login"), Some(Class::Login));
        assert_eq!(Class::of(&Method::POST, "/api/login"), Some(Class::Login));
        assert_eq!(Class::of(&Method::GET, "/api/v1/auth/login"), Some(Class::Api));
        assert_eq!(Class::of(&Method::POST, "/api/register"), Some(Class::Register));
        assert_eq!(Class::of(&Method::POST, "/api/v1/scans"), Some(Class::Upload));
        assert_eq!(Class::of(&Method::GET, "/api/v1/contacts"), Some(Class::Api));
        assert_eq!(Class::of(&Method::GET, "/"), None);
        assert_eq!(Class::of(&Method::GET, "/metrics"), None);
        assert_eq!(Class::of(&Method::GET, "/pkg/cardcrm.js"), None);
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted = vec![IpNet::parse("10.0.0.0/8").unwrap()];
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(real_client(proxy, Some("198.51.100.7"), &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        // A client cannot choose its address by sending the header itself.
        assert_eq!(real_client(stranger, Some("198.51.100.7"), &trusted), stranger);
        // Spoofed left-most entries are skipped: the right-most untrusted hop wins.
        assert_eq!(
            real_client(proxy, Some("1.1.1.1, 198.51.100.7, 10.9.9.9"), &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(real_client(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(real_client(proxy, None, &trusted), proxy);
    }
}
