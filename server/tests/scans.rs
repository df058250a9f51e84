//! `/api/v1/scans`: upload → queued → read by the worker → done with fields; bad uploads refused
//! with a JSON detail and nothing stored; the same image twice reuses the result.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, backend, Resp, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::time::{Duration, Instant};

const BOUNDARY: &str = "cardcrm-test-boundary";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/real").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

async fn upload(app: &TestApp, token: Option<&str>, part: &str, file_name: &str, bytes: &[u8]) -> Resp {
    upload_at(app, "/api/v1/scans", token, part, file_name, bytes).await
}

/// `POST /api/v1/scans?cards=…` with one `file` part.
async fn upload_to(app: &TestApp, token: &str, query: &str, bytes: &[u8]) -> Resp {
    upload_at(app, &format!("/api/v1/scans{query}"), Some(token), "file", "photo.jpg", bytes).await
}

async fn upload_at(app: &TestApp, uri: &str, token: Option<&str>, part: &str, file_name: &str, bytes: &[u8]) -> Resp {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    app.raw(req.body(Body::from(body)).expect("request")).await
}

async fn wait_done(app: &TestApp, token: &str, id: i64) -> Resp {
    let start = Instant::now();
    loop {
        let r = app.get(&format!("/api/v1/scans/{id}"), token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let status = r.body["status"].as_str().unwrap_or_default().to_string();
        if status == "done" || status == "failed" {
            return r;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "scan {id} still {status} after 10 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scan_rows(app: &TestApp) -> u64 {
    entity::card_scan::Entity::find().count(&app.svc.db).await.expect("count")
}

fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.svc.scans.data_dir().join("scans")).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_is_read_and_the_same_image_reuses_the_result() {
    let app = app().await;
    let token = app.admin().await;
    let worker = service::scans::Worker::start(app.svc.clone());
    let image = fixture("contoso-avery.jpg");

    let r = upload(&app, Some(&token), "file", "card.jpg", &image).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{} ({})", r.body, backend());
    assert_eq!(r.body["status"], "queued");
    let id = r.body["id"].as_i64().expect("id");

    let r = wait_done(&app, &token, id).await;
    assert_eq!(r.body["status"], "done", "{}", r.body);
    let emails: Vec<&str> =
        r.body["fields"]["emails"].as_array().expect("emails").iter().filter_map(|e| e["address"].as_str()).collect();
    assert!(emails.contains(&"avery.smith@contoso.com"), "{}", r.body["fields"]);
    assert!(r.body["lines"].as_array().is_some_and(|l| !l.is_empty()));
    assert!(r.body["lines"][0]["quad"].as_array().is_some_and(|q| q.len() == 4));
    assert!(r.body["timings"]["total_ms"].is_u64());
    assert_eq!(r.body["content_type"], "image/jpeg");

    // The event stream of a finished scan: one `done` event with the whole scan, then the end.
    let events = app.get(&format!("/api/v1/scans/{id}/events"), &token).await;
    assert_eq!(events.status, StatusCode::OK);
    assert!(events.headers[header::CONTENT_TYPE].to_str().is_ok_and(|v| v.starts_with("text/event-stream")));
    let text = events.body.as_str().expect("event stream text");
    assert!(text.contains("event: done") && text.contains("avery.smith@contoso.com"), "{text}");

    // The stored image comes back as uploaded.
    let req = Request::builder()
        .uri(format!("/api/v1/scans/{id}/image"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "image/jpeg");
    let bytes = axum::body::to_bytes(resp.into_body(), 20 << 20).await.expect("body");
    assert_eq!(bytes.as_ref(), image.as_slice());

    // The same image again: done at once with the same fields, one file on disk.
    let again = upload(&app, Some(&token), "file", "again.jpg", &image).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    assert_eq!(again.body["status"], "done");
    let id2 = again.body["id"].as_i64().expect("id");
    assert_ne!(id, id2);
    let r2 = app.get(&format!("/api/v1/scans/{id2}"), &token).await;
    assert_eq!(r2.body["fields"], r.body["fields"]);
    assert_eq!(stored_files(&app), 1);

    // Another user does not see it; an unknown engine is refused.
    let other = app.user(&token, "someone").await;
    assert_eq!(app.get(&format!("/api/v1/scans/{id}"), &other).await.status, StatusCode::NOT_FOUND);
    let r = app.call(Method::POST, &format!("/api/v1/scans/{id}/rerun?engine=cloud"), Some(&token), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("engine")));

    // A rerun with the default engine reads it again.
    let r = app.call(Method::POST, &format!("/api/v1/scans/{id}/rerun?engine=paddle"), Some(&token), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = wait_done(&app, &token, id).await;
    assert_eq!(r.body["status"], "done", "{}", r.body);
    assert_eq!(r.body["engine"], "paddle");
    worker.shutdown().await;
}

/// A PNG that is only a header claiming `w`×`h` pixels (plus an end chunk): a decompression bomb.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn bad_uploads_are_refused_and_nothing_is_stored() {
    let app = app().await;
    let token = app.admin().await;
    let jpeg = fixture("contoso-avery.jpg");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not an image", b"hello, this is a text file\n".to_vec(), "not a supported image"),
        ("truncated JPEG", jpeg[..jpeg.len() / 2].to_vec(), "truncated"),
        ("empty file", Vec::new(), "empty"),
        ("20000x20000 PNG header", png_header(20_000, 20_000), "exceed"),
    ];
    for (what, bytes, expect) in cases {
        let r = upload(&app, Some(&token), "file", "x.jpg", &bytes).await;
        assert!(r.status.is_client_error(), "{what}: {} {} ({})", r.status, r.body, backend());
        let detail = r.body["detail"].as_str().unwrap_or_else(|| panic!("{what}: no JSON detail: {}", r.body));
        assert!(detail.contains(expect), "{what}: {detail}");
    }
    // No `file` part at all.
    let r = upload(&app, Some(&token), "photo", "x.jpg", &jpeg).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["detail"].is_string());

    assert_eq!(scan_rows(&app).await, 0);
    assert_eq!(stored_files(&app), 0);
    assert_eq!(app.get("/api/v1/scans/12345", &token).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_oversized_upload_is_a_json_413() {
    let app = app().await;
    let token = app.admin().await;
    let mut big = vec![0u8; 11 * 1024 * 1024];
    big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    let r = upload(&app, Some(&token), "file", "big.jpg", &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body["detail"].is_string(), "{}", r.body);
    assert_eq!(scan_rows(&app).await, 0);
}

#[tokio::test]
async fn scans_need_a_signed_in_user() {
    let app = app().await;
    let r = upload(&app, None, "file", "card.jpg", b"whatever").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body["detail"].is_string());
    let r = app.call(Method::GET, "/api/v1/scans/1", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.call(Method::GET, "/api/v1/scans/1/events", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(scan_rows(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_left_processing_by_a_crash_is_read_on_restart() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = app().await;
    let token = app.admin().await;
    let r = upload(&app, Some(&token), "file", "card.jpg", &fixture("contoso-avery.jpg")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    // What a process that died mid-read leaves behind: processing, its heartbeat long stopped.
    entity::card_scan::Entity::update_many()
        .col_expr(entity::card_scan::Column::Status, sea_orm::sea_query::Expr::value("processing"))
        .col_expr(
            entity::card_scan::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(5)),
        )
        .filter(entity::card_scan::Column::Id.eq(id))
        .exec(&app.svc.db)
        .await
        .expect("update");
    let worker = service::scans::Worker::start(app.svc.clone());
    // Follow it with the event stream: status changes, then `done`, then the stream ends.
    let events = app.get(&format!("/api/v1/scans/{id}/events"), &token).await;
    let text = events.body.as_str().expect("event stream text");
    assert!(text.contains("event: status") && text.contains("event: done"), "{text}");
    let r = wait_done(&app, &token, id).await;
    assert_eq!(r.body["status"], "done", "{} ({})", r.body, backend());
    assert_eq!(r.body["attempts"], 1);
    worker.shutdown().await;
}

/// Upload a fixture card and wait for it to be read; returns the scan id.
async fn read_fixture(app: &TestApp, token: &str, name: &str) -> i64 {
    let r = upload(app, Some(token), "file", name, &fixture(name)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{} ({})", r.body, backend());
    let id = r.body["id"].as_i64().expect("id");
    let r = wait_done(app, token, id).await;
    assert_eq!(r.body["status"], "done", "{}", r.body);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_card_is_saved_as_a_contact_with_its_images_and_corrections() {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let app = app().await;
    let token = app.admin().await;
    let worker = service::scans::Worker::start(app.svc.clone());
    let front = read_fixture(&app, &token, "contoso-avery.jpg").await;
    let back = read_fixture(&app, &token, "contoso-chris.jpg").await;

    // The editor's view: typed lines with boxes, the image size, fields pointing at real lines.
    let d = app.get(&format!("/api/v1/scans/{front}/draft"), &token).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let n_lines = d.body["lines"].as_array().expect("lines").len();
    assert!(n_lines >= 8, "{}", d.body);
    assert_eq!(d.body["width"], 4032, "{}", d.body["width"]);
    assert_eq!(d.body["fields"]["company"]["value"], "Contoso");
    let blocks = d.body["fields"]["company"]["blocks"].as_array().expect("company blocks");
    assert!(!blocks.is_empty() && blocks.iter().all(|b| (b.as_u64().unwrap() as usize) < n_lines));
    assert_eq!(d.body["fields"]["position"]["value"], "Senior Researcher");

    // Save it as the user checked it: the position line moved to the department, a new position typed.
    let body = serde_json::json!({
        "back_scan_id": back,
        "contact": {
            "prefix": "Dr.", "first_name": "Avery", "last_name": "Smith", "company": "Contoso Research",
            "position": "Principal Zymurgist", "department": "Senior Researcher",
            "emails": [{"kind": "work", "address": "avery.smith@contoso.com"}],
            "phones": [{"kind": "mobile", "number": "+44 (0) 7911 123456"}],
            "website": "https://www.contoso.com/", "address": "2 Kingdom Street, Paddington, London, W2 6BD",
            "source": "manual"
        }
    });
    let r = app.post(&format!("/api/v1/scans/{front}/save"), Some(&token), body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{} ({})", r.body, backend());
    let cid = r.body["contact"]["id"].as_i64().expect("contact id");
    assert_eq!(r.body["contact"]["source"], "ocr");
    assert_eq!(r.body["contact"]["full_name"], "Dr. Avery Smith");
    let fields = r.body["fields"].as_array().expect("fields");
    let field = |name: &str| fields.iter().find(|f| f["field"] == name).cloned().unwrap_or_default();
    assert_eq!(field("company")["read"], "Contoso");
    assert_eq!(field("company")["saved"], "Contoso Research");
    assert_eq!(field("position")["read"], "Senior Researcher");
    assert_eq!(field("position")["saved"], "Principal Zymurgist");
    assert_eq!(field("first_name")["read"], field("first_name")["saved"]);
    assert!(field("phones")["read"].as_str().is_some_and(|p| p.contains("+447911123456")), "{}", field("phones"));

    // The contact lists its card images, front first; any signed-in user may view them.
    let cards = app.get(&format!("/api/v1/contacts/{cid}/cards"), &token).await;
    assert_eq!(cards.status, StatusCode::OK, "{}", cards.body);
    assert_eq!(cards.body[0]["scan_id"], front);
    assert_eq!(cards.body[0]["side"], "front");
    assert_eq!(cards.body[1]["scan_id"], back);
    assert_eq!(cards.body[1]["side"], "back");
    let other = app.user(&token, "colleague").await;
    let img = app.get(&format!("/api/v1/scans/{back}/image"), &other).await;
    assert_eq!(img.status, StatusCode::OK);
    let scan = app.get(&format!("/api/v1/scans/{front}"), &token).await;
    assert_eq!(scan.body["contact_id"], cid);

    // Saving the same card again is refused; nothing else was created.
    let again = app.post(&format!("/api/v1/scans/{front}/save"), Some(&token), body).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body["detail"].as_str().is_some_and(|d| d.contains("already saved")));
    let list = app.get("/api/v1/contacts", &token).await;
    assert_eq!(list.body["total"], 1, "{}", list.body);

    // The corrections are stored per field…
    let rows = entity::ocr_correction::Entity::find()
        .filter(entity::ocr_correction::Column::ScanId.eq(front))
        .order_by_asc(entity::ocr_correction::Column::Id)
        .all(&app.svc.db)
        .await
        .expect("corrections");
    let company = rows.iter().find(|r| r.field == "company").expect("company row");
    assert_eq!((company.read_value.as_str(), company.saved_value.as_str()), ("Contoso", "Contoso Research"));
    assert_eq!(company.contact_id, Some(cid));
    // …and become the parser's hints: the company is known, the new title word learned.
    let hints = service::scans::corrections::hints(&app.svc).await.expect("hints");
    assert!(hints.known_companies.contains(&"Contoso Research".to_string()), "{hints:?}");
    assert!(hints.title_words.contains(&"zymurgist".to_string()), "{hints:?}");
    assert!(!hints.title_words.contains(&"principal".to_string()), "built-in word learned again: {hints:?}");
    // The worker reads the next card with them (and still reads it right).
    let r = app.call(Method::POST, &format!("/api/v1/scans/{back}/rerun"), Some(&token), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a saved scan is not re-read: {}", r.body);
    let card = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/synthetic/easy/card-000");
    let bytes = std::fs::read(card.with_extension("jpg")).expect("fixture");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(card.with_extension("json")).expect("truth")).expect("json");
    let next = upload(&app, Some(&token), "file", "card-000.jpg", &bytes).await;
    assert_eq!(next.status, StatusCode::ACCEPTED, "{}", next.body);
    let r = wait_done(&app, &token, next.body["id"].as_i64().expect("id")).await;
    assert_eq!(r.body["hints"]["known_companies"], 1, "{}", r.body["hints"]);
    assert_eq!(r.body["hints"]["title_words"], 1, "{}", r.body["hints"]);
    assert_eq!(r.body["fields"]["company"], truth["company"]);
    assert_eq!(r.body["fields"]["position"], truth["position"]);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_a_scan_checks_its_input() {
    let app = app().await;
    let token = app.admin().await;
    // Not read yet (no worker): 409; unknown: 404; bad contact field: 422 naming it.
    let r = upload(&app, Some(&token), "file", "card.jpg", &fixture("contoso-avery.jpg")).await;
    let id = r.body["id"].as_i64().expect("id");
    let contact = serde_json::json!({"contact": {"first_name": "Avery"}});
    let r = app.post(&format!("/api/v1/scans/{id}/save"), Some(&token), contact.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("still being read")));
    let r = app.post("/api/v1/scans/999999/save", Some(&token), contact.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let worker = service::scans::Worker::start(app.svc.clone());
    assert_eq!(wait_done(&app, &token, id).await.body["status"], "done");
    let r = app
        .post(
            &format!("/api/v1/scans/{id}/save"),
            Some(&token),
            serde_json::json!({"contact": {"first_name": "Avery", "emails": [{"address": "not-an-email"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("emails")), "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/scans/{id}/save"),
            Some(&token),
            serde_json::json!({"contact": {"first_name": "A"}, "back_scan_id": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/scans/{id}/save"),
            Some(&token),
            serde_json::json!({"contact": {"first_name": "A"}, "back_scan_id": 424242}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("back_scan_id")), "{}", r.body);
    // A source outside the enum is refused, not silently replaced by `ocr` (Schemathesis found it).
    let r = app
        .post(
            &format!("/api/v1/scans/{id}/save"),
            Some(&token),
            serde_json::json!({"contact": {"first_name": "A", "source": "fax machine"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("source")), "{}", r.body);
    // Another user cannot save someone else's scan.
    let other = app.user(&token, "other").await;
    let r = app.post(&format!("/api/v1/scans/{id}/save"), Some(&other), contact).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(app.get("/api/v1/contacts", &token).await.body["total"], 0);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_saves_of_one_scan_at_the_same_moment_make_one_contact() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = app().await;
    let token = app.admin().await;
    for round in 0..3 {
        // A read card (marked read directly: the race is in the save, not in the OCR).
        let id = marked_read(&app, &token, &fixture("contoso-avery.jpg")).await;
        let body = serde_json::json!({"contact": {"first_name": "Avery", "last_name": format!("Race{round}")}});
        let path = format!("/api/v1/scans/{id}/save");
        let (a, b) = tokio::join!(app.post(&path, Some(&token), body.clone()), app.post(&path, Some(&token), body));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{} / {} ({})", a.body, b.body, backend());
        let refused = if a.status == StatusCode::CONFLICT { &a } else { &b };
        assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("saved")), "{}", refused.body);
        // Exactly one contact, live or trashed, and the scan points at it.
        let contacts = entity::contact::Entity::find()
            .filter(entity::contact::Column::LastName.eq(format!("Race{round}")))
            .all(&app.svc.db)
            .await
            .expect("contacts");
        assert_eq!(contacts.len(), 1, "{contacts:?} ({})", backend());
        let saved = if a.status == StatusCode::CREATED { &a } else { &b };
        assert_eq!(saved.body["contact"]["id"], contacts[0].id);
        assert!(contacts[0].deleted_at.is_none());
        let scan = app.get(&format!("/api/v1/scans/{id}"), &token).await;
        assert_eq!(scan.body["contact_id"], contacts[0].id);
    }
    assert_eq!(app.get("/api/v1/contacts", &token).await.body["total"], 3);
}

/// An uploaded image marked read directly (the OCR is not what these tests are about); its id.
async fn marked_read(app: &TestApp, token: &str, bytes: &[u8]) -> i64 {
    use sea_orm::{sea_query::Expr, ColumnTrait, QueryFilter};
    let r = upload(app, Some(token), "file", "card.jpg", bytes).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    entity::card_scan::Entity::update_many()
        .col_expr(entity::card_scan::Column::Status, Expr::value("done"))
        .filter(entity::card_scan::Column::Id.eq(id))
        .exec(&app.svc.db)
        .await
        .expect("mark read");
    id
}

/// A small synthetic card that no earlier test or run uploaded: JPEG decoders stop at the end
/// marker, so a random tail makes new bytes (a new SHA-256) of the same picture.
fn fresh_card() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/synthetic/easy/card-000.jpg");
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    bytes.extend_from_slice(format!("{:016x}", rand::random::<u64>()).as_bytes());
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_front_and_back_in_swapped_order_at_once_never_deadlocks() {
    let app = app().await;
    let token = app.admin().await;
    for round in 0..6u32 {
        let a = marked_read(&app, &token, &fresh_card()).await;
        let b = marked_read(&app, &token, &fresh_card()).await;
        // The same card saved twice at the same moment, front and back swapped: each save claims
        // both rows, so without a common lock order each would hold one and wait for the other.
        let body = |front: i64, back: i64| {
            (
                format!("/api/v1/scans/{front}/save"),
                serde_json::json!({"contact": {"full_name": format!("Swap {round}")}, "back_scan_id": back}),
            )
        };
        let (pa, ba) = body(a, b);
        let (pb, bb) = body(b, a);
        let (x, y) = tokio::join!(app.post(&pa, Some(&token), ba), app.post(&pb, Some(&token), bb));
        let mut statuses = [x.status, y.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{} / {} ({})", x.body, y.body, backend());
        let saved = if x.status == StatusCode::CREATED { &x } else { &y };
        let contact = saved.body["contact"]["id"].as_i64().expect("contact id");
        let sides = app.get(&format!("/api/v1/contacts/{contact}/cards"), &token).await;
        assert_eq!(sides.status, StatusCode::OK, "{}", sides.body);
        let sides: Vec<&str> = sides.body.as_array().unwrap().iter().map(|c| c["side"].as_str().unwrap()).collect();
        assert_eq!(sides, ["front", "back"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_another_live_instance_is_reading_is_left_to_it() {
    use sea_orm::{sea_query::Expr, ColumnTrait, QueryFilter};
    let app = app().await;
    let token = app.admin().await;
    let r = upload(&app, Some(&token), "file", "card.jpg", &fresh_card()).await;
    let id = r.body["id"].as_i64().expect("id");
    // Another instance claimed it a moment ago and is reading it (its heartbeat is recent).
    entity::card_scan::Entity::update_many()
        .col_expr(entity::card_scan::Column::Status, Expr::value("processing"))
        .col_expr(entity::card_scan::Column::Attempts, Expr::value(1))
        .col_expr(entity::card_scan::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(entity::card_scan::Column::Id.eq(id))
        .exec(&app.svc.db)
        .await
        .expect("claim");
    assert_eq!(service::scans::requeue_stale(&app.svc, service::scans::STALE).await.unwrap(), 0);
    let worker = service::scans::Worker::start(app.svc.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = app.get(&format!("/api/v1/scans/{id}"), &token).await;
    assert_eq!(r.body["status"], "processing", "{}", r.body);
    assert_eq!(r.body["attempts"], 1);
    // Its heartbeat stops (the instance died): after STALE the scan goes back to the queue.
    entity::card_scan::Entity::update_many()
        .col_expr(
            entity::card_scan::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::from_std(service::scans::STALE).unwrap()),
        )
        .filter(entity::card_scan::Column::Id.eq(id))
        .exec(&app.svc.db)
        .await
        .expect("age");
    worker.shutdown().await;
    assert_eq!(service::scans::requeue_stale(&app.svc, service::scans::STALE).await.unwrap(), 1);
    let r = app.get(&format!("/api/v1/scans/{id}"), &token).await;
    assert_eq!(r.body["status"], "queued", "{}", r.body);
}

/// The app with its Redis client at `url` (as `serve` sets it up when `REDIS_URL` is set).
async fn with_redis(mut app: TestApp, url: &str) -> TestApp {
    let limiter = service::platform::rate_limit::RateLimiter::redis(url, "cardcrm-test:rl:").expect("redis url");
    assert!(limiter.wait_connected(Duration::from_secs(5)).await, "Redis at {url} does not answer");
    app.svc.limiter = std::sync::Arc::new(limiter);
    let mut cfg = server::config::Config::from_env().expect("config");
    cfg.data_dir = app.svc.scans.data_dir().to_path_buf();
    cfg.models_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let state = server::http::state(cfg, app.svc.clone());
    app.svc = state.svc.clone();
    app.router = server::http::router(state);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_image_reuses_the_result_kept_in_redis() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("TEST_REDIS_URL not set: the Redis copy of scan results is not tested");
        return;
    };
    // Two instances that share Redis but not a database: only Redis can carry the result over.
    let first = with_redis(app().await, &url).await;
    let second = with_redis(app().await, &url).await;
    let t1 = first.admin().await;
    let t2 = second.admin().await;
    let image = fresh_card();
    let worker = service::scans::Worker::start(first.svc.clone());
    let r = upload(&first, Some(&t1), "file", "card.jpg", &image).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["status"], "queued");
    let read = wait_done(&first, &t1, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(read.body["status"], "done", "{}", read.body);
    worker.shutdown().await;

    // No worker runs for the second instance: the answer can only come from Redis.
    let again = upload(&second, Some(&t2), "file", "again.jpg", &image).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    assert_eq!(again.body["status"], "done", "{} ({})", again.body, backend());
    let r2 = second.get(&format!("/api/v1/scans/{}", again.body["id"]), &t2).await;
    assert_eq!(r2.body["fields"], read.body["fields"]);
    assert_eq!(r2.body["engine"], read.body["engine"]);
    assert_eq!(r2.body["image_sha256"], read.body["image_sha256"]);
}

// ---- Bounded image work: per-user queue cap, time limit, concurrency ----------------------------

/// The card with a few bytes after the end of the JPEG: a new image (new SHA-256, no cached
/// result) that reads the same.
fn variant(base: &[u8], n: usize) -> Vec<u8> {
    let mut b = base.to_vec();
    b.extend_from_slice(format!("cardcrm test variant {n}").as_bytes());
    b
}

fn synthetic(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/synthetic/easy").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn limits(f: impl FnOnce(&mut service::scans::ScanLimits)) -> service::scans::ScanLimits {
    let mut l = service::scans::ScanLimits::default();
    f(&mut l);
    l
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_too_many_waiting_scans_gets_429_until_they_are_read() {
    let app = common::app_with(|svc| svc.with_scan_limits(limits(|l| l.per_user_queue = 2))).await;
    let token = app.admin().await;
    let base = synthetic("card-001.jpg");
    // No worker yet: the scans stay queued.
    let mut ids = Vec::new();
    for n in 0..2 {
        let r = upload(&app, Some(&token), "file", "card.jpg", &variant(&base, n)).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{} ({})", r.body, backend());
        assert_eq!(r.body["status"], "queued");
        ids.push(r.body["id"].as_i64().expect("id"));
    }
    let r = upload(&app, Some(&token), "file", "card.jpg", &variant(&base, 2)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("2 cards waiting") && detail.contains("at most 2"), "{detail}");
    assert_eq!(scan_rows(&app).await, 2, "nothing is stored for a refused upload");
    // Another user has their own room.
    let other = app.user(&token, "another").await;
    let r = upload(&app, Some(&other), "file", "card.jpg", &variant(&base, 3)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);

    // Once read, the scans leave the queue and there is room again.
    let worker = service::scans::Worker::start(app.svc.clone());
    for id in &ids {
        let r = wait_done(&app, &token, *id).await;
        assert_eq!(r.body["status"], "done", "{}", r.body);
    }
    let r = upload(&app, Some(&token), "file", "card.jpg", &variant(&base, 4)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_over_the_time_limit_fails_with_the_reason_and_the_worker_moves_on() {
    let app = common::app_with(|svc| {
        svc.with_scan_limits(limits(|l| {
            l.time_limit = Duration::from_millis(1);
            l.concurrency = 2;
        }))
    })
    .await;
    let token = app.admin().await;
    let worker = service::scans::Worker::start(app.svc.clone());
    let base = synthetic("card-001.jpg");
    for n in 0..2 {
        let r = upload(&app, Some(&token), "file", "card.jpg", &variant(&base, n)).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{} ({})", r.body, backend());
        let id = r.body["id"].as_i64().expect("id");
        let r = wait_done(&app, &token, id).await;
        assert_eq!(r.body["status"], "failed", "{}", r.body);
        let error = r.body["error"].as_str().unwrap_or_default();
        assert!(error.contains("time limit of 1 ms"), "{error}");
    }
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decodes_and_reads_never_exceed_the_concurrency_bound() {
    const BOUND: usize = 2;
    let app = common::app_with(|svc| {
        svc.with_scan_limits(limits(|l| {
            l.concurrency = BOUND;
            l.per_user_queue = 100;
        }))
    })
    .await;
    let token = app.admin().await;
    let worker = service::scans::Worker::start(app.svc.clone());
    let base = synthetic("card-001.jpg");
    // Six new images at once: six upload checks and six reads compete for the turns.
    let uploads = (0..6).map(|n| {
        let bytes = variant(&base, n);
        let (app, token) = (&app, &token);
        async move { upload(app, Some(token), "file", "card.jpg", &bytes).await }
    });
    let answers = futures_util::future::join_all(uploads).await;
    let mut ids = Vec::new();
    for r in answers {
        assert_eq!(r.status, StatusCode::ACCEPTED, "{} ({})", r.body, backend());
        ids.push(r.body["id"].as_i64().expect("id"));
    }
    for id in ids {
        let r = wait_done(&app, &token, id).await;
        assert_eq!(r.body["status"], "done", "{}", r.body);
    }
    // Counted inside the blocking work itself, at every start.
    let peak = app.svc.scans.peak_in_progress();
    assert!((1..=BOUND).contains(&peak), "at most {BOUND} decodes/reads at once, saw {peak}");
    assert_eq!(app.svc.scans.in_progress(), 0);
    worker.shutdown().await;
}

fn three_cards() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos/three-cards.jpg");
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn lines_text(scan: &serde_json::Value) -> String {
    let lines = scan["lines"].as_array().cloned().unwrap_or_default();
    lines.iter().filter_map(|l| l["text"].as_str()).collect::<Vec<_>>().join("\n").to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_several_cards_becomes_one_scan_per_card_in_reading_order() {
    let app = app().await;
    let token = app.admin().await;
    let worker = service::scans::Worker::start(app.svc.clone());
    let photo = three_cards();

    let r = upload_to(&app, &token, "?cards=auto", &photo).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{} ({})", r.body, backend());
    let cards: Vec<i64> = r.body["cards"].as_array().expect("cards").iter().filter_map(|c| c.as_i64()).collect();
    assert_eq!(cards.len(), 3, "{}", r.body);
    assert_eq!(r.body["id"].as_i64(), Some(cards[0]));
    assert_eq!(scan_rows(&app).await, 3, "one scan per card, none for the whole photo");
    // Rows top to bottom, each left to right: Walker, Bentley, then Ditschlerin below.
    let names = ["walker", "bentley", "ditschlerin"];
    for (id, name) in cards.iter().zip(names) {
        let s = wait_done(&app, &token, *id).await;
        assert_eq!(s.body["status"], "done", "{}", s.body);
        assert_eq!(s.body["content_type"], "image/jpeg");
        let text = lines_text(&s.body);
        assert!(text.contains(name), "scan {id} should be {name}'s card: {text}");
        for other in names.iter().filter(|n| **n != name) {
            assert!(!text.contains(other), "scan {id} holds only {name}'s card, not {other}'s: {text}");
        }
        // Each card's image is that card cut out (its text is that card's only, above).
        let img = app.get(&format!("/api/v1/scans/{id}/image"), &token).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.headers[header::CONTENT_TYPE], "image/jpeg");
    }

    // The same photo again: the same cards, answered from the earlier readings.
    let r = upload_to(&app, &token, "?cards=auto", &photo).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["status"], "done", "{}", r.body);
    assert_eq!(r.body["cards"].as_array().map(Vec::len), Some(3));

    // Asked to read it as one card (the default), it is one scan.
    let r = upload_to(&app, &token, "", &photo).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    assert_eq!(r.body["cards"], serde_json::json!([id]));
    let r = upload_to(&app, &token, "?cards=one", &variant(&photo, 1)).await;
    assert_eq!(r.body["cards"].as_array().map(Vec::len), Some(1), "{}", r.body);

    // A photo of one card asked with `auto` is read whole.
    let one = fixture("contoso-avery.jpg");
    let r = upload_to(&app, &token, "?cards=auto", &one).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    assert_eq!(r.body["cards"], serde_json::json!([id]));
    let s = wait_done(&app, &token, id).await;
    assert!(lines_text(&s.body).contains("avery"), "{}", s.body);

    // A mode that does not exist is named.
    let r = upload_to(&app, &token, "?cards=many", &photo).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("cards")), "{}", r.body);
    worker.shutdown().await;
}

#[tokio::test]
async fn a_photo_of_more_cards_than_the_queue_has_room_for_stores_none() {
    let app = common::app_with(|svc| svc.with_scan_limits(limits(|l| l.per_user_queue = 2))).await;
    let token = app.admin().await;
    // No worker: nothing leaves the queue. Three cards do not fit in a queue of two.
    let r = upload_to(&app, &token, "?cards=auto", &three_cards()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{} ({})", r.body, backend());
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("this photo holds 3 cards") && detail.contains("at most 2"), "{detail}");
    assert_eq!(scan_rows(&app).await, 0, "no card of the photo is queued when not all of them fit");
    // One card still fits.
    let r = upload_to(&app, &token, "?cards=auto", &fixture("contoso-avery.jpg")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}
