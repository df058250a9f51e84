//! The answers written: plain text, DAV error bodies (preconditions) and multistatus.

use super::propfind::PName;
use super::target::card_href;
use super::xml::{self, CARDDAV, DAV};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use service::transfer::carddav::{Book, DavError};
use service::AppError;

pub(super) fn text(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], msg.into()).into_response()
}

pub(super) fn unauthorized(msg: &str) -> Response {
    let mut r = text(StatusCode::UNAUTHORIZED, msg);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"cardcrm\", charset=\"UTF-8\""));
    r
}

/// A DAV `error` body (RFC 4918 §16) naming the failed precondition.
pub(super) fn precondition(status: StatusCode, ns: &str, name: &str, inner: &str, msg: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\
         {}<D:responsedescription>{}</D:responsedescription></D:error>\n",
        if inner.is_empty() { xml::empty(ns, name) } else {
            format!("<{p}:{name}>{inner}</{p}:{name}>", p = xml::prefix(ns).unwrap_or("D"))
        },
        xml::esc(msg)
    );
    (status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response()
}

pub(super) fn app_error(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let msg = match &e {
        AppError::Internal(_) => "internal error".to_string(),
        other => other.to_string(),
    };
    let mut r = text(status, msg);
    if let AppError::RateLimited { retry_after } = e {
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

pub(super) fn dav_error(e: DavError, user: &str) -> Response {
    match e {
        DavError::App(e) => app_error(e),
        DavError::PreconditionFailed(m) => text(StatusCode::PRECONDITION_FAILED, m),
        DavError::UidConflict(name) => precondition(
            StatusCode::CONFLICT,
            CARDDAV,
            "no-uid-conflict",
            &format!("<D:href>{}</D:href>", xml::esc(&card_href(user, Book::Team, &name))),
            "another card already has this UID",
        ),
        DavError::BadCard(m) => precondition(StatusCode::BAD_REQUEST, CARDDAV, "valid-address-data", "", &m),
        DavError::InvalidSyncToken => precondition(
            StatusCode::FORBIDDEN,
            DAV,
            "valid-sync-token",
            "",
            "this sync token is not valid here; sync again from the start",
        ),
    }
}

/// One `<D:response>`: found properties (already rendered) and the names of missing ones.
pub(super) fn response(href: &str, found: &[String], missing: &[PName]) -> String {
    let mut s = format!("<D:response><D:href>{}</D:href>", xml::esc(href));
    if !found.is_empty() {
        s.push_str("<D:propstat><D:prop>");
        for f in found {
            s.push_str(f);
        }
        s.push_str("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
    }
    if !missing.is_empty() {
        s.push_str("<D:propstat><D:prop>");
        for m in missing {
            s.push_str(&xml::empty(&m.ns, &m.name));
        }
        s.push_str("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>");
    }
    if found.is_empty() && missing.is_empty() {
        s.push_str("<D:propstat><D:prop/><D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
    }
    s.push_str("</D:response>");
    s
}

pub(super) fn status_response(href: &str, status: &str) -> String {
    format!("<D:response><D:href>{}</D:href><D:status>HTTP/1.1 {status}</D:status></D:response>", xml::esc(href))
}

pub(super) fn multistatus(body: String) -> Response {
    let mut s = String::with_capacity(body.len() + 256);
    s.push_str(xml::MULTISTATUS_OPEN);
    s.push_str(&body);
    s.push_str(xml::MULTISTATUS_CLOSE);
    (StatusCode::MULTI_STATUS, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], s).into_response()
}
