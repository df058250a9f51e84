//! Google Cloud Vision as an OCR engine (issue 22), against a local fake of `images:annotate`
//! (an axum server on 127.0.0.1 inside the test; no network): a card read by `google` gives the
//! parsed fields and the boxes; a failing, slow or nonsensical answer falls back to the local
//! engine and the scan records which engine read it; without a key the engine is refused and never
//! called. Needs the OCR models (`scripts/fetch-models.sh models`) for the fallback, like `scans.rs`.

mod common;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use common::{Resp, TestApp};
use serde_json::{json, Value};
use service::integrations as integ;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "AIzaSyTEST-google-vision-key-0123456789";
const ACCESS_TOKEN: &str = "ya29.test-access-token";
const SA_EMAIL: &str = "cardcrm-ocr@cardcrm-test.iam.gserviceaccount.com";
/// A throw-away RSA key made for this test only (`openssl genpkey -algorithm RSA`), PKCS#8 as in
/// Google's key files, and its public half (PKCS#1 DER, base64) the fake token endpoint checks with.
const SA_PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCbTf92S6PG7cQ0\nFnfi0b5Ta5cCRtVmCEZqXL8uyk+TGMSNHTEFfPdgddcyt/NWidzI96+gKTXlqXRb\naxEPuA565Iq+sJrQofRDV79NIoFx/M+Kq+clwzAUyCkF3Ls2o+moL9UOwIu+SfOf\nZASNzfdJlTimbWR0Z37/N+M3+IvF5HR6Pj4l4UU9mvPQ+itp0jTgqqgyMF13gFh8\nCBreyvIYHWgmP+KmMCoJEicFZDsVfgUy6r0XEYxAvoChlEePeaVL0jIexwZrFQup\nqn9CEwC+fGTxTi53cdzLpRbs/1Glc1inSEHZYySEac0CcK93Q28cDan7RUNsAfoF\nxWpSd+RLAgMBAAECggEADaJb1o1ObATssCv2y21heZ5c7AC+9E2urODGkfuF3+KR\nQtg4uQQfDZNa2KOIk+TXgrcn7nYfurFVOz9biJc+gjB1M8d6V+2X7Z+S9lkcpx6s\nM77itJB9tJ1b6J1XvDTIqxDD8h8aRZLlde1IbxCRcJ7OkeHRq1x4rDxCUOQblTxV\nkqAwNXsfr50yIgmIkeE13BXIRbzpa7bOdGNtegNIWjO/aMtK4orU9PS7lfG+6r13\neg8Nrf159Q9c2Pnb+ykkIQ2w7pZ7Wnnsf/OJmwSqsWNa9Ov4oZw1CQQB1dnqy0II\nU1PVatwAOTwVnZzHDA0EW1QemAIB1MmInwmyncpDKQKBgQDYdDDzhayi2KPJOSQD\nQ8I10KnJd7jBQpghd7LyPQMmSKq4rQ8+cZx1Jp7tNIWYMOR/Cz0MRHZPMh5UCJN7\n47l32piE5DsYkCn+WtZzbZJRJszM+6fpNq2pLteQc6ahb9ulUYBJF2X7KKQVCHXY\na+64MNKEou8MHB4Hx/cBWOcCuQKBgQC3rcj/47Yg7TaghA0gDfTG9r8Rm2yL07h8\npHOwJKCw+xIPck59R6fRdab4pUW8kSe4JMNCkB/bbyozY+lqYegIJai8aUUS8Xyj\nukf/Kzue7UTsr/OqpxbMqgnBZCffCDztfu5+QWF4l83eKphSXmv9RZQYGixaj5ze\nv+T79qgtIwKBgFssTfY1hyss34iBxhaN8v8h/nJ7OFpHR7dJKRn58xqsHyUc2D/w\nMPvzoZu+tMsPRR/yRuuk5sSjEr1Iw366xEOk0vue+vl0uAuIja4fKDOAiWGKWwbT\n3kBWF7yjyjtT14wCEWw4K9+oFb06TBE2HV5+Sh5OVyydp1SVuQhbPysZAoGAAMSX\nPIqlLkoPmmgy7dlhFpvdfKNbttHxyYOegDQG//ZswufFcDymdPe69Psr6Xfp5Jky\nv8p+d5plYMWgKjOylqYhqHgAM+4SiVS0DFsP6sAvM5YgvKvqKnzjgY17pTERoCSR\ntrFrSOfJko43CNEgPnTWA6vIV7CWBVBkErGbTmUCgYAKAb9WUIzftNacT+RnkQVg\neN2jdbFyGESFs6u81Z/Tin/WnSnVZHTV6uUJm8FSAsZzjF0Aa4Oc6GT9Yvg+SYSw\naWotx2lEA0V70vknKQObZX7sDnbC5T310O+Ah61Yr+SwLrRLgxJaoCWNAQUOQPWX\nxO0vZzaBOwyvO98FBagijg==\n-----END PRIVATE KEY-----";
const SA_PUBLIC_KEY_DER_B64: &str = "MIIBCgKCAQEAm03/dkujxu3ENBZ34tG+U2uXAkbVZghGaly/LspPkxjEjR0xBXz3YHXXMrfzVoncyPevoCk15al0W2sRD7gOeuSKvrCa0KH0Q1e/TSKBcfzPiqvnJcMwFMgpBdy7NqPpqC/VDsCLvknzn2QEjc33SZU4pm1kdGd+/zfjN/iLxeR0ej4+JeFFPZrz0PoradI04KqoMjBdd4BYfAga3sryGB1oJj/ipjAqCRInBWQ7FX4FMuq9FxGMQL6AoZRHj3mlS9IyHscGaxULqap/QhMAvnxk8U4ud3Hcy6UW7P9RpXNYp0hB2WMkhGnNAnCvd0NvHA2p+0VDbAH6BcVqUnfkSwIDAQAB";
const BOUNDARY: &str = "cardcrm-test-boundary";

