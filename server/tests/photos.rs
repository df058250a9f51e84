//! Contact photos through the real router (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): set,
//! read, replace and remove over REST; refused kinds and sizes as 4xx with a detail; vCard import
//! keeps a photo and export writes it back byte for byte (4.0 and 3.0); a re-import changes
//! nothing; an import adds a photo only where there is none and its undo takes it away; CardDAV
//! GET carries the photo (a large one as a small copy), PUT sets and removes it, and ETags move; a merge copies a photo to a
//! survivor without one and its undo removes the copy.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use common::{app, Resp, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BOOK: &str = "/dav/addressbooks/admin/contacts/";
const BOUNDARY: &str = "cardcrm-photo-boundary";

fn fixture(path: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn jpeg() -> Vec<u8> {
    fixture("photos/card-crop.jpg")
}

fn png() -> Vec<u8> {
    fixture("photos/card-crop.png")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A request answered with its raw body (images are not JSON).
async fn send(app: &TestApp, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let resp = app.router.clone().oneshot(req).await.expect("router answered");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024).await.expect("body");
    (status, headers, bytes.to_vec())
}

fn detail(body: &[u8]) -> String {
    let v: Value =
        serde_json::from_slice(body).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)));
    v["detail"].as_str().unwrap_or_else(|| panic!("no detail: {v}")).to_string()
}

async fn put_photo(
    app: &TestApp,
    t: &str,
    id: i64,
    content_type: Option<&str>,
    bytes: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let mut r = Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/contacts/{id}/photo"))
        .header(header::AUTHORIZATION, format!("Bearer {t}"));
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    let (status, _, body) = send(app, r.body(Body::from(bytes)).unwrap()).await;
    (status, body)
}

async fn get_photo(app: &TestApp, t: &str, id: i64) -> (StatusCode, HeaderMap, Vec<u8>) {
    let r = Request::builder()
        .uri(format!("/api/v1/contacts/{id}/photo"))
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .body(Body::empty())
        .unwrap();
    send(app, r).await
}

async fn delete_photo(app: &TestApp, t: &str, id: i64) -> StatusCode {
    app.call(Method::DELETE, &format!("/api/v1/contacts/{id}/photo"), Some(t), None).await.status
}

