//! The CardDAV door (RFC 6352 with RFC 6578 `sync-collection`), at `/dav/`:
//!
//! ```text
//! /.well-known/carddav                  → 301 to /dav/
//! /dav/                                 the root (current-user-principal for discovery)
//! /dav/principals/<user>/               the signed-in user's principal (addressbook-home-set)
//! /dav/addressbooks/<user>/             the address-book home
//! /dav/addressbooks/<user>/contacts/    the team's live contacts (every user sees the team's)
//! /dav/addressbooks/<user>/contacts/<name>.vcf   one contact as a vCard
//! /dav/addressbooks/<user>/group-<id>/  a group's live members, for each group the user chose
//! /dav/addressbooks/<user>/group-<id>/<name>.vcf (Profile → Contacts on your phone)
//! ```
//!
//! HTTP Basic with the cardcrm username and an app password (`service::accounts::app_passwords`); the
//! account password never works here. Methods: OPTIONS, PROPFIND (depth 0/1), REPORT
//! (`addressbook-multiget`, `addressbook-query`, `sync-collection`), GET/HEAD, PUT, DELETE. The
//! rules and the change numbers live in `service::transfer::carddav`; this module is HTTP and XML only.
//! Every body is capped (XML 512 KB, a vCard 1 MB), multiget at 1,000 hrefs, sync and query
//! answers are paged; bad XML, unknown methods and paths get a 4xx, never a 500.
//!
//! Here: sign-in and dispatch ([`handle`]); the paths in `target`, the methods in `propfind`,
//! `report` and `card`, the answers in `respond` and `xml`.

mod card;
mod propfind;
mod report;
mod respond;
mod target;
pub mod xml;

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use respond::{app_error, text, unauthorized};
use service::transfer::carddav::{self, Book};
use service::transfer::dav_books;
use service::{Actor, AppError};
use target::{parse_path, Target};

const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT";

/// `/.well-known/carddav` (RFC 6764): the service lives at `/dav/`. A 301, the status RFC 6764
/// names and every client (iOS included) follows with its PROPFIND.
pub async fn well_known() -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/dav/")]).into_response()
}

/// `OPTIONS` under `/dav` (RFC 4918 §10.1: the `DAV` header tells a client this is a CardDAV
/// server), answered before the CORS layer, which would take any OPTIONS for a preflight.
pub async fn options(req: Request, next: axum::middleware::Next) -> Response {
    let p = req.uri().path();
    if req.method() == Method::OPTIONS && (p == "/dav" || p.starts_with("/dav/") || p == "/.well-known/carddav") {
        return (StatusCode::OK, [(header::ALLOW, ALLOW), (HeaderName::from_static("dav"), "1, 3, addressbook")])
            .into_response();
    }
    next.run(req).await
}

/// The Basic credentials of a request, if any (undecodable ones count as none).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || b64.len() > 4096 {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

async fn body_bytes(body: Body, limit: usize) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| text(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {limit} bytes")))
}

/// Every request under `/dav`.
pub async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    if method == Method::OPTIONS {
        return (StatusCode::OK, [(header::ALLOW, ALLOW), (HeaderName::from_static("dav"), "1, 3, addressbook")])
            .into_response();
    }
    let Some(target) = parse_path(parts.uri.path()) else {
        return text(StatusCode::NOT_FOUND, "no such CardDAV resource");
    };
    let Some((user, password)) = basic(&parts.headers) else {
        return unauthorized("sign in with your cardcrm username and an app password (Profile → App passwords)");
    };
    let ip = app::session::client_ip(&parts.extensions);
    let actor = match service::accounts::app_passwords::authenticate(&st.svc, &user, &password, &ip).await {
        Ok(a) => a,
        Err(AppError::Unauthorized(m)) => return unauthorized(&m),
        Err(e) => return app_error(e),
    };
    if let Some(resp) = crate::limits::over_user_api_limit(&st, actor.user_id).await {
        return resp;
    }
    // The paths of another user are not this user's to browse (the contacts are the same anyway).
    let owner = match &target {
        Target::Principal(u) | Target::Home(u) | Target::Book(u, _) | Target::Card(u, _, _) => Some(u.as_str()),
        _ => None,
    };
    if owner.is_some_and(|u| u != actor.username) {
        return text(StatusCode::FORBIDDEN, "these are another user's CardDAV paths; use your own");
    }
    // The user's books: the team's and the groups they chose. Any other group's book is not here.
    let mut groups = Vec::new();
    match &target {
        Target::Home(_) => match dav_books::shared(&st.svc, &actor).await {
            Ok(g) => groups = g,
            Err(e) => return app_error(e),
        },
        Target::Book(_, Book::Group(id)) | Target::Card(_, Book::Group(id), _) => {
            match dav_books::shared_group(&st.svc, &actor, *id).await {
                Ok(Some(g)) => groups.push(g),
                Ok(None) => {
                    return text(StatusCode::NOT_FOUND, "no such address book: choose the group on your profile page")
                }
                Err(e) => return app_error(e),
            }
        }
        _ => {}
    }
    let ctx = Ctx { st: &st, actor: &actor, headers: &parts.headers, groups };
    match method.as_str() {
        "PROPFIND" => match body_bytes(body, xml::MAX_XML_BYTES).await {
            Ok(b) => ctx.propfind(&target, &b).await,
            Err(r) => r,
        },
        "REPORT" => match body_bytes(body, xml::MAX_XML_BYTES).await {
            Ok(b) => ctx.report(&target, &b).await,
            Err(r) => r,
        },
        "GET" | "HEAD" => ctx.get(&target, method == Method::HEAD).await,
        "PUT" => match body_bytes(body, carddav::MAX_CARD_BYTES).await {
            Ok(b) => ctx.put(&target, &b).await,
            Err(r) => r,
        },
        "DELETE" => ctx.delete(&target).await,
        "PROPPATCH" | "MKCOL" | "MKCALENDAR" | "COPY" | "MOVE" | "LOCK" | "UNLOCK" | "POST" | "ACL" => {
            text(StatusCode::FORBIDDEN, format!("{method} is not allowed here: the address book is managed by cardcrm"))
        }
        _ => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not supported"));
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
            r
        }
    }
}

struct Ctx<'a> {
    st: &'a AppState,
    actor: &'a Actor,
    headers: &'a HeaderMap,
    /// The groups whose books this request may name (their names are the books' names).
    groups: Vec<service::dto::GroupRef>,
}

impl Ctx<'_> {
    fn user(&self) -> &str {
        &self.actor.username
    }
}