/// What the fake answers.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Card,
    Fail500,
    Garbage,
    Slow,
}

struct Fake {
    mode: Mutex<Mode>,
    calls: AtomicUsize,
    token_calls: AtomicUsize,
    /// The base URL, for the token's audience.
    base: Mutex<String>,
    /// Problems found in the requests (wrong key, feature, image); empty when all were right.
    problems: Mutex<Vec<String>>,
    /// Size of the last image sent (width, height).
    sent: Mutex<Option<(u32, u32)>>,
}

impl Fake {
    fn new() -> Arc<Fake> {
        Arc::new(Fake {
            mode: Mutex::new(Mode::Card),
            calls: AtomicUsize::new(0),
            token_calls: AtomicUsize::new(0),
            base: Mutex::default(),
            problems: Mutex::default(),
            sent: Mutex::default(),
        })
    }
    fn set(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// One word of the answer: its letters (the last one with `brk`, Google's detected break) and its
/// box, vertices clockwise from the top-left as read.
fn word(text: &str, x: i64, y: i64, w: i64, h: i64, brk: Option<&str>) -> Value {
    let n = text.chars().count();
    let symbols: Vec<Value> = text
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let mut s = json!({"text": c.to_string(), "confidence": 0.99});
            if i + 1 == n {
                if let Some(b) = brk {
                    s["property"] = json!({"detectedBreak": {"type": b}});
                }
            }
            s
        })
        .collect();
    json!({
        "property": {"detectedLanguages": [{"languageCode": "ru", "confidence": 1}]},
        "boundingBox": {"vertices": [{"x": x, "y": y}, {"x": x + w, "y": y}, {"x": x + w, "y": y + h}, {"x": x, "y": y + h}]},
        "symbols": symbols,
        "confidence": 0.98
    })
}

/// A line of words starting at (x, y), in a paragraph of its own block.
fn line(words: &[&str], x: i64, y: i64, h: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = x;
    for (i, w) in words.iter().enumerate() {
        let width = 18 * w.chars().count() as i64;
        let brk = if i + 1 == words.len() { "EOL_SURE_SPACE" } else { "SPACE" };
        out.push(word(w, at, y, width, h, Some(brk)));
        at += width + 12;
    }
    out
}

/// The text lines of the fake card, in the sent image's pixels: (words, x, y, height).
const CARD: &[(&[&str], i64, i64, i64)] = &[
    (&["Анна", "Петрова"], 300, 400, 60),
    (&["Генеральный", "директор"], 300, 480, 40),
    (&["ООО", "«Ромашка»"], 300, 560, 40),
    (&["Тел.:", "+7", "(495)", "123-45-67"], 300, 900, 36),
    (&["anna.petrova@romashka.ru"], 300, 960, 36),
    (&["www.romashka.ru"], 300, 1020, 36),
];

