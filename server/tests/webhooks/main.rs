//! Telegram and WhatsApp intake end to end, against local fake Bot API / Graph API servers (axum on
//! 127.0.0.1:0) and the real OCR: secrets and signatures, linking, photo → scan → contact → reply,
//! duplicates, replays, unlinked chats, non-images, oversized downloads, and APIs that time out or
//! answer 500 (retried later; nothing lost, nothing duplicated).

#[path = "../common/mod.rs"]
mod common;
mod fakes;
mod settings;
mod telegram;
mod whatsapp;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{backend, Resp, TestApp};
use fakes::{fake_graph, fake_telegram};
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

/// A photo of several cards (`fixtures/photos`).
fn photo(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Runs SQL with `?` placeholders on either backend (the service's own rewriter, `db::statement`).
async fn sql(app: &TestApp, text: &str, values: Vec<sea_orm::Value>) -> u64 {
    use sea_orm::ConnectionTrait;
    let backend = app.svc.db.get_database_backend();
    let stmt = service::platform::db::statement(backend, text, values);
    app.svc.db.execute_raw(stmt).await.expect(text).rows_affected()
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
