//! `POST /api/v1/scans/device`: a card read in the browser (issue 23) is saved as a contact with
//! `source = device`; what was read is compared with what was saved, as for a server scan; the
//! photo, when kept, becomes the card image with its reading. Bad saves are 4xx naming the part and
//! store nothing. Also the models the browser's reader fetches (`/ocr-models/…`) and the per-user
//! setting of where cards are read.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, backend, Resp, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

const BOUNDARY: &str = "cardcrm-device-boundary";

/// One multipart part: name, optional file name, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Vec<u8>);

async fn send(app: &TestApp, token: Option<&str>, parts: &[Part<'_>]) -> Resp {
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        let file = file.map(|f| format!("; filename=\"{f}\"")).unwrap_or_default();
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/scans/device")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    app.raw(req.body(Body::from(body)).expect("request")).await
}

fn card() -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/synthetic/easy/card-000.jpg");
    std::fs::read(p).expect("fixture card")
}

/// A reading as the on-device reader gives it (`ocr_web::Reader::read`'s `result`) for an image of
/// `w`×`h`: two lines with their boxes, the name and the company pointing at them.
fn reading(w: u32, h: u32) -> Value {
    let quad = |y: f32| json!([[10.0, y], [300.0, y], [300.0, y + 30.0], [10.0, y + 30.0]]);
    json!({
        "fields": {
            "first_name": "Bianca", "last_name": "Lee", "full_name": "Bianca Lee", "company": "Lee Logistcs",
            "phones": [{"kind": "mobile", "number": "+44 7700 900123", "e164": "+447700900123", "blocks": [2]}],
            "emails": [{"address": "bianca@lee.example", "blocks": [3]}],
            "blocks": {"first_name": [0], "last_name": [0], "full_name": [0], "company": [1]}
        },
        "lines": [
            {"text": "Bianca Lee", "confidence": 0.98, "quad": quad(20.0)},
            {"text": "Lee Logistcs", "confidence": 0.91, "quad": quad(60.0)},
            {"text": "+44 7700 900123", "confidence": 0.97, "quad": quad(100.0)},
            {"text": "bianca@lee.example", "confidence": 0.96, "quad": quad(140.0)}
        ],
        "image": {"width": w, "height": h},
        "tried": ["paddle"],
        "hints": {"known_companies": 0, "title_words": 0},
        "timings": {"decode_ms": 20, "ocr_ms": 500, "parse_ms": 1, "qr_ms": 3, "total_ms": 524}
    })
}

fn size_of(bytes: &[u8]) -> (u32, u32) {
    let img = ocr::decode_image(bytes, &ocr::Limits::default()).expect("fixture decodes");
    (img.width(), img.height())
}

/// The contact as the person checked it: the company's typo mended.
fn contact() -> Value {
    json!({
        "first_name": "Bianca", "last_name": "Lee", "company": "Lee Logistics",
        "phones": [{"kind": "mobile", "number": "+44 7700 900123"}],
        "emails": [{"kind": "work", "address": "bianca@lee.example"}],
        "source": "ocr"
    })
}

async fn counts(app: &TestApp) -> (u64, u64) {
    let contacts = entity::contact::Entity::find().count(&app.svc.db).await.expect("count contacts");
    let scans = entity::card_scan::Entity::find().count(&app.svc.db).await.expect("count scans");
    (contacts, scans)
}

