//! CardDAV through the real router: discovery, sign-in with app passwords, PROPFIND, multiget,
//! query, sync-collection (initial, incremental, paged; creates, edits, trash and merges made in
//! cardcrm), PUT and DELETE with ETags, and bad input answered with a 4xx.

mod access;
#[path = "../common/mod.rs"]
mod common;
mod groups;
mod sync;
mod write;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use common::{app, Resp, TestApp};
use serde_json::{json, Value};

const BOOK: &str = "/dav/addressbooks/admin/contacts/";

/// A card as a phone writes it.
const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-1\r\nFN:Greta Lind\r\nN:Lind;Greta;;;\r\nTEL;TYPE=CELL:+49 170 1234567\r\nEMAIL:greta@example.com\r\nEND:VCARD\r\n";

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

struct Dav<'a> {
    app: &'a TestApp,
    auth: String,
}

impl Dav<'_> {
    async fn req(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut r = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .header(header::AUTHORIZATION, &self.auth);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        self.app.raw(r.body(Body::from(body.to_string())).unwrap()).await
    }

    async fn propfind(&self, path: &str, depth: &str, props: &str) -> Resp {
        let body = format!(
            r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>{props}</d:prop></d:propfind>"#
        );
        self.req("PROPFIND", path, &[("depth", depth), ("content-type", "application/xml")], &body).await
    }

    async fn sync(&self, token: &str, limit: Option<u32>) -> (Vec<(String, String)>, String, bool) {
        self.sync_in(BOOK, token, limit).await
    }

    /// A `sync-collection` of one address book: (href, ETag or "removed") per change, the new
    /// token, and whether the answer was truncated.
    async fn sync_in(&self, book: &str, token: &str, limit: Option<u32>) -> (Vec<(String, String)>, String, bool) {
        let limit = limit.map(|n| format!("<d:limit><d:nresults>{n}</d:nresults></d:limit>")).unwrap_or_default();
        let body = format!(
            r#"<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>{limit}<d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let r = self.req("REPORT", book, &[("depth", "0")], &body).await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", text(&r));
        let t = text(&r);
        let token = between(&t, "<D:sync-token>", "</D:sync-token>").expect("a sync token").to_string();
        let mut items = Vec::new();
        let mut truncated = false;
        for resp in t.split("<D:response>").skip(1) {
            let href = between(resp, "<D:href>", "</D:href>").unwrap().to_string();
            if href == book {
                assert!(resp.contains("507"), "{resp}");
                truncated = true;
                continue;
            }
            let state = if resp.contains("<D:getetag>") {
                between(resp, "<D:getetag>", "</D:getetag>").unwrap().to_string()
            } else {
                assert!(resp.contains("404 Not Found"), "{resp}");
                "removed".to_string()
            };
            items.push((href, state));
        }
        (items, token, truncated)
    }
}

fn text(r: &Resp) -> String {
    match &r.body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

/// The app with an administrator; its access token and an app password.
async fn setup() -> (TestApp, String, String) {
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&t), json!({"name": "phone"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pw = r.body["password"].as_str().unwrap().to_string();
    (app, t, pw)
}

async fn contact(app: &TestApp, t: &str, name: &str) -> Value {
    let r = app
        .post("/api/v1/contacts", Some(t), json!({"full_name": name, "emails": [{"kind": "work", "address": format!("{}@example.com", name.to_lowercase().replace(' ', "."))}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn href(uid: &Value) -> String {
    format!("{BOOK}{}.vcf", uid.as_str().unwrap())
}
