//! The browser door: resolving the session from a Bearer token or the session cookies (and
//! rotating an expired access cookie with the refresh cookie), Leptos pages and server functions.

use crate::state::AppState;
use app::session::{self, CookieConfig};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, SET_COOKIE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;
use service::{auth, Session};

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
    } else if let Some(token) = cookie(&req, session::ACCESS_COOKIE) {
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
        if let Some(refresh) = cookie(&req, session::REFRESH_COOKIE).map(str::to_string) {
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

/// Leptos server functions, with the services, the caller's session and the cookie policy in context.
pub async fn server_fn_handler(State(st): State<AppState>, req: Request<Body>) -> impl IntoResponse {
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
}

/// Server-side rendering of the UI routes, with the caller's session in context.
pub async fn render_page(State(st): State<AppState>, req: Request<Body>) -> Response {
    let session = req.extensions().get::<Session>().cloned().unwrap_or_default();
    let svc = st.svc.clone();
    let cookies = CookieConfig { secure: st.config.cookie_secure };
    let options = st.leptos_options.clone();
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
        },
        move || app::shell(options.clone()),
    );
    handler(req).await.into_response()
}
