//! One card: GET/HEAD (in the vCard version asked for), PUT and DELETE.

use super::respond::{app_error, dav_error, precondition, text};
use super::target::Target;
use super::xml::{El, CARDDAV};
use super::Ctx;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use service::transfer::carddav::{self, Conditions};

/// The parameters a `vCard` is rendered with: version from `address-data` or `Accept`.
pub(super) fn asked_version(el: Option<&El>, headers: &HeaderMap) -> carddav::VcardVersion {
    let from_body = el.and_then(|e| e.attr("version")).map(str::to_string);
    let from_accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.contains("text/vcard") && v.contains("version=4.0"))
        .map(|_| "4.0".to_string());
    carddav::version_for(from_body.or(from_accept).as_deref())
}

fn content_type(v: carddav::VcardVersion) -> &'static str {
    match v {
        carddav::VcardVersion::V4 => "text/vcard; charset=utf-8; version=4.0",
        _ => "text/vcard; charset=utf-8",
    }
}

impl Ctx<'_> {
    pub(super) async fn get(&self, t: &Target, head: bool) -> Response {
        let Target::Card(_, book, name) = t else {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "GET reads a card; use PROPFIND or REPORT on collections");
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("OPTIONS, PROPFIND, REPORT"));
            return r;
        };
        let version = asked_version(None, self.headers);
        match carddav::card(&self.st.svc, *book, name, version).await {
            Ok(Some(c)) => {
                let mut r =
                    if head { Response::new(Body::empty()) } else { Response::new(Body::from(c.vcard.clone())) };
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(version)));
                if let Ok(v) = HeaderValue::from_str(&c.member.etag) {
                    h.insert(header::ETAG, v);
                }
                if head {
                    h.insert(header::CONTENT_LENGTH, HeaderValue::from(c.vcard.len()));
                }
                r
            }
            Ok(None) => text(StatusCode::NOT_FOUND, "no such card"),
            Err(e) => app_error(e),
        }
    }

    fn conditions(&self) -> Conditions {
        let h = |n: header::HeaderName| self.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        Conditions { if_match: h(header::IF_MATCH), if_none_match: h(header::IF_NONE_MATCH) }
    }

    pub(super) async fn put(&self, t: &Target, body: &[u8]) -> Response {
        let Target::Card(_, book, name) = t else {
            return text(
                StatusCode::METHOD_NOT_ALLOWED,
                "PUT writes a card: /dav/addressbooks/<you>/contacts/<name>.vcf",
            );
        };
        let ct = self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("text/vcard");
        let ct_ok = ["text/vcard", "text/x-vcard", "text/directory", "application/octet-stream", "text/plain"]
            .iter()
            .any(|t| ct.trim().to_ascii_lowercase().starts_with(t));
        if !ct_ok {
            return precondition(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                CARDDAV,
                "supported-address-data",
                "",
                "send the card as text/vcard",
            );
        }
        match carddav::put(&self.st.svc, self.actor, *book, name, body, &self.conditions()).await {
            // No ETag in the answer: the stored card is cardcrm's rendering, not the bytes sent,
            // so the client must read it back (RFC 6352 §6.3.2.3).
            Ok(carddav::Put::Created(_)) => StatusCode::CREATED.into_response(),
            Ok(carddav::Put::Updated(_)) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => dav_error(e, self.user()),
        }
    }

    pub(super) async fn delete(&self, t: &Target) -> Response {
        let Target::Card(_, book, name) = t else {
            return text(StatusCode::FORBIDDEN, "collections cannot be deleted; delete cards one by one");
        };
        let if_match = self.headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
        match carddav::delete(&self.st.svc, self.actor, *book, name, if_match).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => dav_error(e, self.user()),
        }
    }
}