#[tokio::test]
async fn a_card_read_on_the_device_is_saved_with_its_corrections_and_no_photo() {
    let app = app().await;
    let token = app.admin().await;
    // Without the photo the lines stay on the device: only the fields go.
    let mut front = reading(0, 0);
    front["lines"] = json!([]);
    let save = json!({"contact": contact(), "front": front}).to_string().into_bytes();
    let r = send(&app, Some(&token), &[("save", None, save)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{} ({})", r.body, backend());
    let cid = r.body["contact"]["id"].as_i64().expect("contact id");
    assert_eq!(r.body["contact"]["source"], "device", "the service sets the source whatever was sent");
    let fields = r.body["fields"].as_array().expect("fields");
    let company = fields.iter().find(|f| f["field"] == "company").expect("company compared");
    assert_eq!((company["read"].as_str(), company["saved"].as_str()), (Some("Lee Logistcs"), Some("Lee Logistics")));
    // No card image; the corrections are stored without a scan, and the parser learns from them.
    let cards = app.get(&format!("/api/v1/contacts/{cid}/cards"), &token).await;
    assert_eq!(cards.body, json!([]), "{}", cards.body);
    assert_eq!(counts(&app).await, (1, 0));
    let rows = entity::ocr_correction::Entity::find()
        .filter(entity::ocr_correction::Column::ContactId.eq(cid))
        .all(&app.svc.db)
        .await
        .expect("corrections");
    assert!(rows.iter().all(|r| r.scan_id.is_none()) && rows.iter().any(|r| r.field == "company"), "{rows:?}");
    let hints = service::scans::corrections::hints(&app.svc).await.expect("hints");
    assert!(hints.known_companies.contains(&"Lee Logistics".to_string()), "{hints:?}");
    // The contact's history says where it came from like any other creation.
    let c = app.get(&format!("/api/v1/contacts/{cid}"), &token).await;
    assert_eq!(c.body["company"], "Lee Logistics");
}

#[tokio::test]
async fn a_kept_photo_becomes_the_card_image_with_its_reading() {
    let app = app().await;
    let token = app.admin().await;
    let photo = card();
    let (w, h) = size_of(&photo);
    let save = json!({"contact": contact(), "front": reading(w, h)}).to_string().into_bytes();
    let r = send(&app, Some(&token), &[("save", None, save), ("front_photo", Some("card.jpg"), photo.clone())]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{} ({})", r.body, backend());
    let cid = r.body["contact"]["id"].as_i64().expect("contact id");
    let cards = app.get(&format!("/api/v1/contacts/{cid}/cards"), &token).await;
    assert_eq!(cards.body.as_array().map(Vec::len), Some(1), "{}", cards.body);
    assert_eq!(cards.body[0]["side"], "front");
    let scan_id = cards.body[0]["scan_id"].as_i64().expect("scan id");
    // The scan holds the photo and the device's reading: it opens in the editor, read-only, saved.
    let img = app.get(&format!("/api/v1/scans/{scan_id}/image"), &token).await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers[header::CONTENT_TYPE], "image/jpeg");
    let d = app.get(&format!("/api/v1/scans/{scan_id}/draft"), &token).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!((d.body["engine"].as_str(), d.body["status"].as_str()), (Some("device"), Some("done")));
    assert_eq!(d.body["contact_id"], cid);
    assert_eq!(d.body["lines"].as_array().map(Vec::len), Some(4));
    assert_eq!(d.body["fields"]["company"]["blocks"], json!([1]));
    assert_eq!(d.body["width"], w);
    let rows = entity::ocr_correction::Entity::find()
        .filter(entity::ocr_correction::Column::ScanId.eq(scan_id))
        .count(&app.svc.db)
        .await
        .expect("corrections");
    assert!(rows > 0);
    // Saved once: the scan cannot be saved a second time through the server's save either.
    let again = app.post(&format!("/api/v1/scans/{scan_id}/save"), Some(&token), json!({"contact": contact()})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn bad_device_saves_are_refused_naming_the_part_and_store_nothing() {
    let app = app().await;
    let token = app.admin().await;
    let photo = card();
    let (w, h) = size_of(&photo);
    let good = || json!({"contact": contact(), "front": reading(w, h)});
    let bytes = |v: Value| v.to_string().into_bytes();
    let cases: Vec<(Vec<Part>, StatusCode, &str)> = vec![
        (vec![], StatusCode::BAD_REQUEST, "save"),
        (vec![("front_photo", Some("a.jpg"), photo.clone())], StatusCode::BAD_REQUEST, "save"),
        (vec![("save", None, b"{not json".to_vec())], StatusCode::UNPROCESSABLE_ENTITY, "save"),
        (vec![("save", None, bytes(json!({"contact": contact()})))], StatusCode::UNPROCESSABLE_ENTITY, "save"),
        (vec![("save", None, bytes(good())), ("extra", None, b"x".to_vec())], StatusCode::BAD_REQUEST, "extra"),
        (vec![("save", None, bytes(good())), ("save", None, bytes(good()))], StatusCode::BAD_REQUEST, "twice"),
        (
            vec![("save", None, bytes(good())), ("front_photo", Some("a.jpg"), b"not an image".to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "front_photo",
        ),
        (
            // The reading is of another image than the photo.
            vec![
                ("save", None, bytes(json!({"contact": contact(), "front": reading(w + 1, h)}))),
                ("front_photo", Some("a.jpg"), photo.clone()),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "front_photo",
        ),
        (
            vec![("save", None, bytes(good())), ("back_photo", Some("b.jpg"), photo.clone())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "back",
        ),
        (
            vec![("save", None, {
                let mut v = good();
                v["front"]["lines"][0]["quad"] = json!([[0, 0], [1, 1], [2, 2]]);
                bytes(v)
            })],
            StatusCode::UNPROCESSABLE_ENTITY,
            "front",
        ),
        (
            vec![("save", None, {
                let mut v = good();
                v["front"]["lines"] = Value::Array(vec![v["front"]["lines"][0].clone(); 1001]);
                bytes(v)
            })],
            StatusCode::UNPROCESSABLE_ENTITY,
            "1000",
        ),
        (
            vec![(
                "save",
                None,
                bytes(json!({"contact": {"emails": [{"address": "not an address"}]}, "front": reading(w, h)})),
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            vec![(
                "save",
                None,
                bytes(json!({"contact": {"first_name": "A", "source": "fax"}, "front": reading(w, h)})),
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
            "source",
        ),
    ];
    for (parts, status, names) in cases {
        let r = send(&app, Some(&token), &parts).await;
        let what: Vec<&str> = parts.iter().map(|p| p.0).collect();
        assert_eq!(r.status, status, "{what:?}: {}", r.body);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(names), "{what:?}: the detail should name `{names}`: {detail}");
    }
    assert_eq!(counts(&app).await, (0, 0), "a refused save stores nothing ({})", backend());
    let files = std::fs::read_dir(app.svc.scans.data_dir().join("scans")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "no photo kept for a refused save");
    // Not signed in: 401, and nothing read.
    let r = send(&app, None, &[("save", None, bytes(good()))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

#[tokio::test]
async fn the_models_are_served_for_the_browser_and_nothing_else() {
    let app = app().await;
    // Only the pinned names; a path outside the models directory is not one of them.
    for bad in ["/ocr-models/passwd", "/ocr-models/..%2F..%2FCargo.toml", "/ocr-models/ppocrv5_det.onnx.br"] {
        let r = app.call(Method::GET, bad, None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.body);
        assert!(r.body["detail"].is_string(), "{bad}: {}", r.body);
    }
    let dir = app.svc.scans.models_dir().to_path_buf();
    if !dir.join("ppocr_keys_v5.txt").is_file() {
        eprintln!("SKIP: OCR models not installed — run scripts/fetch-models.sh models");
        return;
    }
    let r = app.raw(Request::get("/ocr-models/ppocr_keys_v5.txt").body(Body::empty()).expect("request")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CACHE_CONTROL], "public, max-age=604800");
    let len: u64 = r.headers[header::CONTENT_LENGTH].to_str().expect("length").parse().expect("number");
    assert_eq!(len, std::fs::metadata(dir.join("ppocr_keys_v5.txt")).expect("file").len());
}

#[tokio::test]
async fn where_cards_are_read_is_a_setting_of_each_person() {
    let app = app().await;
    let admin = app.admin().await;
    let _colleague = app.user(&admin, "colleague").await;
    let svc = &app.svc;
    let actor = |id: i64| service::Actor { user_id: id, username: format!("user{id}"), is_admin: false };
    let (a, b) = (actor(1), actor(2));
    assert_eq!(service::accounts::prefs::scan_reader(svc, &a).await.expect("read"), "server");
    assert_eq!(service::accounts::prefs::set_scan_reader(svc, &a, " Device ").await.expect("set"), "device");
    assert_eq!(service::accounts::prefs::scan_reader(svc, &a).await.expect("read"), "device");
    assert_eq!(service::accounts::prefs::scan_reader(svc, &b).await.expect("read"), "server", "another person's");
    let e = service::accounts::prefs::set_scan_reader(svc, &a, "cloud").await.expect_err("unknown");
    assert_eq!(e.status(), 422);
    assert!(e.to_string().contains("server, device, offline"), "{e}");
    assert_eq!(service::accounts::prefs::scan_reader(svc, &a).await.expect("read"), "device", "unchanged");
}