/// A DOCUMENT_TEXT_DETECTION answer for the card: the name and title in one block (two lines of
/// one paragraph), the rest a block each.
fn card_answer() -> Value {
    let para = |lines: &[(&[&str], i64, i64, i64)]| {
        let words: Vec<Value> = lines.iter().flat_map(|(w, x, y, h)| line(w, *x, *y, *h)).collect();
        json!({"boundingBox": {"vertices": []}, "words": words, "confidence": 0.98})
    };
    let mut blocks = vec![json!({"blockType": "TEXT", "paragraphs": [para(&CARD[..2])], "confidence": 0.98})];
    for l in &CARD[2..] {
        blocks.push(json!({"blockType": "TEXT", "paragraphs": [para(std::slice::from_ref(l))], "confidence": 0.97}));
    }
    let text: String = CARD.iter().map(|(w, ..)| w.join(" ") + "\n").collect();
    json!({"responses": [{
        "textAnnotations": [{"locale": "ru", "description": text}],
        "fullTextAnnotation": {"pages": [{"width": 3072, "height": 2304, "blocks": blocks}], "text": text}
    }]})
}

async fn annotate(State(f): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    f.calls.fetch_add(1, Ordering::SeqCst);
    let mut problems = Vec::new();
    let key = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok());
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if key != Some(KEY) && bearer != Some(&format!("Bearer {ACCESS_TOKEN}")) {
        problems
            .push(format!("neither the API key in X-Goog-Api-Key nor the access token (key {key:?}, auth {bearer:?})"));
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let r = &req["requests"][0];
    if r["features"] != json!([{"type": "DOCUMENT_TEXT_DETECTION"}]) {
        problems.push(format!("features {}", r["features"]));
    }
    let image = r["image"]["content"].as_str().and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok());
    match image.as_deref().map(|b| (b.starts_with(&[0xFF, 0xD8]), ocr::decode_image(b, &ocr::Limits::default()))) {
        Some((true, Ok(img))) => *f.sent.lock().unwrap() = Some((img.width(), img.height())),
        _ => problems.push("the image is not a base64 JPEG".into()),
    }
    f.problems.lock().unwrap().extend(problems);
    let mode = *f.mode.lock().unwrap();
    match mode {
        Mode::Card => Json(card_answer()).into_response(),
        Mode::Fail500 => {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"code": 500, "message": "internal"}})))
                .into_response()
        }
        Mode::Garbage => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"responses\": [{\"fullTextAn")
                .into_response()
        }
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(card_answer()).into_response()
        }
    }
}

/// Google's OAuth token endpoint: a JWT bearer grant signed by the service account's key.
async fn token(State(f): State<Arc<Fake>>, body: String) -> Response {
    f.token_calls.fetch_add(1, Ordering::SeqCst);
    let form: std::collections::HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        f.problems.lock().unwrap().push(format!("grant_type {:?}", form.get("grant_type")));
        return StatusCode::BAD_REQUEST.into_response();
    }
    let der = base64::engine::general_purpose::STANDARD.decode(SA_PUBLIC_KEY_DER_B64).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    let aud = format!("{}/token", f.base.lock().unwrap());
    v.set_audience(&[aud]);
    v.set_issuer(&[SA_EMAIL]);
    let jwt = form.get("assertion").cloned().unwrap_or_default();
    match jsonwebtoken::decode::<Value>(&jwt, &jsonwebtoken::DecodingKey::from_rsa_der(&der), &v) {
        Ok(t)
            if t.claims["scope"] == "https://www.googleapis.com/auth/cloud-vision"
                && t.header.kid.as_deref() == Some("test-key-1") =>
        {
            Json(json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"})).into_response()
        }
        other => {
            f.problems.lock().unwrap().push(format!("the assertion: {:?}", other.map(|t| t.claims)));
            (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response()
        }
    }
}

/// The fake API (and token endpoint, at `/token`); its base URL.
async fn fake_api(fake: Arc<Fake>) -> String {
    let router = Router::new()
        .route("/v1/images:annotate", post(annotate))
        .route("/token", post(token))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    *fake.base.lock().unwrap() = format!("http://{addr}");
    format!("http://{addr}")
}

/// The app, its administrator's token, and a fake API it may call (127.0.0.1 is allowed by the
/// operator, as a stored base must otherwise be public https); nothing configured yet.
async fn env() -> (TestApp, String, Arc<Fake>, String) {
    std::env::set_var(service::platform::outbound::ALLOW_HOSTS_ENV, "127.0.0.1");
    let app = common::app().await;
    let token = app.admin().await;
    let fake = Fake::new();
    let base = fake_api(fake.clone()).await;
    (app, token, fake, base)
}

async fn setting(app: &TestApp, name: &str, value: &str) {
    integ::store_setting(&app.svc, None, name, value).await.expect("store setting");
}

async fn engine_order(app: &TestApp, token: &str, order: Value) -> Resp {
    app.put("/api/v1/admin/settings", token, json!({"default_phone_region": "RU", "ocr_engine_order": order})).await
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/real").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> i64 {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"card.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/scans")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request");
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    r.body["id"].as_i64().expect("id")
}

