//! Telegram and WhatsApp intake end to end, against local fake Bot API / Graph API servers (axum on
//! 127.0.0.1:0) and the real OCR: secrets and signatures, linking, photo → scan → contact → reply,
//! duplicates, replays, unlinked chats, non-images, oversized downloads, and APIs that time out or
//! answer 500 (retried later; nothing lost, nothing duplicated).

mod common;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{backend, Resp, TestApp};
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use server::webhooks::{Processor, ProcessorOptions};
use service::integrations as integ;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BOT_TOKEN: &str = "123456:TEST-token-for-the-fake-bot-api";
const WEBHOOK_SECRET: &str = "test_webhook-secret_0123456789";
const WA_TOKEN: &str = "EAAG-test-access-token-0123456789";
const WA_APP_SECRET: &str = "whatsapp-app-secret-0123456789";
const WA_VERIFY: &str = "verify-token-0123456789";
const WA_PHONE_ID: &str = "1098765432";
const PUBLIC_URL: &str = "https://crm.example.test";
const TG_USER: i64 = 111_222_333;
const WA_NUMBER: &str = "4915123456789";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards/real").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// What the fake APIs serve and what they were sent.
#[derive(Default)]
struct Fake {
    /// file id / media id → bytes.
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Successfully delivered messages: (chat, text).
    sent: Mutex<Vec<(String, String)>>,
    /// Every API call by name (getFile, sendMessage, media, download…).
    calls: Mutex<Vec<String>>,
    /// The next N message sends answer 500.
    fail_sends: AtomicUsize,
    /// The next N getFile / media lookups hang past the client's timeout.
    stall_lookups: AtomicUsize,
    /// Updates getUpdates hands out (long polling), and the offsets it was asked for.
    queued_updates: Mutex<Vec<Value>>,
    offsets: Mutex<Vec<i64>>,
    /// The last setWebhook request.
    webhook: Mutex<Option<Value>>,
}

