//! The integration settings: masked, admin-only, and API bases that must be public https.

use super::telegram::{link_telegram, tg_message, tg_update};
use super::*;

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
