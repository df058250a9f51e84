//! Telegram: the webhook secret, linking, photos, retries, setWebhook, long polling, a full queue.

use super::*;

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

pub(super) async fn tg_update(app: &TestApp, update: Value) {
    let r = telegram(app, Some(WEBHOOK_SECRET), &update.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{} ({})", r.body, backend());
}

pub(super) fn tg_message(update_id: i64, from: i64, extra: Value) -> Value {
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
pub(super) async fn link_telegram(env: &Env, update_id: i64, from: i64) {
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
    assert!(replies.iter().any(|t| t.starts_with("Send me a photo of a business card") && t.contains("Several cards")));

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_three_cards_becomes_three_contacts_and_one_reply() {
    let env = env().await;
    let app = &env.app;
    link_telegram(&env, 1, TG_USER).await;
    let chat = TG_USER.to_string();
    env.fake.add_file("three", photo("three-cards.jpg"));
    let sends_before = env.fake.calls("sendMessage");
    tg_update(app, tg_photo(40, TG_USER, "three")).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "40").expect("update 40").clone();
    assert_eq!(row.status, "done", "{row:?} ({})", backend());
    assert_eq!(row.outcome.as_deref(), Some("contact_created"), "{row:?}");
    let scan_ids = row.scans().expect("the scans of the photo");
    assert_eq!(scan_ids.len(), 3, "one scan per card: {row:?}");
    assert_eq!(row.scan_id, Some(scan_ids[0]), "scan_id stays the first card");
    assert_eq!(scans(app).await, 3, "no scan of the whole photo");

    // One contact per card, each marked on its scan; reading order: Walker, Bentley, then
    // Ditschlerin of Klemt e.V. (whose name the parser does not pick out: her e-mail tells the card).
    let all = contacts(app).await;
    assert_eq!(all.len(), 3, "{all:?}");
    let mut saved = Vec::new();
    let cards = [("walker", None), ("bentley", None), ("klemt e.v.", Some("mechthild@klemtev.fr"))];
    for (scan_id, (name, email)) in scan_ids.iter().zip(cards) {
        let scan = entity::card_scan::Entity::find_by_id(*scan_id).one(&app.svc.db).await.expect("scan").expect("row");
        let contact_id = scan.contact_id.expect("the scan names its contact");
        let c = all.iter().find(|c| c.id == contact_id).expect("the contact of the scan");
        let names = format!("{} {} {} {}", c.full_name, c.first_name, c.last_name, c.company).to_lowercase();
        assert!(names.contains(name), "scan {scan_id} should be {name}'s card: {c:?}");
        assert_eq!(c.source, "telegram");
        if let Some(email) = email {
            assert!(emails_of(app, contact_id).await.contains(&email.to_string()), "{c:?}");
        }
        let emails = emails_of(app, contact_id).await;
        assert!(!emails.is_empty(), "{name}'s e-mail was read: {c:?}");
        saved.push((contact_id, emails));
    }
    assert_eq!(row.contact_id, Some(saved[0].0));

    // One reply for the photo: a header, then each card's reply in reading order.
    let replies: Vec<String> =
        env.fake.sent_to(&chat).into_iter().filter(|t| t.contains("Read from the card")).collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(env.fake.calls("sendMessage") - sends_before, 1);
    let reply = &replies[0];
    assert!(reply.starts_with("I found 3 cards in this photo:"), "{reply}");
    let mut at = 0;
    for (n, (contact_id, emails)) in saved.iter().enumerate() {
        let head = format!("{}. Read from the card:", n + 1);
        let pos = reply[at..].find(&head).map(|p| p + at).unwrap_or_else(|| panic!("{head} after {at}: {reply}"));
        let link = format!("Saved to cardcrm: {PUBLIC_URL}/contacts/{contact_id}");
        let end = reply[pos..].find(&link).map(|p| p + pos).unwrap_or_else(|| panic!("{link}: {reply}"));
        assert!(reply[pos..end].contains(&format!("E-mail: {}", emails[0])), "{reply}");
        at = end;
    }

    // The same update delivered again: acknowledged, nothing repeated.
    let sent_before = env.fake.sent().len();
    tg_update(app, tg_photo(40, TG_USER, "three")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(integ::updates(&app.svc).await.expect("updates").len(), rows.len());
    assert_eq!(env.fake.sent().len(), sent_before);
    assert_eq!(contacts(app).await.len(), 3);
    assert_eq!(scans(app).await, 3);

    // The processor stopped after the cards were saved and before the reply was (the row is
    // pending again with no reply): the next round saves nothing twice and says the same.
    sql(
        app,
        "UPDATE bot_updates SET status = 'pending', outcome = NULL, reply_text = NULL, replied_at = NULL, \
         locked_until = NULL, next_attempt_at = ? WHERE id = ?",
        vec![chrono::Utc::now().into(), row.id.into()],
    )
    .await;
    wait_for(|| env.fake.sent().len() > sent_before, "the reply after the crash").await;
    let rows = settled(app).await;
    let again = rows.iter().find(|u| u.id == row.id).expect("update 40");
    assert_eq!(again.outcome.as_deref(), Some("contact_created"), "{again:?}");
    assert_eq!(contacts(app).await.len(), 3, "no card saved twice");
    assert_eq!(scans(app).await, 3, "no photo scanned twice");
    let last = env.fake.sent_to(&chat).pop().expect("a reply");
    assert!(last.starts_with("I found 3 cards in this photo:"), "{last}");
    for (contact_id, _) in &saved {
        assert!(last.contains(&format!("Saved to cardcrm: {PUBLIC_URL}/contacts/{contact_id}")), "{last}");
    }
    assert!(!last.contains("Already in cardcrm"), "{last}");
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