async fn wait_done(app: &TestApp, token: &str, id: i64) -> Value {
    let start = Instant::now();
    loop {
        let r = app.get(&format!("/api/v1/scans/{id}"), token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let status = r.body["status"].as_str().unwrap_or_default().to_string();
        if status == "done" || status == "failed" {
            return r.body;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "scan {id} still {status} after 10 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn rerun(app: &TestApp, token: &str, id: i64, engine: Option<&str>) -> Resp {
    let q = engine.map(|e| format!("?engine={e}")).unwrap_or_default();
    app.call(Method::POST, &format!("/api/v1/scans/{id}/rerun{q}"), Some(token), None).await
}

fn emails(scan: &Value) -> Vec<String> {
    scan["fields"]["emails"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["address"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_read_by_google_gives_the_parsed_fields_and_the_boxes() {
    let (app, token, fake, base) = env().await;
    setting(&app, "GOOGLE_VISION_API_KEY", KEY).await;
    setting(&app, "GOOGLE_VISION_API_BASE", &base).await;
    let settings = app.get("/api/v1/admin/settings", &token).await;
    assert!(settings.body["available_engines"].as_array().unwrap().contains(&json!("google")), "{}", settings.body);
    let r = engine_order(&app, &token, json!(["google", "paddle"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["ocr_engine_order"], json!(["google", "paddle"]));

    let worker = service::scans::Worker::start(app.svc.clone());
    let id = upload(&app, &token, &fixture("contoso-avery.jpg")).await;
    let scan = wait_done(&app, &token, id).await;
    assert_eq!(scan["status"], "done", "{scan}");
    assert_eq!(scan["engine"], "google", "{scan}");
    assert_eq!(scan["tried"], json!(["google"]));
    assert_eq!(fake.calls(), 1);
    assert!(fake.problems.lock().unwrap().is_empty(), "{:?}", fake.problems.lock().unwrap());

    // One line per text line, Cyrillic kept, in the uploaded image's pixels: the 4032×3024 photo
    // was sent at 3072 pixels wide, and the boxes are scaled back.
    let (sent_w, sent_h) = fake.sent.lock().unwrap().expect("an image was sent");
    assert_eq!((sent_w, sent_h), (3072, 2304));
    let scale = 4032.0 / 3072.0;
    let lines = scan["lines"].as_array().expect("lines");
    let texts: Vec<&str> = lines.iter().filter_map(|l| l["text"].as_str()).collect();
    assert_eq!(
        texts,
        [
            "Анна Петрова",
            "Генеральный директор",
            "ООО «Ромашка»",
            "Тел.: +7 (495) 123-45-67",
            "anna.petrova@romashka.ru",
            "www.romashka.ru"
        ]
    );
    let quad = &lines[0]["quad"];
    let (x0, y0) = (quad[0][0].as_f64().unwrap(), quad[0][1].as_f64().unwrap());
    assert!((x0 - 300.0 * scale).abs() < 1.0 && (y0 - 400.0 * scale).abs() < 1.0, "{quad}");
    let x2 = quad[2][0].as_f64().unwrap();
    let right = 300 + 18 * 4 + 12 + 18 * 7; // "Анна" then "Петрова"
    assert!((x2 - right as f64 * scale).abs() < 1.0, "{quad}");

    // The parser read the fields, each naming its source line.
    let f = &scan["fields"];
    assert_eq!(f["first_name"], "Анна", "{f}");
    assert_eq!(f["last_name"], "Петрова", "{f}");
    assert_eq!(emails(&scan), ["anna.petrova@romashka.ru"]);
    let phones: Vec<&str> = f["phones"].as_array().unwrap().iter().filter_map(|p| p["e164"].as_str()).collect();
    assert_eq!(phones, ["+74951234567"], "{f}");
    assert!(f["company"].as_str().is_some_and(|c| c.contains("Ромашка")), "{f}");
    assert_eq!(f["emails"][0]["blocks"], json!([4]), "{f}");

    // The draft editor gets the same lines and boxes.
    let admin = service::accounts::auth::actor_by_username(&app.svc, "admin").await.expect("admin");
    let draft = service::scans::draft(&app.svc, &admin, id).await.expect("draft");
    assert_eq!(draft.engine.as_deref(), Some("google"));
    assert_eq!(draft.lines.len(), 6);
    assert_eq!((draft.width, draft.height), (4032, 3024));

    // Read again with google by name: the API is called again.
    let r = rerun(&app, &token, id, Some("google")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let scan = wait_done(&app, &token, id).await;
    assert_eq!(scan["engine"], "google", "{scan}");
    assert_eq!(fake.calls(), 2);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_slow_or_nonsensical_google_falls_back_to_paddle() {
    let (app, token, fake, base) = env().await;
    setting(&app, "GOOGLE_VISION_API_KEY", KEY).await;
    setting(&app, "GOOGLE_VISION_API_BASE", &base).await;
    setting(&app, "GOOGLE_VISION_TIMEOUT", "1").await;
    // Only google in the order: the local engines still follow it.
    let r = engine_order(&app, &token, json!(["google"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let worker = service::scans::Worker::start(app.svc.clone());

    fake.set(Mode::Fail500);
    let id = upload(&app, &token, &fixture("contoso-avery.jpg")).await;
    let scan = wait_done(&app, &token, id).await;
    assert_eq!(scan["status"], "done", "{scan}");
    assert_eq!(scan["engine"], "paddle", "{scan}");
    assert_eq!(scan["tried"][0], "google: error", "{scan}");
    assert!(emails(&scan).contains(&"avery.smith@contoso.com".to_string()), "{}", scan["fields"]);
    assert_eq!(fake.calls(), 1);

    for (mode, calls) in [(Mode::Garbage, 2), (Mode::Slow, 3)] {
        fake.set(mode);
        let started = Instant::now();
        let r = rerun(&app, &token, id, None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let scan = wait_done(&app, &token, id).await;
        assert_eq!(scan["status"], "done", "{mode:?}: {scan}");
        assert_eq!(scan["engine"], "paddle", "{mode:?}: {scan}");
        assert_eq!(scan["tried"][0], "google: error", "{mode:?}: {scan}");
        assert!(emails(&scan).contains(&"avery.smith@contoso.com".to_string()), "{mode:?}");
        assert_eq!(fake.calls(), calls, "{mode:?}");
        if mode == Mode::Slow {
            // The 1 s timeout, not the fake's 5 s, bounded the wait for Google.
            let ocr_ms = scan["timings"]["ocr_ms"].as_u64().unwrap();
            assert!(ocr_ms >= 1000, "{ocr_ms}");
            assert!(started.elapsed() < Duration::from_secs(300));
        }
    }
    // A named rerun with google falls back too.
    fake.set(Mode::Fail500);
    assert_eq!(rerun(&app, &token, id, Some("google")).await.status, StatusCode::ACCEPTED);
    let scan = wait_done(&app, &token, id).await;
    assert_eq!((scan["status"].as_str(), scan["engine"].as_str()), (Some("done"), Some("paddle")), "{scan}");
    assert!(fake.problems.lock().unwrap().is_empty(), "{:?}", fake.problems.lock().unwrap());
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_google_is_refused_and_never_called() {
    let (app, token, fake, base) = env().await;
    // A base alone is not a configuration.
    setting(&app, "GOOGLE_VISION_API_BASE", &base).await;
    let settings = app.get("/api/v1/admin/settings", &token).await;
    assert!(!settings.body["available_engines"].as_array().unwrap().contains(&json!("google")), "{}", settings.body);
    let r = engine_order(&app, &token, json!(["google", "paddle"])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("not configured")), "{}", r.body);

    let worker = service::scans::Worker::start(app.svc.clone());
    let id = upload(&app, &token, &fixture("contoso-avery.jpg")).await;
    let scan = wait_done(&app, &token, id).await;
    assert_eq!(scan["engine"], "paddle", "{scan}");
    let r = rerun(&app, &token, id, Some("google")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("engine")), "{}", r.body);

    // Configured, put in the order, then the key removed: the stored order still names google, but
    // it is left out (and not shown), and the card is read here.
    setting(&app, "GOOGLE_VISION_API_KEY", KEY).await;
    assert_eq!(engine_order(&app, &token, json!(["google", "paddle"])).await.status, StatusCode::OK);
    setting(&app, "GOOGLE_VISION_API_KEY", "").await;
    let settings = app.get("/api/v1/admin/settings", &token).await;
    assert_eq!(settings.body["ocr_engine_order"], json!(["paddle"]), "{}", settings.body);
    let id2 = upload(&app, &token, &fixture("contoso-chris.jpg")).await;
    let scan = wait_done(&app, &token, id2).await;
    assert_eq!(scan["status"], "done", "{scan}");
    assert_eq!(scan["engine"], "paddle", "{scan}");
    assert_eq!(scan["tried"], json!(["paddle"]));
    assert_eq!(fake.calls(), 0, "the API was called without a key");
    worker.shutdown().await;
}

#[tokio::test]
async fn the_key_is_masked_and_a_stored_base_follows_the_outbound_rule() {
    let (app, token, _fake, _base) = env().await;
    setting(&app, "GOOGLE_VISION_API_KEY", KEY).await;
    let admin = service::accounts::auth::actor_by_username(&app.svc, "admin").await.expect("admin");
    let status = integ::status(&app.svc, &admin).await.expect("status");
    assert!(status.google_vision_configured);
    let key = status.settings.iter().find(|s| s.name == "GOOGLE_VISION_API_KEY").expect("listed");
    assert!(key.secret && key.value.as_deref().is_some_and(|v| v.starts_with("••") && !v.contains("AIza")), "{key:?}");
    // Plain http to a host nobody allowed, a private address, a bad timeout: 422 naming the setting.
    for (name, value) in [
        ("GOOGLE_VISION_API_BASE", "http://vision.example.com"),
        ("GOOGLE_VISION_API_BASE", "https://10.1.2.3"),
        ("GOOGLE_VISION_TIMEOUT", "10m"),
        ("GOOGLE_VISION_TIMEOUT", "soon"),
    ] {
        let e = integ::set_setting(&app.svc, &admin, name, value).await.expect_err(value);
        assert_eq!(e.status(), 422, "{name}={value}: {e}");
    }
    // The audit log never holds the key.
    let audit = app.get("/api/v1/admin/audit", &token).await;
    assert!(!audit.body.to_string().contains(KEY), "{}", audit.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_signs_for_a_token_that_is_reused() {
    let (app, token, fake, base) = env().await;
    let key_file = json!({
        "type": "service_account",
        "project_id": "cardcrm-test",
        "private_key_id": "test-key-1",
        "private_key": SA_PRIVATE_KEY,
        "client_email": SA_EMAIL,
        "token_uri": format!("{base}/token"),
    })
    .to_string();
    // A key file that is not one is refused when stored.
    let admin = service::accounts::auth::actor_by_username(&app.svc, "admin").await.expect("admin");
    let bad = key_file.replace("service_account", "user");
    let e = integ::set_setting(&app.svc, &admin, "GOOGLE_VISION_CREDENTIALS", &bad).await.expect_err("refused");
    assert_eq!(e.status(), 422, "{e}");
    setting(&app, "GOOGLE_VISION_CREDENTIALS", &key_file).await;
    setting(&app, "GOOGLE_VISION_API_BASE", &base).await;
    let status = integ::status(&app.svc, &admin).await.expect("status");
    assert!(status.google_vision_configured);
    let shown = status.settings.iter().find(|s| s.name == "GOOGLE_VISION_CREDENTIALS").expect("listed");
    assert!(shown.value.as_deref().is_some_and(|v| !v.contains("PRIVATE")), "{shown:?}");
    assert_eq!(engine_order(&app, &token, json!(["google", "paddle"])).await.status, StatusCode::OK);

    let worker = service::scans::Worker::start(app.svc.clone());
    let id = upload(&app, &token, &fixture("contoso-avery.jpg")).await;
    let scan = wait_done(&app, &token, id).await;
    assert_eq!(scan["engine"], "google", "{scan}");
    assert_eq!(emails(&scan), ["anna.petrova@romashka.ru"]);
    let id2 = upload(&app, &token, &fixture("contoso-chris.jpg")).await;
    let scan = wait_done(&app, &token, id2).await;
    assert_eq!(scan["engine"], "google", "{scan}");
    assert!(fake.problems.lock().unwrap().is_empty(), "{:?}", fake.problems.lock().unwrap());
    assert_eq!((fake.calls(), fake.token_calls.load(Ordering::SeqCst)), (2, 1), "one token for both cards");
    // The audit log never holds the private key.
    let audit = app.get("/api/v1/admin/audit", &token).await;
    assert!(!audit.body.to_string().contains("PRIVATE KEY"));
    worker.shutdown().await;
}