async fn contact(app: &TestApp, t: &str, body: Value) -> Value {
    let r = app.post("/api/v1/contacts", Some(t), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn history_photo_entries(app: &TestApp, t: &str, id: i64) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/contacts/{id}/history"), t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["changes"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["field"] == "photo")
        .collect()
}

#[tokio::test]
async fn a_photo_is_set_read_replaced_and_removed_through_rest() {
    let app = app().await;
    let t = app.admin().await;
    let c = contact(&app, &t, json!({"full_name": "Avery Lens", "company": "Contoso"})).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["has_photo"], false);
    let (status, _, body) = get_photo(&app, &t, id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(detail(&body).contains("no photo"), "{}", detail(&body));

    // Set: 204, then the same bytes back with their type, a strong ETag and no sniffing.
    let (status, body) = put_photo(&app, &t, id, Some("image/jpeg"), jpeg()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{}", String::from_utf8_lossy(&body));
    let (status, headers, body) = get_photo(&app, &t, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, jpeg());
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap().starts_with("private"));
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    // Asked again with that ETag: 304, no body.
    let r = Request::builder()
        .uri(format!("/api/v1/contacts/{id}/photo"))
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, r).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    // The contact and the list say so; the list carries no image bytes.
    let c = app.get(&format!("/api/v1/contacts/{id}"), &t).await.body;
    assert_eq!(c["has_photo"], true);
    assert_eq!(c["version"], 1, "a photo does not move the version an edit form holds");
    let list = app.get("/api/v1/contacts", &t).await.body;
    assert_eq!(list["items"][0]["has_photo"], true);
    assert!(!list.to_string().contains(&b64(&jpeg())[..40]));

    // Replace, with the type taken from the bytes (a PNG sent as image/jpeg is a PNG).
    let (status, _) = put_photo(&app, &t, id, Some("image/jpeg; charset=binary"), png()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, headers, body) = get_photo(&app, &t, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, png());
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_ne!(headers[header::ETAG].to_str().unwrap(), etag);

    // Another member of the team sees it, as they see the contact.
    let other = app.user(&t, "colleague").await;
    assert_eq!(get_photo(&app, &other, id).await.0, StatusCode::OK);

    // Remove: 204, then 404; removing nothing is 204 again.
    assert_eq!(delete_photo(&app, &t, id).await, StatusCode::NO_CONTENT);
    assert_eq!(get_photo(&app, &t, id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(delete_photo(&app, &t, id).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &t).await.body["has_photo"], false);

    // The history names each change, never the bytes.
    let changes = history_photo_entries(&app, &t, id).await;
    let pairs: Vec<(String, String)> = changes
        .iter()
        .map(|c| (c["from"].as_str().unwrap().to_string(), c["to"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(pairs.len(), 3, "{pairs:?}");
    assert!(pairs.iter().any(|(f, t)| f.is_empty() && t.starts_with("JPEG, ")), "{pairs:?}");
    assert!(pairs.iter().any(|(f, t)| f.starts_with("JPEG") && t.starts_with("PNG, ")), "{pairs:?}");
    assert!(pairs.iter().any(|(f, t)| f.starts_with("PNG") && t.is_empty()), "{pairs:?}");
}

#[tokio::test]
async fn bad_photos_are_refused_with_a_detail_and_nothing_is_kept() {
    let app = app().await;
    let t = app.admin().await;
    let id = contact(&app, &t, json!({"full_name": "Refused Photo"})).await["id"].as_i64().unwrap();
    // (what, Content-Type, body, answer, what the detail says)
    type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "text",
            Some("image/png"),
            b"just some text, not an image".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a JPEG",
        ),
        (
            "svg",
            Some("image/png"),
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect/></svg>".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "SVG",
        ),
        ("svg declared", Some("image/svg+xml"), b"<svg/>".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        (
            "truncated jpeg",
            Some("image/jpeg"),
            jpeg()[..jpeg().len() / 2].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot be read",
        ),
        ("empty", Some("image/jpeg"), Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "empty"),
        ("text/plain", Some("text/plain"), jpeg(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        ("no type", None, jpeg(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        (
            "oversize",
            Some("image/jpeg"),
            vec![0xFF; service::contacts::photos::MAX_PHOTO_BYTES + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit",
        ),
    ];
    for (what, ct, bytes, want, says) in cases {
        let (status, body) = put_photo(&app, &t, id, ct, bytes).await;
        assert_eq!(status, want, "{what}: {}", String::from_utf8_lossy(&body));
        let d = detail(&body);
        assert!(d.contains(says), "{what}: {d}");
    }
    assert_eq!(get_photo(&app, &t, id).await.0, StatusCode::NOT_FOUND, "nothing was kept");
    assert!(history_photo_entries(&app, &t, id).await.is_empty());

    // Unknown contact, bad id, no sign-in, another site's cookie write.
    assert_eq!(put_photo(&app, &t, 999_999, Some("image/jpeg"), jpeg()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get_photo(&app, &t, 999_999).await.0, StatusCode::NOT_FOUND);
    let r = app.call(Method::GET, "/api/v1/contacts/abc/photo", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = Request::builder().uri(format!("/api/v1/contacts/{id}/photo")).body(Body::empty()).unwrap();
    assert_eq!(send(&app, r).await.0, StatusCode::UNAUTHORIZED);
    let r = Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/contacts/{id}/photo"))
        .header(header::HOST, "crm.example.com")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "image/jpeg")
        .body(Body::from(jpeg()))
        .unwrap();
    let (status, _, body) = send(&app, r).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));

    // In the trash: the photo can be seen, not changed (as the contact).
    assert_eq!(put_photo(&app, &t, id, Some("image/jpeg"), jpeg()).await.0, StatusCode::NO_CONTENT);
    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(get_photo(&app, &t, id).await.0, StatusCode::OK);
    let (status, body) = put_photo(&app, &t, id, Some("image/png"), png()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&body));
    assert!(detail(&body).contains("trash"));
    assert_eq!(delete_photo(&app, &t, id).await, StatusCode::CONFLICT);
    assert_eq!(get_photo(&app, &t, id).await.2, jpeg());
}

async fn upload(app: &TestApp, t: &str, query: &str, file_name: &str, bytes: &[u8]) -> Value {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/imports{query}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .body(Body::from(body))
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let start = Instant::now();
    loop {
        let r = app.get(&format!("/api/v1/imports/{id}?limit=200"), t).await;
        let status = r.body["status"].as_str().unwrap_or_default().to_string();
        if ["done", "failed", "undone"].contains(&status.as_str()) {
            assert_eq!(status, "done", "{}", r.body);
            return r.body;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "import {id} still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn export(app: &TestApp, t: &str, query: &str) -> String {
    let r = app.get(&format!("/api/v1/export?{query}"), t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    match r.body {
        Value::String(s) => s,
        other => panic!("not text: {other}"),
    }
}

/// The value of the first `PHOTO` property of a vCard text, unfolded, with its parameters.
fn photo_prop(vcf: &str) -> (String, String) {
    let unfolded = vcf.replace("\r\n ", "");
    let line = unfolded.lines().find(|l| l.starts_with("PHOTO")).unwrap_or_else(|| panic!("no PHOTO in {vcf}"));
    let (name, value) = line.split_once(':').unwrap();
    (name.to_string(), value.to_string())
}

#[tokio::test]
async fn an_imported_vcard_photo_is_kept_and_exported_byte_for_byte() {
    let app = app().await;
    let t = app.admin().await;
    let file = fixture("import/photo_v40.vcf");
    // The preview says nothing is written yet.
    let preview = upload(&app, &t, "?dry_run=true", "photo_v40.vcf", &file).await;
    assert_eq!(preview["created"], 1, "{preview}");
    let job = upload(&app, &t, "", "photo_v40.vcf", &file).await;
    assert_eq!(job["created"], 1, "{job}");
    let id = job["rows"][0]["contact_id"].as_i64().unwrap();
    let (status, headers, body) = get_photo(&app, &t, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(body, jpeg(), "the photo is kept as the file had it");

    // vCard 4.0: a data: URI; 3.0: ENCODING=b with the type. Folded at 75 octets, same bytes.
    for (version, prefix) in [("4.0", "data:image/jpeg;base64,"), ("3.0", "")] {
        let vcf = export(&app, &t, &format!("format=vcf&version={version}")).await;
        assert!(vcf.split("\r\n").all(|l| l.len() <= 75), "{version}: a line over 75 octets");
        let (name, value) = photo_prop(&vcf);
        if version == "3.0" {
            assert_eq!(name, "PHOTO;ENCODING=b;TYPE=JPEG");
        } else {
            assert_eq!(name, "PHOTO");
        }
        let data = value.strip_prefix(prefix).unwrap_or_else(|| panic!("{version}: {value:.60}"));
        let decoded = base64::engine::general_purpose::STANDARD.decode(data).unwrap();
        assert_eq!(decoded, jpeg(), "{version}");
        // And that export imports back as the same contact: nothing new, the photo untouched.
        let again = upload(&app, &t, "?on_duplicate=merge", "again.vcf", vcf.as_bytes()).await;
        assert_eq!((again["created"].as_i64(), again["updated"].as_i64()), (Some(0), Some(0)), "{version}: {again}");
    }
    // CSV and XLSX have no photo column.
    let csv = export(&app, &t, "format=csv").await;
    let header_line = csv.lines().next().unwrap_or_default().to_lowercase();
    assert!(!header_line.contains("photo") && !csv.contains("/9j/"), "{csv}");

    // Re-importing the file changes nothing (idempotent), not even the history.
    let before = history_photo_entries(&app, &t, id).await.len();
    let job = upload(&app, &t, "", "photo_v40.vcf", &file).await;
    assert_eq!((job["created"].as_i64(), job["updated"].as_i64()), (Some(0), Some(0)), "{job}");
    assert_eq!(history_photo_entries(&app, &t, id).await.len(), before);
    assert_eq!(get_photo(&app, &t, id).await.2, jpeg());
}

#[tokio::test]
async fn an_import_adds_a_photo_only_where_there_is_none_and_undo_takes_it_away() {
    let app = app().await;
    let t = app.admin().await;
    let bare = contact(
        &app,
        &t,
        json!({"full_name": "Mara Quill", "emails": [{"kind": "work", "address": "mara@quill.example"}]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let pictured = contact(
        &app,
        &t,
        json!({"full_name": "Ned Quill", "emails": [{"kind": "work", "address": "ned@quill.example"}]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(put_photo(&app, &t, pictured, Some("image/png"), png()).await.0, StatusCode::NO_CONTENT);
    let card = |name: &str, email: &str| {
        format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{email}\r\nPHOTO;ENCODING=b;TYPE=JPEG:{}\r\nEND:VCARD\r\n",
            b64(&jpeg())
        )
    };
    let file = format!("{}{}", card("Mara Quill", "mara@quill.example"), card("Ned Quill", "ned@quill.example"));
    // The preview mentions the photo it would add, and only there.
    let preview = upload(&app, &t, "?on_duplicate=merge&dry_run=true", "quills.vcf", file.as_bytes()).await;
    let rows = preview["rows"].as_array().unwrap();
    let row = |id: i64| rows.iter().find(|r| r["match_id"] == id).unwrap_or_else(|| panic!("{preview}")).clone();
    assert_eq!(row(bare)["action"], "update", "{preview}");
    assert!(row(bare)["detail"].as_str().unwrap().contains("photo"), "{preview}");
    assert_eq!(row(pictured)["action"], "skip", "a stored photo is never replaced: {preview}");
    assert_eq!(get_photo(&app, &t, bare).await.0, StatusCode::NOT_FOUND, "a preview writes nothing");

    let job = upload(&app, &t, "?on_duplicate=merge", "quills.vcf", file.as_bytes()).await;
    assert_eq!((job["updated"].as_i64(), job["skipped"].as_i64()), (Some(1), Some(1)), "{job}");
    assert_eq!(get_photo(&app, &t, bare).await.2, jpeg());
    assert_eq!(get_photo(&app, &t, pictured).await.2, png(), "kept");

    let r = app.post(&format!("/api/v1/imports/{}/undo", job["id"]), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(get_photo(&app, &t, bare).await.0, StatusCode::NOT_FOUND, "the import's photo went with the undo");
    assert_eq!(get_photo(&app, &t, pictured).await.2, png());

    // A photo chosen after the import is not the import's: its undo leaves it.
    let job = upload(&app, &t, "?on_duplicate=merge", "quills.vcf", file.as_bytes()).await;
    assert_eq!(get_photo(&app, &t, bare).await.2, jpeg());
    assert_eq!(put_photo(&app, &t, bare, Some("image/png"), png()).await.0, StatusCode::NO_CONTENT);
    let r = app.post(&format!("/api/v1/imports/{}/undo", job["id"]), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(get_photo(&app, &t, bare).await.2, png());

    // Created contacts go to the trash with their photo (restorable together).
    let job = upload(&app, &t, "", "new.vcf", card("Olive Quill", "olive@quill.example").as_bytes()).await;
    let olive = job["rows"][0]["contact_id"].as_i64().unwrap();
    assert_eq!(get_photo(&app, &t, olive).await.2, jpeg());
    let r = app.post(&format!("/api/v1/imports/{}/undo", job["id"]), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(app.get(&format!("/api/v1/contacts/{olive}"), &t).await.body["deleted_at"].is_string());
    let r = app.post(&format!("/api/v1/contacts/{olive}/restore"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(get_photo(&app, &t, olive).await.2, jpeg());
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", b64(format!("{user}:{password}").as_bytes()))
}

async fn dav(app: &TestApp, auth: &str, method: &str, path: &str, headers: &[(&str, &str)], body: String) -> Resp {
    let mut r = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header(header::AUTHORIZATION, auth);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    app.raw(r.body(Body::from(body)).unwrap()).await
}

fn text(r: &Resp) -> String {
    match &r.body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn carddav_cards_carry_the_photo_and_a_put_sets_or_removes_it() {
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&t), json!({"name": "phone"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let auth = basic("admin", r.body["password"].as_str().unwrap());
    let c = contact(
        &app,
        &t,
        json!({"full_name": "Dav Photo", "emails": [{"kind": "work", "address": "dav@photo.example"}]}),
    )
    .await;
    let (id, href) = (c["id"].as_i64().unwrap(), format!("{BOOK}{}.vcf", c["uid"].as_str().unwrap()));
    let get = |accept: &'static str| {
        let (app, auth, href) = (&app, auth.clone(), href.clone());
        async move {
            let r = dav(app, &auth, "GET", &href, &[("accept", accept)], String::new()).await;
            assert_eq!(r.status, StatusCode::OK, "{}", text(&r));
            (r.headers[header::ETAG].to_str().unwrap().to_string(), text(&r))
        }
    };
    let (e0, card) = get("text/vcard").await;
    assert!(!card.contains("PHOTO"), "{card}");

    // A photo set in cardcrm reaches the phone, with a new ETag.
    assert_eq!(put_photo(&app, &t, id, Some("image/jpeg"), jpeg()).await.0, StatusCode::NO_CONTENT);
    let (e1, card) = get("text/vcard").await;
    assert_ne!(e1, e0);
    let (name, value) = photo_prop(&card);
    assert_eq!(name, "PHOTO;ENCODING=b;TYPE=JPEG");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(value).unwrap(), jpeg());
    let (_, card4) = get("text/vcard; version=4.0").await;
    assert!(photo_prop(&card4).1.starts_with("data:image/jpeg;base64,"), "{card4}");
    // A multiget answer carries it too.
    let body = format!(
        r#"<?xml version="1.0"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop><d:href>{href}</d:href></c:addressbook-multiget>"#
    );
    let r = dav(&app, &auth, "REPORT", BOOK, &[("depth", "1"), ("content-type", "application/xml")], body).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", text(&r));
    assert!(text(&r).contains("PHOTO;ENCODING=b;TYPE=JPEG:"), "{}", text(&r));
    // Replacing it in cardcrm moves the ETag again.
    assert_eq!(put_photo(&app, &t, id, Some("image/png"), png()).await.0, StatusCode::NO_CONTENT);
    let (e2, card) = get("text/vcard").await;
    assert_ne!(e2, e1);

    // The phone sends the card back unchanged: the photo stays, no photo history entry.
    let entries = history_photo_entries(&app, &t, id).await.len();
    let r = dav(&app, &auth, "PUT", &href, &[("if-match", &e2), ("content-type", "text/vcard")], card.clone()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    assert_eq!(get_photo(&app, &t, id).await.2, png());
    assert_eq!(history_photo_entries(&app, &t, id).await.len(), entries);

    // The person removed the photo on the phone: the card comes back without PHOTO.
    let (e3, card) = get("text/vcard").await;
    let without: String =
        card.replace("\r\n ", "").split("\r\n").filter(|l| !l.starts_with("PHOTO")).collect::<Vec<_>>().join("\r\n");
    let r = dav(&app, &auth, "PUT", &href, &[("if-match", &e3), ("content-type", "text/vcard")], without).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    assert_eq!(get_photo(&app, &t, id).await.0, StatusCode::NOT_FOUND);
    let (e4, card) = get("text/vcard").await;
    assert_ne!(e4, e3);
    assert!(!card.contains("PHOTO"));

    // The phone sets one (vCard 4.0 data: URI): kept byte for byte.
    let with = card.replace("END:VCARD", &format!("PHOTO:data:image/jpeg;base64,{}\r\nEND:VCARD", b64(&jpeg())));
    let r = dav(&app, &auth, "PUT", &href, &[("if-match", &e4), ("content-type", "text/vcard")], with).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    assert_eq!(get_photo(&app, &t, id).await.2, jpeg());
    let (e5, _) = get("text/vcard").await;

    // A PHOTO we do not keep (here SVG) leaves the stored one; the rest of the card is written.
    let (_, card) = get("text/vcard").await;
    let svg = b64(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let mut lines: Vec<String> = card.replace("\r\n ", "").split("\r\n").map(str::to_string).collect();
    for l in lines.iter_mut() {
        if l.starts_with("PHOTO") {
            *l = format!("PHOTO;ENCODING=b;TYPE=SVG:{svg}");
        }
        if l.starts_with("FN:") {
            *l = "FN:Dav Photo Renamed".into();
        }
    }
    let r =
        dav(&app, &auth, "PUT", &href, &[("if-match", &e5), ("content-type", "text/vcard")], lines.join("\r\n")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    assert_eq!(get_photo(&app, &t, id).await.2, jpeg());
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &t).await.body["full_name"], "Dav Photo Renamed");

    // A new contact from the phone with a photo.
    let new = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-1\r\nFN:Phone Made\r\nPHOTO;ENCODING=b;TYPE=PNG:{}\r\nEND:VCARD\r\n",
        b64(&png())
    );
    let r = dav(&app, &auth, "PUT", &format!("{BOOK}phone-made-1.vcf"), &[("if-none-match", "*")], new).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", text(&r));
    let list = app.get("/api/v1/contacts?q=Phone%20Made", &t).await.body;
    let made = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(list["items"][0]["has_photo"], true);
    assert_eq!(get_photo(&app, &t, made).await.2, png());
}

/// Width and height of a JPEG, read from its header.
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let r = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Jpeg);
    r.into_dimensions().expect("a JPEG")
}

#[tokio::test]
async fn phones_get_a_small_copy_of_a_large_photo_and_sending_it_back_keeps_the_original() {
    use sea_orm::EntityTrait;
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&t), json!({"name": "phone"})).await;
    let auth = basic("admin", r.body["password"].as_str().unwrap());
    let c = contact(&app, &t, json!({"full_name": "Large Photo", "company": "Lens"})).await;
    let (id, href) = (c["id"].as_i64().unwrap(), format!("{BOOK}{}.vcf", c["uid"].as_str().unwrap()));
    // A camera photo (wider than 720 px): kept as sent.
    let big = fixture("photos/three-cards.jpg");
    let (w, h) = jpeg_size(&big);
    assert!(w.max(h) > service::contacts::photos::PHONE_SIDE, "the fixture must be larger than a phone's copy");
    assert_eq!(put_photo(&app, &t, id, Some("image/jpeg"), big.clone()).await.0, StatusCode::NO_CONTENT);

    // Over CardDAV: a JPEG of at most 720 px a side, smaller than the original, the same each time.
    let r = dav(&app, &auth, "GET", &href, &[], String::new()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", text(&r));
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    let card = text(&r);
    let (name, value) = photo_prop(&card);
    assert_eq!(name, "PHOTO;ENCODING=b;TYPE=JPEG");
    let small = base64::engine::general_purpose::STANDARD.decode(value).unwrap();
    let (sw, sh) = jpeg_size(&small);
    assert_eq!(sw.max(sh), service::contacts::photos::PHONE_SIDE, "{sw}×{sh}");
    assert!((sw as f64 / sh as f64 - w as f64 / h as f64).abs() < 0.01, "the shape is kept");
    assert!(small.len() < big.len());
    let stored = entity::contact_photo::Entity::find_by_id(id).one(&app.svc.db).await.unwrap().unwrap();
    assert_eq!(stored.phone_data.as_deref(), Some(small.as_slice()), "the small copy is kept, not made again");
    let r = dav(&app, &auth, "GET", &href, &[], String::new()).await;
    assert_eq!(photo_prop(&text(&r)).1, photo_prop(&card).1);
    // The REST API and the UI still give the original.
    assert_eq!(get_photo(&app, &t, id).await.2, big);

    // The phone edits the name and sends the card back with the small copy: the original stays.
    let entries = history_photo_entries(&app, &t, id).await.len();
    let edited = card.replace("FN:Large Photo", "FN:Large Photo Edited");
    let r = dav(&app, &auth, "PUT", &href, &[("if-match", &etag), ("content-type", "text/vcard")], edited).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &t).await.body["full_name"], "Large Photo Edited");
    assert_eq!(get_photo(&app, &t, id).await.2, big);
    assert_eq!(history_photo_entries(&app, &t, id).await.len(), entries, "no photo change recorded");

    // A new photo drops the old small copy; a small photo goes to phones as it is.
    assert_eq!(put_photo(&app, &t, id, Some("image/jpeg"), jpeg()).await.0, StatusCode::NO_CONTENT);
    let stored = entity::contact_photo::Entity::find_by_id(id).one(&app.svc.db).await.unwrap().unwrap();
    assert_eq!(stored.phone_data, None);
    let r = dav(&app, &auth, "GET", &href, &[], String::new()).await;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(photo_prop(&text(&r)).1).unwrap(), jpeg());
}

#[tokio::test]
async fn a_merge_gives_a_survivor_without_a_photo_a_copy_and_undo_removes_it() {
    let app = app().await;
    let t = app.admin().await;
    let a = contact(&app, &t, json!({"full_name": "Iris Vale", "company": "Vale Ltd"})).await["id"].as_i64().unwrap();
    let b = contact(
        &app,
        &t,
        json!({"full_name": "Iris Vale", "emails": [{"kind": "work", "address": "iris@vale.example"}]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(put_photo(&app, &t, b, Some("image/jpeg"), jpeg()).await.0, StatusCode::NO_CONTENT);
    let version = |id: i64| {
        let app = &app;
        let t = t.clone();
        async move { app.get(&format!("/api/v1/contacts/{id}"), &t).await.body["version"].as_i64().unwrap() }
    };
    let versions = json!({a.to_string(): version(a).await, b.to_string(): version(b).await});
    let preview =
        app.post("/api/v1/contacts/merge", Some(&t), json!({"ids": [a, b], "survivor_id": a, "dry_run": true})).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["survivor"]["has_photo"], true);
    let r = app
        .post("/api/v1/contacts/merge", Some(&t), json!({"ids": [a, b], "survivor_id": a, "versions": versions}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["survivor"]["has_photo"], true);
    let merge_id = r.body["merge_id"].as_i64().unwrap();
    assert_eq!(get_photo(&app, &t, a).await.2, jpeg(), "the survivor got a copy");
    assert_eq!(get_photo(&app, &t, b).await.2, jpeg(), "the merged-away contact keeps its own");
    assert!(history_photo_entries(&app, &t, a).await.iter().any(|c| c["to"].as_str().unwrap().starts_with("JPEG")));

    let r = app.post(&format!("/api/v1/merges/{merge_id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(get_photo(&app, &t, a).await.0, StatusCode::NOT_FOUND, "the copy went with the undo");
    assert_eq!(get_photo(&app, &t, b).await.2, jpeg());

    // A survivor with a photo of its own keeps it.
    assert_eq!(put_photo(&app, &t, a, Some("image/png"), png()).await.0, StatusCode::NO_CONTENT);
    let versions = json!({a.to_string(): version(a).await, b.to_string(): version(b).await});
    let r = app
        .post("/api/v1/contacts/merge", Some(&t), json!({"ids": [a, b], "survivor_id": a, "versions": versions}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(get_photo(&app, &t, a).await.2, png());
}

#[tokio::test]
async fn the_openapi_document_describes_the_photo_exactly() {
    let app = app().await;
    let t = app.admin().await;
    let doc = app.get("/api/v1/openapi.json", &t).await.body;
    let ops = &doc["paths"]["/api/v1/contacts/{id}/photo"];
    let types = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let images = vec!["image/gif", "image/jpeg", "image/png", "image/webp"];
    assert_eq!(types(&ops["get"]["responses"]["200"]["content"]), images);
    assert!(ops["get"]["responses"]["304"].is_object());
    assert_eq!(types(&ops["put"]["requestBody"]["content"]), images);
    assert_eq!(ops["put"]["requestBody"]["required"], true);
    for code in ["204", "401", "403", "404", "409", "413", "415", "422"] {
        assert!(ops["put"]["responses"][code].is_object(), "put {code}");
    }
    for code in ["204", "404", "409"] {
        assert!(ops["delete"]["responses"][code].is_object(), "delete {code}");
    }
    assert_eq!(doc["components"]["schemas"]["Contact"]["properties"]["has_photo"]["type"], "boolean");
}
