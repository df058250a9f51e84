//! The browser door: resolving the session from a Bearer token or the session cookies (and
//! rotating an expired access cookie with the refresh cookie), Leptos pages and server functions.

use crate::state::AppState;
use app::session::{self, CookieConfig};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;
use service::{accounts::auth, Session};

fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    session::cookie_value(req.headers(), name)
}

/// Resolves who is calling and stores a [`Session`] in the request. A Bearer header wins; else the
/// access cookie; else, when only the refresh cookie is left, the tokens are rotated and new
/// cookies are set on the response.
pub async fn session_layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let cookies = CookieConfig { secure: st.config.cookie_secure };
    let mut session = Session::default();
    let mut set_cookies: Vec<String> = Vec::new();
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    let outcome = if let Some(token) = bearer {
        Some(auth::authenticate(&st.svc, &token).await)
    } else if let Some(token) = cookie(&req, cookies.access_name()) {
        Some(auth::authenticate(&st.svc, token).await)
    } else {
        None
    };
    match outcome {
        Some(Ok(actor)) => session.actor = Some(actor),
        Some(Err(e)) => session.error = Some((e.status(), e.to_string())),
        None => {}
    }
    let cookie_auth = req.headers().get(AUTHORIZATION).is_none();
    if session.actor.is_none() && cookie_auth && session.error.as_ref().is_none_or(|(s, _)| *s == 401) {
        if let Some(refresh) = cookie(&req, cookies.refresh_name()).map(str::to_string) {
            match auth::refresh(&st.svc, &refresh).await {
                Ok(tokens) => {
                    if let Ok(actor) = auth::authenticate(&st.svc, &tokens.access_token).await {
                        session = Session { actor: Some(actor), error: None };
                        set_cookies = session::token_cookies(&tokens, &cookies);
                    }
                }
                Err(_) => set_cookies = session::clear_cookies(&cookies),
            }
        }
    }
    req.extensions_mut().insert(session);
    let mut resp = next.run(req).await;
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

/// Leptos server functions, with the services, the caller's session and the cookie policy in
/// context. The body is read here with the same limit as the REST API (`CARDCRM_MAX_BODY_BYTES`):
/// a larger one gets 413 `{"detail"}` before any server function sees it.
pub async fn server_fn_handler(State(st): State<AppState>, req: Request<Body>) -> Response {
    let limit = st.config.max_body_bytes;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return crate::api::detail(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large");
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return crate::api::detail(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large"),
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let session = req.extensions().get::<Session>().cloned().unwrap_or_default();
    let svc = st.svc.clone();
    let cookies = CookieConfig { secure: st.config.cookie_secure };
    leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(svc.clone());
            provide_context(session.clone());
            provide_context(cookies.clone());
        },
        req,
    )
    .await
    .into_response()
}

/// The Content-Security-Policy of a rendered page: scripts only from this site or carrying this
/// response's nonce (Leptos puts it on its hydration scripts), never inline script without it.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

fn new_nonce() -> String {
    let mut raw = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut raw);
    hex::encode(raw)
}

/// Whether a state-changing request may go on: requests that carry a Bearer token (or other
/// `Authorization`) are not sent by browsers on their own; the webhooks answer to their own
/// secrets; everything else (cookie sessions, sign-in forms, server functions) must come from this
/// site — its `Origin` (or, without one, its `Referer`) names this host. A request with neither
/// is not from a browser (browsers send `Origin` on every cross-site POST) and goes on.
pub fn write_allowed(
    method: &axum::http::Method,
    path: &str,
    headers: &axum::http::HeaderMap,
    public: Option<&str>,
) -> bool {
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
        || path.starts_with("/webhooks/")
        || headers.contains_key(AUTHORIZATION)
    {
        return true;
    }
    let claimed = match headers.get(axum::http::header::ORIGIN) {
        Some(o) => o.to_str().unwrap_or("null").to_string(),
        None => match headers.get(axum::http::header::REFERER) {
            Some(r) => r.to_str().unwrap_or("null").to_string(),
            None => return true,
        },
    };
    let Some(from) = url_host(&claimed) else { return false };
    let own = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).and_then(authority_host);
    own.as_deref() == Some(from.as_str()) || public.and_then(url_host).as_deref() == Some(from.as_str())
}

/// The host name of an absolute `http(s)://` URL (or origin), lower-cased, without port.
fn url_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    authority_host(authority)
}