impl Fake {
    fn call(&self, name: &str) {
        self.calls.lock().unwrap().push(name.to_string());
    }
    fn calls(&self, name: &str) -> usize {
        self.calls.lock().unwrap().iter().filter(|c| *c == name).count()
    }
    fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }
    fn sent_to(&self, chat: &str) -> Vec<String> {
        self.sent().into_iter().filter(|(c, _)| c == chat).map(|(_, t)| t).collect()
    }
    fn add_file(&self, id: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(id.to_string(), bytes);
    }
    async fn maybe_stall(&self) {
        if self.stall_lookups.load(Ordering::SeqCst) > 0 {
            self.stall_lookups.fetch_sub(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(4)).await;
        }
    }
    fn send_fails(&self) -> bool {
        if self.fail_sends.load(Ordering::SeqCst) > 0 {
            self.fail_sends.fetch_sub(1, Ordering::SeqCst);
            return true;
        }
        false
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A fake Telegram Bot API: getFile, file download, sendMessage.
async fn fake_telegram(fake: Arc<Fake>) -> String {
    async fn method(State(f): State<Arc<Fake>>, Path((bot, method)): Path<(String, String)>, body: Bytes) -> Response {
        if bot != format!("bot{BOT_TOKEN}") {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
            )
                .into_response();
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or_default();
        f.call(&method);
        match method.as_str() {
            "getFile" => {
                f.maybe_stall().await;
                let id = body["file_id"].as_str().unwrap_or_default().to_string();
                if !f.files.lock().unwrap().contains_key(&id) {
                    return (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})))
                        .into_response();
                }
                Json(json!({"ok": true, "result": {"file_id": id, "file_unique_id": "u", "file_path": format!("photos/{id}.jpg")}}))
                    .into_response()
            }
            "sendMessage" => {
                if f.send_fails() {
                    return (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response();
                }
                let chat = match &body["chat_id"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                f.sent.lock().unwrap().push((chat, body["text"].as_str().unwrap_or_default().to_string()));
                Json(json!({"ok": true, "result": {"message_id": 1}})).into_response()
            }
            "getMe" => Json(json!({"ok": true, "result": {"id": 42, "is_bot": true, "first_name": "cardcrm", "username": "cardcrm_test_bot"}}))
                .into_response(),
            "setWebhook" => {
                *f.webhook.lock().unwrap() = Some(body);
                Json(json!({"ok": true, "result": true, "description": "Webhook was set"})).into_response()
            }
            "getUpdates" => {
                let offset = body["offset"].as_i64().unwrap_or(0);
                f.offsets.lock().unwrap().push(offset);
                let due: Vec<Value> = {
                    let mut q = f.queued_updates.lock().unwrap();
                    q.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    q.clone()
                };
                if due.is_empty() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Json(json!({"ok": true, "result": due})).into_response()
            }
            _ => Json(json!({"ok": true, "result": true})).into_response(),
        }
    }
    async fn file(State(f): State<Arc<Fake>>, Path((bot, path)): Path<(String, String)>) -> Response {
        f.call("download");
        if bot != format!("bot{BOT_TOKEN}") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let id = path.trim_start_matches("photos/").trim_end_matches(".jpg").to_string();
        match f.files.lock().unwrap().get(&id) {
            Some(b) => b.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let router =
        Router::new().route("/{bot}/{method}", post(method)).route("/file/{bot}/{*path}", get(file)).with_state(fake);
    serve(router).await
}

/// A fake Graph API: media lookup, media download (bearer), send message.
async fn fake_graph(fake: Arc<Fake>, base: Arc<Mutex<String>>) -> String {
    fn authorized(h: &HeaderMap) -> bool {
        h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {WA_TOKEN}"))
    }
    #[derive(Clone)]
    struct St(Arc<Fake>, Arc<Mutex<String>>);
    async fn media(State(St(f, base)): State<St>, Path(id): Path<String>, h: HeaderMap) -> Response {
        if !authorized(&h) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        f.call("media");
        f.maybe_stall().await;
        if !f.files.lock().unwrap().contains_key(&id) {
            return (StatusCode::NOT_FOUND, Json(json!({"error": {"message": "unknown media"}}))).into_response();
        }
        let url = format!("{}/download/{id}", base.lock().unwrap());
        Json(json!({"messaging_product": "whatsapp", "url": url, "mime_type": "image/jpeg", "id": id})).into_response()
    }
    async fn download(State(St(f, _)): State<St>, Path(id): Path<String>, h: HeaderMap) -> Response {
        if !authorized(&h) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        f.call("download");
        match f.files.lock().unwrap().get(&id) {
            Some(b) => b.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    async fn messages(
        State(St(f, _)): State<St>,
        Path(phone): Path<String>,
        h: HeaderMap,
        Json(body): Json<Value>,
    ) -> Response {
        if !authorized(&h) || phone != WA_PHONE_ID {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        f.call("messages");
        if f.send_fails() {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response();
        }
        let to = body["to"].as_str().unwrap_or_default().to_string();
        f.sent.lock().unwrap().push((to, body["text"]["body"].as_str().unwrap_or_default().to_string()));
        Json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.out"}]})).into_response()
    }
    let st = St(fake, base.clone());
    let router = Router::new()
        .route("/{id}", get(media))
        .route("/download/{id}", get(download))
        .route("/{phone}/messages", post(messages))
        .with_state(st);
    let url = serve(router).await;
    *base.lock().unwrap() = url.clone();
    url
}

struct Env {
    app: TestApp,
    fake: Arc<Fake>,
    processor: Option<Processor>,
    worker: Option<service::scans::Worker>,
    admin: service::Actor,
}

impl Env {
    async fn stop(mut self) {
        if let Some(p) = self.processor.take() {
            p.shutdown().await;
        }
        if let Some(w) = self.worker.take() {
            w.shutdown().await;
        }
    }
}

async fn setting(app: &TestApp, name: &str, value: &str) {
    integ::store_setting(&app.svc, None, name, value).await.expect("store setting");
}

/// The app with both integrations pointed at fresh fakes, the OCR worker and the bot processor.
async fn env() -> Env {
    env_with(|svc| svc, true).await
}

/// [`env`] with other services (e.g. scan limits), and optionally without the OCR worker.
async fn env_with(configure: impl FnOnce(service::Services) -> service::Services, worker: bool) -> Env {
    // The fakes listen on 127.0.0.1: an address the bots may only call because the operator allows
    // it (stored API bases must otherwise be public https).
    std::env::set_var(service::platform::outbound::ALLOW_HOSTS_ENV, "127.0.0.1");
    let app = common::app_with(configure).await;
    app.admin().await;
    let admin = service::accounts::auth::actor_by_username(&app.svc, "admin").await.expect("admin");
    let fake = Arc::new(Fake::default());
    let tg = fake_telegram(fake.clone()).await;
    let graph = fake_graph(fake.clone(), Arc::default()).await;
    for (k, v) in [
        ("TELEGRAM_BOT_TOKEN", BOT_TOKEN),
        ("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("TELEGRAM_API_BASE", tg.as_str()),
        ("TELEGRAM_BOT_USERNAME", "cardcrm_test_bot"),
        ("WHATSAPP_VERIFY_TOKEN", WA_VERIFY),
        ("WHATSAPP_APP_SECRET", WA_APP_SECRET),
        ("WHATSAPP_ACCESS_TOKEN", WA_TOKEN),
        ("WHATSAPP_PHONE_NUMBER_ID", WA_PHONE_ID),
        ("WHATSAPP_API_BASE", graph.as_str()),
        ("CARDCRM_PUBLIC_URL", PUBLIC_URL),
    ] {
        setting(&app, k, v).await;
    }
    let opts = ProcessorOptions {
        http_timeout: Duration::from_millis(1500),
        retry_base: Duration::from_millis(100),
        max_attempts: 8,
        poll: Duration::from_millis(50),
    };
    let processor = Some(Processor::start(app.svc.clone(), opts));
    let worker = worker.then(|| service::scans::Worker::start(app.svc.clone()));
    Env { app, fake, processor, worker, admin }
}

async fn telegram(app: &TestApp, secret: Option<&str>, body: &str) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/telegram")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    app.raw(req.body(Body::from(body.to_string())).expect("request")).await
}

async fn tg_update(app: &TestApp, update: Value) {
    let r = telegram(app, Some(WEBHOOK_SECRET), &update.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{} ({})", r.body, backend());
}

fn tg_message(update_id: i64, from: i64, extra: Value) -> Value {
    let mut msg = json!({
        "message_id": update_id * 10,
        "from": {"id": from, "is_bot": false, "first_name": "Test", "username": "tester"},
        "chat": {"id": from, "type": "private", "first_name": "Test"},
        "date": 1_764_000_000,
    });
    if let (Some(m), Some(e)) = (msg.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    json!({"update_id": update_id, "message": msg})
}

fn tg_photo(update_id: i64, from: i64, largest: &str) -> Value {
    tg_message(
        update_id,
        from,
        json!({"photo": [
            {"file_id": "thumb-small", "file_unique_id": "a", "file_size": 1200, "width": 90, "height": 51},
            {"file_id": largest, "file_unique_id": "c", "width": 1280, "height": 720},
            {"file_id": "thumb-medium", "file_unique_id": "b", "file_size": 20000, "width": 320, "height": 180},
        ], "caption": "card"}),
    )
}

/// Links Telegram user `from` to the admin through a one-time code.
async fn link_telegram(env: &Env, update_id: i64, from: i64) {
    let code = integ::create_link_code(&env.app.svc, &env.admin, integ::TELEGRAM, None).await.expect("code");
    assert_eq!(code.command, format!("/start {}", code.code));
    assert_eq!(code.bot_link.as_deref(), Some(format!("https://t.me/cardcrm_test_bot?start={}", code.code).as_str()));
    tg_update(&env.app, tg_message(update_id, from, json!({"text": code.command}))).await;
    let chat = from.to_string();
    wait_for(
        || env.fake.sent_to(&chat).iter().any(|t| t.contains("Linked to the cardcrm account admin")),
        "link reply",
    )
    .await;
    // A code works once.
    tg_update(&env.app, tg_message(update_id + 1, 999, json!({"text": code.command}))).await;
    wait_for(|| env.fake.sent_to("999").iter().any(|t| t.contains("unknown, used or expired")), "reused code refused")
        .await;
}

async fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(300), "timed out waiting for {what} ({})", backend());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until no recorded update is pending.
async fn settled(app: &TestApp) -> Vec<integ::BotUpdate> {
    let start = Instant::now();
    loop {
        let rows = integ::updates(&app.svc).await.expect("updates");
        if rows.iter().all(|u| u.status != integ::PENDING) {
            return rows;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "updates still pending: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn contacts(app: &TestApp) -> Vec<entity::contact::Model> {
    entity::contact::Entity::find().all(&app.svc.db).await.expect("contacts")
}

async fn scans(app: &TestApp) -> u64 {
    entity::card_scan::Entity::find().count(&app.svc.db).await.expect("scans")
}

async fn emails_of(app: &TestApp, contact_id: i64) -> Vec<String> {
    entity::contact_email::Entity::find()
        .filter(entity::contact_email::Column::ContactId.eq(contact_id))
        .all(&app.svc.db)
        .await
        .expect("emails")
        .into_iter()
        .map(|e| e.address)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_photo_becomes_a_contact_and_a_reply() {
    let env = env().await;
    let app = &env.app;
    link_telegram(&env, 1, TG_USER).await;
    let chat = TG_USER.to_string();
    env.fake.add_file("card-large", fixture("contoso-avery.jpg"));

    tg_update(app, tg_photo(10, TG_USER, "card-large")).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "10").expect("update 10 recorded");
    assert_eq!(row.status, "done", "{row:?}");
    assert_eq!(row.outcome.as_deref(), Some("contact_created"), "{row:?}");
    let contact_id = row.contact_id.expect("contact id");
    let scan_id = row.scan_id.expect("scan id");

    let all = contacts(app).await;
    assert_eq!(all.len(), 1);
    let c = &all[0];
    assert_eq!(c.id, contact_id);
    assert_eq!(c.source, "telegram");
    assert_eq!(c.owner_id, Some(env.admin.user_id));
    assert!(emails_of(app, contact_id).await.contains(&"avery.smith@contoso.com".to_string()));
    // The largest photo size was fetched, once; the thumbnails never.
    assert_eq!(env.fake.calls("getFile"), 1);
    let scan = entity::card_scan::Entity::find_by_id(scan_id).one(&app.svc.db).await.expect("scan").expect("row");
    assert_eq!(scan.contact_id, Some(contact_id));

    let replies = env.fake.sent_to(&chat);
    let reply = replies.iter().find(|t| t.contains("Read from the card")).expect("a reply with the fields");
    assert!(reply.contains("E-mail: avery.smith@contoso.com"), "{reply}");
    assert!(reply.contains(&format!("Saved to cardcrm: {PUBLIC_URL}/contacts/{contact_id}")), "{reply}");
    assert!(!reply.contains("/scan?id="), "the contact page shows the photo: {reply}");

    // The same card again, as an uncompressed image document: a duplicate, nothing new saved.
    env.fake.add_file("card-doc", fixture("contoso-avery.jpg"));
    let doc = json!({"document": {"file_id": "card-doc", "file_unique_id": "d", "file_name": "card.jpg", "mime_type": "image/jpeg", "file_size": 915_108}});
    tg_update(app, tg_message(11, TG_USER, doc)).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "11").expect("update 11");
    assert_eq!(row.outcome.as_deref(), Some("duplicate"), "{row:?}");
    assert_eq!(contacts(app).await.len(), 1, "a duplicate must not be saved twice");
    let dup =
        env.fake.sent_to(&chat).into_iter().find(|t| t.contains("Already in cardcrm as")).expect("duplicate reply");
    assert!(dup.contains(&format!("{PUBLIC_URL}/contacts/{contact_id}")), "{dup}");
    let dup_scan = rows.iter().find(|u| u.external_id == "11").and_then(|u| u.scan_id).expect("scan of update 11");
    assert!(dup.contains(&format!("Check and save the card: {PUBLIC_URL}/scan?id={dup_scan}")), "{dup}");

    // A replayed update (Telegram retries on non-2xx) does nothing twice.
    let sent_before = env.fake.sent().len();
    tg_update(app, tg_photo(10, TG_USER, "card-large")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(integ::updates(&app.svc).await.expect("updates").len(), rows.len());
    assert_eq!(env.fake.calls("getFile"), 2);
    assert_eq!(env.fake.sent().len(), sent_before);
    assert_eq!(contacts(app).await.len(), 1);

    // /search and /help.
    tg_update(app, tg_message(12, TG_USER, json!({"text": "/search avery"}))).await;
    tg_update(app, tg_message(13, TG_USER, json!({"text": "/help"}))).await;
    settled(app).await;
    let replies = env.fake.sent_to(&chat);
    let found = replies.iter().find(|t| t.starts_with("Contacts matching")).expect("search reply");
    assert!(found.contains("Avery") && found.contains(&format!("/contacts/{contact_id}")), "{found}");
    assert!(replies.iter().any(|t| t.starts_with("Send me a photo of a business card")));

    let metrics = app.raw(Request::get("/metrics").body(Body::empty()).expect("req")).await;
    let text = metrics.body.as_str().unwrap_or_default().to_string();
    assert!(text.contains("bot_updates_total") && text.contains("contact_created"), "{text}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_secret_is_checked_before_anything() {
    let env = env().await;
    let app = &env.app;
    let body = tg_photo(20, TG_USER, "card").to_string();
    for secret in [None, Some("wrong-secret"), Some(""), Some(&WEBHOOK_SECRET[..WEBHOOK_SECRET.len() - 1])] {
        let r = telegram(app, secret, &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{secret:?}: {}", r.body);
        assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("X-Telegram-Bot-Api-Secret-Token")));
    }
    // Not even parsed: a broken body with a wrong secret is a 401, with the right one a 400.
    assert_eq!(telegram(app, Some("nope"), "{not json").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(telegram(app, Some(WEBHOOK_SECRET), "{not json").await.status, StatusCode::BAD_REQUEST);
    assert!(integ::updates(&app.svc).await.expect("updates").is_empty());
    assert!(env.fake.calls.lock().unwrap().is_empty());

    // Without a configured secret the webhook accepts nothing.
    setting(app, "TELEGRAM_WEBHOOK_SECRET", "").await;
    let r = telegram(app, Some(WEBHOOK_SECRET), &body).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinked_chats_are_refused_and_nothing_is_stored() {
    let env = env().await;
    let app = &env.app;
    env.fake.add_file("card", fixture("contoso-avery.jpg"));
    tg_update(app, tg_photo(30, 4242, "card")).await;
    wait_for(|| env.fake.sent_to("4242").iter().any(|t| t.contains("not linked to a cardcrm account")), "refusal")
        .await;
    tg_update(app, tg_message(31, 4242, json!({"text": "/start WRONGCODE"}))).await;
    wait_for(|| env.fake.sent_to("4242").iter().any(|t| t.contains("unknown, used or expired")), "bad code").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(integ::updates(&app.svc).await.expect("updates").is_empty());
    assert_eq!(scans(app).await, 0);
    assert!(contacts(app).await.is_empty());
    assert_eq!(env.fake.calls("getFile"), 0);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_images_and_oversized_downloads_are_answered_not_scanned() {
    let env = env().await;
    let app = &env.app;
    link_telegram(&env, 1, TG_USER).await;
    let chat = TG_USER.to_string();
    let pdf = json!({"document": {"file_id": "pdf", "file_unique_id": "p", "file_name": "card.pdf", "mime_type": "application/pdf", "file_size": 2048}});
    tg_update(app, tg_message(40, TG_USER, pdf)).await;
    // An image whose download is over the limit (no size announced, so the stream is cut).
    env.fake.add_file("huge", vec![0xFF; 10 * 1024 * 1024 + 100]);
    tg_update(app, tg_photo(41, TG_USER, "huge")).await;
    // An "image" document that is not one.
    env.fake.add_file("fake-jpeg", b"this is not a picture at all".to_vec());
    let doc = json!({"document": {"file_id": "fake-jpeg", "file_unique_id": "f", "file_name": "x.jpg", "mime_type": "image/jpeg"}});
    tg_update(app, tg_message(42, TG_USER, doc)).await;
    let rows = settled(app).await;
    let outcome = |id: &str| rows.iter().find(|u| u.external_id == id).and_then(|u| u.outcome.clone());
    assert_eq!(outcome("40").as_deref(), Some("not_image"));
    assert_eq!(outcome("41").as_deref(), Some("too_large"));
    assert_eq!(outcome("42").as_deref(), Some("not_image"));
    let replies = env.fake.sent_to(&chat);
    assert!(replies.iter().any(|t| t.contains("not an image (application/pdf)")), "{replies:?}");
    assert!(replies.iter().any(|t| t.contains("too large")), "{replies:?}");
    assert_eq!(scans(app).await, 0, "nothing is scanned");
    assert!(contacts(app).await.is_empty());
    assert_eq!(env.fake.calls("getFile"), 2, "the PDF is never downloaded");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_timeouts_and_500s_are_retried_without_loss_or_duplicates() {
    let env = env().await;
    let app = &env.app;
    link_telegram(&env, 1, TG_USER).await;
    let chat = TG_USER.to_string();
    env.fake.add_file("card", fixture("contoso-avery.jpg"));
    // getFile hangs past the client timeout once; sendMessage answers 500 twice.
    env.fake.stall_lookups.store(1, Ordering::SeqCst);
    env.fake.fail_sends.store(2, Ordering::SeqCst);
    let sends_before = env.fake.calls("sendMessage");
    tg_update(app, tg_photo(50, TG_USER, "card")).await;
    // Telegram delivers it again while we are still retrying: acknowledged, not repeated.
    tg_update(app, tg_photo(50, TG_USER, "card")).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "50").expect("update 50");
    assert_eq!(row.status, "done", "{row:?}");
    assert_eq!(row.outcome.as_deref(), Some("contact_created"));
    assert!(row.attempts >= 3, "one timeout and two 500s were retried: {row:?}");
    assert!(row.replied_at.is_some());
    assert_eq!(env.fake.calls("getFile"), 2, "retried once after the timeout");
    assert_eq!(env.fake.calls("sendMessage") - sends_before, 3, "two failed sends, then one that worked");
    assert_eq!(scans(app).await, 1, "the image was scanned once");
    assert_eq!(contacts(app).await.len(), 1, "one contact");
    let delivered: Vec<String> =
        env.fake.sent_to(&chat).into_iter().filter(|t| t.contains("Read from the card")).collect();
    assert_eq!(delivered.len(), 1, "the reply was delivered exactly once: {delivered:?}");
    env.stop().await;
}

fn sign(body: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn whatsapp(app: &TestApp, signature: Option<&str>, body: &str) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/whatsapp")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = signature {
        req = req.header("X-Hub-Signature-256", s);
    }
    app.raw(req.body(Body::from(body.to_string())).expect("request")).await
}

fn wa_payload(messages: Value, statuses: Value) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA_ID", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": WA_PHONE_ID},
            "contacts": [{"profile": {"name": "Wanda"}, "wa_id": WA_NUMBER}],
            "messages": messages,
            "statuses": statuses,
        }}]}],
    })
    .to_string()
}

async fn wa_send(app: &TestApp, messages: Value) {
    let body = wa_payload(messages, json!([]));
    let r = whatsapp(app, Some(&sign(&body, WA_APP_SECRET)), &body).await;
    assert_eq!(r.status, StatusCode::OK, "{} ({})", r.body, backend());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_verification_handshake() {
    let env = env().await;
    let app = &env.app;
    let get = |q: String| {
        let app = &env.app;
        async move { app.raw(Request::get(format!("/webhooks/whatsapp?{q}")).body(Body::empty()).expect("req")).await }
    };
    let r = get(format!("hub.mode=subscribe&hub.verify_token={WA_VERIFY}&hub.challenge=1158201444")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!(1158201444));
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    let r = get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".into()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get(format!("hub.mode=unsubscribe&hub.verify_token={WA_VERIFY}&hub.challenge=1")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get("hub.mode=subscribe&hub.challenge=1".into()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let _ = app;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_signed_messages_become_contacts() {
    let env = env().await;
    let app = &env.app;
    let image = json!([{"from": WA_NUMBER, "id": "wamid.IMG1", "timestamp": "1764000000", "type": "image",
        "image": {"id": "media-1", "mime_type": "image/jpeg", "sha256": "x", "caption": "card"}}]);
    // Signatures: missing, wrong secret, body changed after signing.
    let body = wa_payload(image.clone(), json!([]));
    assert_eq!(whatsapp(app, None, &body).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(whatsapp(app, Some(&sign(&body, "not-the-secret")), &body).await.status, StatusCode::UNAUTHORIZED);
    let sig = sign(&body, WA_APP_SECRET);
    assert_eq!(whatsapp(app, Some(&sig), &body.replace("media-1", "media-2")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(whatsapp(app, Some("sha256=nothex"), &body).await.status, StatusCode::UNAUTHORIZED);
    assert!(integ::updates(&app.svc).await.expect("updates").is_empty());

    // Not linked yet: refused, nothing stored.
    env.fake.add_file("media-1", fixture("contoso-avery.jpg"));
    wa_send(app, image.clone()).await;
    wait_for(|| env.fake.sent_to(WA_NUMBER).iter().any(|t| t.contains("not linked")), "refusal").await;
    assert!(integ::updates(&app.svc).await.expect("updates").is_empty());

    // The user sets their number in the profile and sends the code from it.
    let code =
        integ::create_link_code(&app.svc, &env.admin, integ::WHATSAPP, Some("+49 151 23456789")).await.expect("code");
    assert_eq!(code.number.as_deref(), Some(WA_NUMBER));
    let mine = integ::mine(&app.svc, &env.admin).await.expect("mine");
    assert_eq!(mine.pending_whatsapp.as_deref(), Some(WA_NUMBER));
    // From another number the code does not work.
    let other = json!([{"from": "4915199999999", "id": "wamid.L0", "type": "text", "text": {"body": code.command}}]);
    wa_send(app, other).await;
    wait_for(|| env.fake.sent_to("4915199999999").iter().any(|t| t.contains("another number")), "wrong number").await;
    let link = json!([{"from": WA_NUMBER, "id": "wamid.L1", "type": "text", "text": {"body": code.command}}]);
    wa_send(app, link).await;
    wait_for(|| env.fake.sent_to(WA_NUMBER).iter().any(|t| t.contains("now linked")), "link reply").await;
    let mine = integ::mine(&app.svc, &env.admin).await.expect("mine");
    assert_eq!(mine.accounts.len(), 1);
    assert_eq!(mine.accounts[0].external_id, WA_NUMBER);
    assert_eq!(mine.pending_whatsapp, None);

    // The card photo, now accepted (the earlier refused one was not stored, so it is new).
    wa_send(app, image.clone()).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "wamid.IMG1").expect("image recorded");
    assert_eq!(row.outcome.as_deref(), Some("contact_created"), "{row:?}");
    let contact_id = row.contact_id.expect("contact");
    assert!(emails_of(app, contact_id).await.contains(&"avery.smith@contoso.com".to_string()));
    let all = contacts(app).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].source, "whatsapp");
    let reply = env.fake.sent_to(WA_NUMBER).into_iter().find(|t| t.contains("Read from the card")).expect("reply");
    assert!(reply.contains("avery.smith@contoso.com") && reply.contains(&format!("/contacts/{contact_id}")), "{reply}");

    // Replayed, a status update and an unsupported type: acknowledged, nothing new.
    wa_send(app, image).await;
    let statuses = wa_payload(
        json!([]),
        json!([{"id": "wamid.out", "status": "delivered", "timestamp": "1764000001", "recipient_id": WA_NUMBER}]),
    );
    assert_eq!(whatsapp(app, Some(&sign(&statuses, WA_APP_SECRET)), &statuses).await.status, StatusCode::OK);
    wa_send(app, json!([{"from": WA_NUMBER, "id": "wamid.ST1", "type": "sticker", "sticker": {"id": "s1"}}])).await;
    let rows = settled(app).await;
    assert_eq!(rows.len(), 2, "only the link and the image are recorded: {rows:?}");

    // A shared contact is saved directly, through the same duplicate check.
    let shared = json!([{"from": WA_NUMBER, "id": "wamid.C1", "type": "contacts", "contacts": [{
        "name": {"formatted_name": "Maria Garcia", "first_name": "Maria", "last_name": "Garcia"},
        "phones": [{"phone": "+34 612 345 678", "type": "CELL"}],
        "emails": [{"email": "maria.garcia@example.es", "type": "WORK"}],
        "org": {"company": "Fabrikam", "title": "CTO"},
    }]}]);
    wa_send(app, shared.clone()).await;
    let mut again = shared;
    again[0]["id"] = json!("wamid.C2");
    wa_send(app, again).await;
    let rows = settled(app).await;
    let outcome = |id: &str| rows.iter().find(|u| u.external_id == id).and_then(|u| u.outcome.clone());
    assert_eq!(outcome("wamid.C1").as_deref(), Some("contact_created"));
    assert_eq!(outcome("wamid.C2").as_deref(), Some("duplicate"));
    let all = contacts(app).await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|c| c.full_name == "Maria Garcia" && c.company == "Fabrikam" && c.source == "whatsapp"));
    let replies = env.fake.sent_to(WA_NUMBER);
    assert!(replies.iter().any(|t| t.contains("Shared contact:") && t.contains("Saved to cardcrm")), "{replies:?}");
    assert!(replies.iter().any(|t| t.contains("Already in cardcrm as Maria Garcia (Fabrikam)")), "{replies:?}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_graph_failures_are_retried() {
    let env = env().await;
    let app = &env.app;
    let code =
        integ::create_link_code(&app.svc, &env.admin, integ::WHATSAPP, Some("+4915123456789")).await.expect("code");
    wa_send(app, json!([{"from": WA_NUMBER, "id": "wamid.L1", "type": "text", "text": {"body": code.command}}])).await;
    settled(app).await;
    env.fake.add_file("media-9", fixture("contoso-avery.jpg"));
    env.fake.stall_lookups.store(1, Ordering::SeqCst);
    env.fake.fail_sends.store(1, Ordering::SeqCst);
    let image = json!([{"from": WA_NUMBER, "id": "wamid.IMG9", "type": "image", "image": {"id": "media-9", "mime_type": "image/jpeg"}}]);
    wa_send(app, image.clone()).await;
    wa_send(app, image).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "wamid.IMG9").expect("image");
    assert_eq!(row.outcome.as_deref(), Some("contact_created"), "{row:?}");
    assert!(row.attempts >= 2, "{row:?}");
    assert_eq!(scans(app).await, 1);
    assert_eq!(contacts(app).await.len(), 1);
    let delivered = env.fake.sent_to(WA_NUMBER).into_iter().filter(|t| t.contains("Read from the card")).count();
    assert_eq!(delivered, 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_masked_and_admin_only() {
    let env = env().await;
    let app = &env.app;
    let status = integ::status(&app.svc, &env.admin).await.expect("status");
    assert!(status.telegram_configured && status.whatsapp_configured);
    let token = status.settings.iter().find(|s| s.name == "TELEGRAM_BOT_TOKEN").expect("token row");
    assert_eq!(token.source, "stored");
    let shown = token.value.clone().unwrap_or_default();
    assert!(!shown.contains("TEST-token") && shown.ends_with(&BOT_TOKEN[BOT_TOKEN.len() - 4..]), "{shown}");
    let api = status.settings.iter().find(|s| s.name == "TELEGRAM_API_BASE").expect("api");
    assert!(api.value.as_deref().is_some_and(|v| v.starts_with("http://127.0.0.1:")));

    let admin_token = app.login("admin", "correct horse battery").await;
    let user_token = app.user(&admin_token, "bob").await;
    let _ = user_token;
    let bob = service::accounts::auth::actor_by_username(&app.svc, "bob").await.expect("bob");
    assert!(matches!(integ::status(&app.svc, &bob).await, Err(service::AppError::Forbidden(_))));
    assert!(matches!(
        integ::set_setting(&app.svc, &bob, "TELEGRAM_BOT_TOKEN", "x").await,
        Err(service::AppError::Forbidden(_))
    ));
    assert!(matches!(
        integ::set_setting(&app.svc, &env.admin, "TELEGRAM_WEBHOOK_SECRET", "has spaces").await,
        Err(service::AppError::Validation { .. })
    ));
    assert!(matches!(
        integ::set_setting(&app.svc, &env.admin, "NOPE", "x").await,
        Err(service::AppError::Validation { .. })
    ));
    // The audit trail never holds a token.
    let audit: Vec<String> =
        entity::audit_log::Entity::find().all(&app.svc.db).await.expect("audit").into_iter().map(|a| a.diff).collect();
    assert!(!audit.iter().any(|c| c.contains(BOT_TOKEN) || c.contains(WA_APP_SECRET)), "{audit:?}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_webhook_generates_and_stores_a_secret() {
    let env = env().await;
    let app = &env.app;
    setting(app, "TELEGRAM_WEBHOOK_SECRET", "").await;
    setting(app, "TELEGRAM_BOT_USERNAME", "").await;
    let said = server::webhooks::telegram::set_webhook(&app.svc, "https://crm.example.test/webhooks/telegram")
        .await
        .expect("set-webhook");
    assert!(said.contains("@cardcrm_test_bot"), "{said}");
    let sent = env.fake.webhook.lock().unwrap().clone().expect("setWebhook called");
    assert_eq!(sent["url"], "https://crm.example.test/webhooks/telegram");
    let secret = sent["secret_token"].as_str().expect("secret").to_string();
    assert!(integ::valid_telegram_secret(&secret) && secret.len() >= 32, "{secret}");
    let cfg = service::platform::integration_config::config(&app.svc).await.expect("config");
    assert_eq!(cfg.telegram_webhook_secret.as_deref(), Some(secret.as_str()));
    assert_eq!(cfg.telegram_bot_username.as_deref(), Some("cardcrm_test_bot"));
    // The webhook now accepts that secret, and only that one.
    let body = tg_message(70, 4242, json!({"text": "hi"})).to_string();
    assert_eq!(telegram(app, Some(&secret), &body).await.status, StatusCode::OK);
    assert_eq!(telegram(app, Some(WEBHOOK_SECRET), &body).await.status, StatusCode::UNAUTHORIZED);
    let bad = server::webhooks::telegram::set_webhook(&app.svc, "ftp://example.test").await;
    assert!(bad.is_err());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polling_uses_the_same_intake() {
    let env = env().await;
    let app = &env.app;
    env.fake.add_file("card", fixture("contoso-avery.jpg"));
    let code = integ::create_link_code(&app.svc, &env.admin, integ::TELEGRAM, None).await.expect("code");
    env.fake
        .queued_updates
        .lock()
        .unwrap()
        .extend([tg_message(100, TG_USER, json!({"text": code.command})), tg_photo(101, TG_USER, "card")]);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let svc = app.svc.clone();
    let polling = tokio::spawn(async move {
        server::webhooks::telegram::poll(&svc, async {
            let _ = stop_rx.await;
        })
        .await
    });
    let chat = TG_USER.to_string();
    wait_for(|| env.fake.sent_to(&chat).iter().any(|t| t.contains("Read from the card")), "reply to the polled photo")
        .await;
    // The offset moved past what was recorded, so nothing is fetched twice.
    wait_for(|| env.fake.offsets.lock().unwrap().contains(&102), "offset 102").await;
    let _ = stop_tx.send(());
    polling.await.expect("join").expect("poll ended cleanly");
    assert_eq!(env.fake.calls("deleteWebhook"), 1);
    let rows = settled(app).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(contacts(app).await.len(), 1);
    assert_eq!(env.fake.calls("getFile"), 1);
    env.stop().await;
}

/// Runs SQL with `?` placeholders on either backend (the service's own rewriter, `db::statement`).
async fn sql(app: &TestApp, text: &str, values: Vec<sea_orm::Value>) -> u64 {
    use sea_orm::ConnectionTrait;
    let backend = app.svc.db.get_database_backend();
    let stmt = service::platform::db::statement(backend, text, values);
    app.svc.db.execute_raw(stmt).await.expect(text).rows_affected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_bases_must_be_public_https_unless_the_operator_allows_the_host() {
    let env = env().await;
    let app = &env.app;
    for bad in [
        "http://api.telegram.org",
        "https://10.0.0.7",
        "https://192.168.1.20/bot",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.2:8443",
        "https://[::1]:8443",
        "https://0x0a.1",
        "https://localhost:8443",
    ] {
        for name in ["TELEGRAM_API_BASE", "WHATSAPP_API_BASE"] {
            match integ::set_setting(&app.svc, &env.admin, name, bad).await {
                Err(service::AppError::Validation { field, message }) => assert_eq!(field, name, "{bad}: {message}"),
                other => panic!("{bad} accepted for {name}: {other:?}"),
            }
        }
    }
    // Through the settings page's server function: 422 naming the field.
    let admin_token = app.login("admin", "correct horse battery").await;
    let req = Request::post("/api/set_integration_setting")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, format!("Bearer {admin_token}"))
        .body(Body::from("name=TELEGRAM_API_BASE&value=https%3A%2F%2F10.0.0.7"))
        .expect("request");
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("TELEGRAM_API_BASE"), "{}", r.body);
    // Public https is fine (an address: no DNS needed here); so is the operator-allowed fake.
    let fake_base = service::platform::integration_config::config(&app.svc).await.expect("config").telegram_api_base;
    assert!(fake_base.starts_with("http://127.0.0.1:"), "{fake_base}");
    integ::set_setting(&app.svc, &env.admin, "TELEGRAM_API_BASE", "https://149.154.167.220").await.expect("public");
    integ::set_setting(&app.svc, &env.admin, "TELEGRAM_API_BASE", &fake_base).await.expect("allowed host");

    // A stored value from before the rule (written straight into the table) is not used at send time.
    link_telegram(&env, 1, TG_USER).await;
    let sends_before = env.fake.calls("sendMessage");
    let sneaky = fake_base.replace("127.0.0.1", "localhost");
    let n = sql(
        app,
        "UPDATE integration_settings SET value = ? WHERE name = 'TELEGRAM_API_BASE'",
        vec![sneaky.clone().into()],
    )
    .await;
    assert_eq!(n, 1);
    tg_update(app, tg_message(20, TG_USER, json!({"text": "/help"}))).await;
    let start = Instant::now();
    let row = loop {
        let rows = integ::updates(&app.svc).await.expect("updates");
        if let Some(u) = rows.into_iter().find(|u| u.external_id == "20" && u.last_error.is_some()) {
            break u;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "update 20 never failed to send");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("TELEGRAM_API_BASE") && error.contains("not used"), "{error}");
    assert_eq!(env.fake.calls("sendMessage"), sends_before, "nothing was sent to {sneaky}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scan_queue_is_answered_politely_in_the_chat() {
    // No OCR worker: a scan waiting fills this user's queue of one.
    let env = env_with(
        |svc| svc.with_scan_limits(service::scans::ScanLimits { per_user_queue: 1, ..Default::default() }),
        false,
    )
    .await;
    let app = &env.app;
    link_telegram(&env, 1, TG_USER).await;
    let chat = TG_USER.to_string();
    let waiting =
        service::scans::submit(&app.svc, &env.admin, fixture("contoso-chris.jpg"), None).await.expect("queued");
    assert_eq!(waiting.status, "queued");
    env.fake.add_file("card", fixture("contoso-avery.jpg"));
    tg_update(app, tg_photo(30, TG_USER, "card")).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "30").expect("update 30");
    assert_eq!(row.outcome.as_deref(), Some("queue_full"), "{row:?}");
    assert_eq!(row.status, "done");
    let reply =
        env.fake.sent_to(&chat).into_iter().find(|t| t.contains("cannot take this card right now")).expect("reply");
    assert!(reply.contains("1 card waiting") && reply.contains("send it again"), "{reply}");
    assert_eq!(scans(app).await, 1, "the refused photo is not stored");
    env.stop().await;
}
