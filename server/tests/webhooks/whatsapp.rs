//! WhatsApp: the verification handshake, signed messages, Graph API failures.

use super::*;

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

/// Links `WA_NUMBER` to the admin with a one-time code sent from that number.
async fn link_whatsapp(env: &Env) {
    let app = &env.app;
    let code =
        integ::create_link_code(&app.svc, &env.admin, integ::WHATSAPP, Some("+4915123456789")).await.expect("code");
    wa_send(app, json!([{"from": WA_NUMBER, "id": "wamid.L1", "type": "text", "text": {"body": code.command}}])).await;
    settled(app).await;
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
    link_whatsapp(&env).await;
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
async fn whatsapp_photo_of_three_cards_is_three_contacts_even_when_the_reply_is_retried() {
    let env = env().await;
    let app = &env.app;
    link_whatsapp(&env).await;
    env.fake.add_file("media-3", photo("three-cards.jpg"));
    // The first reply answers 500: the update is retried from its reply, not from its cards.
    env.fake.fail_sends.store(1, Ordering::SeqCst);
    let image = json!([{"from": WA_NUMBER, "id": "wamid.IMG3", "type": "image", "image": {"id": "media-3", "mime_type": "image/jpeg"}}]);
    wa_send(app, image).await;
    let rows = settled(app).await;
    let row = rows.iter().find(|u| u.external_id == "wamid.IMG3").expect("image");
    assert_eq!(row.outcome.as_deref(), Some("contact_created"), "{row:?} ({})", backend());
    assert!(row.attempts >= 1, "{row:?}");
    assert_eq!(row.scans().map(|s| s.len()), Some(3), "{row:?}");
    assert_eq!(scans(app).await, 3);
    let all = contacts(app).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.iter().all(|c| c.source == "whatsapp"));
    let delivered: Vec<String> =
        env.fake.sent_to(WA_NUMBER).into_iter().filter(|t| t.contains("Read from the card")).collect();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert!(delivered[0].starts_with("I found 3 cards in this photo:"), "{}", delivered[0]);
    for c in &all {
        assert!(delivered[0].contains(&format!("{PUBLIC_URL}/contacts/{}", c.id)), "{}", delivered[0]);
    }
    env.stop().await;
}