/// `host[:port]` → `host`, lower-cased (IPv6 literals keep their brackets).
fn authority_host(authority: &str) -> Option<String> {
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Refuses cross-site writes (CSRF) with 403 `{"detail"}`; see [`write_allowed`].
pub async fn same_site_writes(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if write_allowed(req.method(), req.uri().path(), req.headers(), st.config.public_url.as_deref()) {
        return next.run(req).await;
    }
    metrics::counter!("cross_site_requests_refused_total").increment(1);
    crate::api::detail(StatusCode::FORBIDDEN, "cross-site request refused: the Origin is not this site")
}

/// Server-side rendering of the UI routes, with the caller's session in context.
/// The pages a signed-out visitor may open; every other page redirects to `/login?next=…`.
const PUBLIC_PAGES: [&str; 2] = ["/login", "/register"];

pub async fn render_page(State(st): State<AppState>, req: Request<Body>) -> Response {
    let session = req.extensions().get::<Session>().cloned().unwrap_or_default();
    // Signed out on a page that needs an account: sent to sign in by the server, so the first
    // paint is the sign-in page (also without JavaScript) rather than an empty page.
    if session.actor.is_none() && !PUBLIC_PAGES.contains(&req.uri().path()) {
        let here = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = app::next::login_url(here);
        return match HeaderValue::from_str(&target) {
            Ok(v) => (StatusCode::FOUND, [(axum::http::header::LOCATION, v)]).into_response(),
            Err(_) => (StatusCode::FOUND, [(axum::http::header::LOCATION, HeaderValue::from_static("/login"))])
                .into_response(),
        };
    }
    let svc = st.svc.clone();
    let cookies = CookieConfig { secure: st.config.cookie_secure };
    let options = st.leptos_options.clone();
    let nonce = new_nonce();
    let page_nonce = nonce.clone();
    // Whole pages, not out-of-order streaming: the page is sent once every resource it reads
    // has resolved. Streamed, a protected page's shell sometimes went out with its Suspense's
    // fallback and the content swapped in later, and the browser then sometimes hydrated the
    // fallback against the swapped-in content: a wasm panic ("unrecoverable hydration error" at
    // the fallback `<div class="loading-page">`) and a blank page: 4 failed of 53 runs of the
    // duplicates spec in session 10, none of 64 runs of the duplicates and contacts specs after
    // this change. The pages' data is a few database reads, so waiting for it costs little.
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(svc.clone());
            provide_context(session.clone());
            provide_context(cookies.clone());
            // Leptos marks its inline scripts with this nonce; the page's CSP allows only it.
            provide_context(leptos::nonce::Nonce::from_value(page_nonce.clone()));
        },
        move || app::shell(options.clone()),
    );
    let mut resp = handler(req).await.into_response();
    if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce)) {
        resp.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, Method};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn writes_from_this_site_pass_and_from_others_do_not() {
        let post = Method::POST;
        let own = headers(&[("host", "crm.example.com"), ("origin", "https://crm.example.com")]);
        assert!(write_allowed(&post, "/api/save_contact", &own, None));
        // nginx passes `$host` without the port the browser used.
        let port = headers(&[("host", "crm.example.com"), ("origin", "http://crm.example.com:8080")]);
        assert!(write_allowed(&post, "/api/save_contact", &port, None));
        let evil = headers(&[("host", "crm.example.com"), ("origin", "https://evil.example")]);
        assert!(!write_allowed(&post, "/api/save_contact", &evil, None));
        assert!(!write_allowed(&Method::DELETE, "/api/v1/contacts/1", &evil, None));
        let null = headers(&[("host", "crm.example.com"), ("origin", "null")]);
        assert!(!write_allowed(&post, "/api/login", &null, None));
        let sub = headers(&[("host", "crm.example.com"), ("origin", "https://crm.example.com.evil.example")]);
        assert!(!write_allowed(&post, "/api/login", &sub, None));
        let userinfo = headers(&[("host", "crm.example.com"), ("referer", "https://crm.example.com@evil.example/x")]);
        assert!(!write_allowed(&post, "/api/login", &userinfo, None));
        let referer = headers(&[("host", "crm.example.com"), ("referer", "https://evil.example/page")]);
        assert!(!write_allowed(&post, "/api/login", &referer, None));
        let own_referer = headers(&[("host", "crm.example.com"), ("referer", "https://crm.example.com/login?next=/")]);
        assert!(write_allowed(&post, "/api/login", &own_referer, None));
        // Behind a proxy that rewrites Host, the public URL names the site.
        let proxied = headers(&[("host", "app:3000"), ("origin", "https://crm.example.com")]);
        assert!(!write_allowed(&post, "/api/login", &proxied, None));
        assert!(write_allowed(&post, "/api/login", &proxied, Some("https://crm.example.com")));
        // Not a browser's doing: Bearer calls, webhooks, reads, and requests without Origin/Referer.
        let bearer =
            headers(&[("host", "crm.example.com"), ("origin", "https://evil.example"), ("authorization", "Bearer x")]);
        assert!(write_allowed(&post, "/api/v1/contacts", &bearer, None));
        assert!(write_allowed(&post, "/webhooks/telegram", &evil, None));
        assert!(write_allowed(&Method::GET, "/api/v1/contacts", &evil, None));
        assert!(write_allowed(&post, "/api/v1/contacts", &headers(&[("host", "crm.example.com")]), None));
        let v6 = headers(&[("host", "[::1]:3000"), ("origin", "http://[::1]:3000")]);
        assert!(write_allowed(&post, "/api/login", &v6, None));
    }

    #[test]
    fn the_page_policy_has_no_unsafe_inline_script() {
        let csp = page_csp("abc123");
        let script = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(script.contains("'nonce-abc123'"));
        assert!(!script.contains("unsafe-inline"));
    }
}
