//! The fake Telegram Bot API and Graph API servers the tests point the integrations at.

use super::*;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A fake Telegram Bot API: getFile, file download, sendMessage.
pub(super) async fn fake_telegram(fake: Arc<Fake>) -> String {
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
pub(super) async fn fake_graph(fake: Arc<Fake>, base: Arc<Mutex<String>>) -> String {
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
