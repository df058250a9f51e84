//! The holes found by probing a running cardcrm (issue 19), one test per probe, through the real
//! router on SQLite and PostgreSQL: `next=` redirects, oversized server-function bodies, racing
//! refresh rotations, parallel password guesses, access tokens after sign-out / password reset /
//! deactivation, cross-site writes with the session cookie, the page's CSP, `__Host-` cookies,
//! login field lengths, migrations started by two instances at once, and concurrent SQLite writers.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, Resp, TestApp};
use serde_json::json;
use std::net::SocketAddr;

const ADMIN_PASSWORD: &str = "correct horse battery";

fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let ip: std::net::IpAddr = addr.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    req
}

fn json_post(path: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(path).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
}

async fn login_from(app: &TestApp, addr: &str, username: &str, password: &str) -> Resp {
    app.raw(from(addr, json_post("/api/v1/auth/login", json!({"username": username, "password": password})))).await
}

/// Signs in through the no-JavaScript form (the `login` server function) and returns the answer.
async fn form_login(app: &TestApp, next: &str, headers: &[(&str, &str)]) -> Resp {
    let body = format!("username=admin&password={}&next={}", ADMIN_PASSWORD.replace(' ', "+"), url_encode(next));
    let mut req = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.raw(req.body(Body::from(body)).unwrap()).await
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

/// `name=value` pairs of the response's cookies, for a `Cookie` header.
fn cookie_header(r: &Resp) -> String {
    set_cookies(r).iter().map(|c| c.split(';').next().unwrap().to_string()).collect::<Vec<_>>().join("; ")
}

#[tokio::test]
async fn the_sign_in_form_follows_only_same_origin_paths() {
    let app = app().await;
    app.admin().await;
    for (next, expected) in [
        ("/contacts/7", "/contacts/7"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("javascript:fetch('/api/v1/auth/me')", "/"),
        ("https://evil.example/", "/"),
        ("/%5Cevil.example", "/"),
        ("/\t/evil.example", "/"),
    ] {
        let r = form_login(&app, next, &[]).await;
        assert!(r.status.is_redirection(), "{next:?}: {} {}", r.status, r.body);
        assert_eq!(r.headers[header::LOCATION], expected, "next={next:?}");
    }
}

#[tokio::test]
async fn a_huge_server_function_body_is_413_not_500() {
    let app = app().await;
    let token = app.admin().await;
    let big = format!("{{\"query\":{{\"q\":\"{}\"}}}}", "x".repeat(3 * 1024 * 1024));
    for chunked in [false, true] {
        let mut req = Request::post("/api/list_contacts")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = if chunked {
            // No Content-Length: the limit must hold while reading too.
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                big.as_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
            Body::from_stream(futures_util::stream::iter(chunks))
        } else {
            req = req.header(header::CONTENT_LENGTH, big.len());
            Body::from(big.clone())
        };
        let r = app.raw(req.body(body).unwrap()).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "chunked={chunked}: {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains("too large"), "{}", r.body);
    }
    // A normal call still works.
    let r = app
        .raw(
            Request::post("/api/list_contacts")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from("{\"query\":{}}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn parallel_refreshes_of_one_token_give_exactly_one_new_pair() {
    let app = app().await;
    app.admin().await;
    let r = app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
    let calls = (0..8).map(|_| app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh})));
    let answers = futures_util::future::join_all(calls).await;
    let ok: Vec<&Resp> = answers.iter().filter(|r| r.status == StatusCode::OK).collect();
    assert_eq!(ok.len(), 1, "{:?}", answers.iter().map(|r| (r.status, r.body.to_string())).collect::<Vec<_>>());
    for r in &answers {
        assert!(r.status == StatusCode::OK || r.status == StatusCode::UNAUTHORIZED, "{} {}", r.status, r.body);
    }
    // The new refresh token works once more; the rotated one does not.
    let next = ok[0].body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(app.post("/api/v1/auth/refresh", None, json!({"refresh_token": next})).await.status, StatusCode::OK);
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn parallel_guesses_are_counted_before_the_password_is_checked() {
    let app = app().await;
    app.admin().await;
    let guesses =
        (0..25).map(|i| login_from(&app, "203.0.113.9", "admin", if i % 2 == 0 { "wrong one!" } else { "wrong two!" }));
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(checked + throttled, 25, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(
        checked,
        service::accounts::auth::LOGIN_ATTEMPTS_PER_NAME_AND_ADDRESS as usize,
        "only the allowed attempts are checked"
    );
    // From that address even the right password waits …
    assert_eq!(login_from(&app, "203.0.113.9", "admin", ADMIN_PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    // … but the guesser cannot lock the admin out from anywhere else.
    assert_eq!(login_from(&app, "198.51.100.20", "admin", ADMIN_PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_ipv6_network_counts_as_one_address() {
    let app = app().await;
    app.admin().await;
    for i in 0..service::accounts::auth::LOGIN_ATTEMPTS_PER_NAME_AND_ADDRESS {
        // Each guess from another address of the same /64.
        let addr = format!("2001:db8:1:2::{:x}", i + 1);
        assert_eq!(login_from(&app, &addr, "admin", "wrong password!").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&app, "2001:db8:1:2:ffff::1", "admin", ADMIN_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login_from(&app, "2001:db8:1:3::1", "admin", ADMIN_PASSWORD).await.status, StatusCode::OK);
    assert_eq!(service::accounts::auth::throttle_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    assert_eq!(service::accounts::auth::throttle_address("::ffff:192.0.2.1"), "192.0.2.1");
}

#[tokio::test]
async fn successful_sign_ins_do_not_use_up_the_address() {
    let app = app().await;
    app.admin().await;
    for _ in 0..(service::accounts::auth::LOGIN_ATTEMPTS_PER_ADDRESS + 5) {
        assert_eq!(login_from(&app, "192.0.2.44", "admin", ADMIN_PASSWORD).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn overlong_login_fields_are_refused_before_any_work() {
    let app = app().await;
    app.admin().await;
    let r =
        app.post("/api/v1/auth/login", None, json!({"username": "a".repeat(255), "password": "whatever it is"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("username"), "{}", r.body);
    let r = app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "p".repeat(5000)})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("password"), "{}", r.body);
    // A name of exactly 254 characters is looked at (and is simply wrong).
    let r =
        app.post("/api/v1/auth/login", None, json!({"username": "a".repeat(254), "password": "whatever it is"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

#[tokio::test]
async fn access_tokens_die_with_sign_out_password_reset_and_deactivation() {
    let app = app().await;
    let admin = app.admin().await;

    // Sign-out with the refresh token ends the access token at once.
    let r = app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let (access, refresh) =
        (r.body["access_token"].as_str().unwrap().to_string(), r.body["refresh_token"].as_str().unwrap().to_string());
    assert_eq!(app.get("/api/v1/auth/me", &access).await.status, StatusCode::OK);
    assert_eq!(
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": refresh})).await.status,
        StatusCode::NO_CONTENT
    );
    let r = app.get("/api/v1/auth/me", &access).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    // (the first admin token was issued before that sign-out, so it is gone too)
    assert_eq!(app.get("/api/v1/auth/me", &admin).await.status, StatusCode::UNAUTHORIZED);
    let admin = app.login("admin", ADMIN_PASSWORD).await;

    // A password reset by an administrator ends the user's tokens.
    let user = app.user(&admin, "frank").await;
    let id = app.get("/api/v1/auth/me", &user).await.body["id"].as_i64().unwrap();
    let r = app
        .post(&format!("/api/v1/admin/users/{id}/password"), Some(&admin), json!({"password": "a brand new password"}))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(app.get("/api/v1/auth/me", &user).await.status, StatusCode::UNAUTHORIZED);
    let user = app.login("frank", "a brand new password").await;
    assert_eq!(app.get("/api/v1/auth/me", &user).await.status, StatusCode::OK);

    // Deactivation refuses the token at once, and activating again does not revive it.
    let r = app
        .call(Method::PATCH, &format!("/api/v1/auth/users/{id}"), Some(&admin), Some(json!({"is_active": false})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get("/api/v1/auth/me", &user).await.status, StatusCode::FORBIDDEN);
    let r = app
        .call(Method::PATCH, &format!("/api/v1/auth/users/{id}"), Some(&admin), Some(json!({"is_active": true})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get("/api/v1/auth/me", &user).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_in_the_browser_ends_the_cookie_session() {
    let app = app().await;
    app.admin().await;
    let r = form_login(&app, "/", &[]).await;
    let cookies = cookie_header(&r);
    assert!(cookies.contains("cardcrm_access="), "{cookies}");
    let me = || {
        Request::post("/api/current_user")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookies.as_str())
            .body(Body::empty())
            .unwrap()
    };
    let r = app.raw(me()).await;
    assert_eq!(r.body["username"], "admin", "{}", r.body);
    let r = app
        .raw(
            Request::post("/api/logout")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookies.as_str())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    // The old cookies (a copy kept by someone) no longer open the session.
    let r = app.raw(me()).await;
    assert!(r.body.is_null(), "still signed in: {}", r.body);
}

#[tokio::test]
async fn cookie_writes_from_another_site_are_refused() {
    let app = app().await;
    app.admin().await;
    let cookies = cookie_header(&form_login(&app, "/", &[]).await);
    let create = |origin: Option<&str>, referer: Option<&str>| {
        let mut req = Request::post("/api/save_contact")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "crm.example.test")
            .header(header::COOKIE, cookies.as_str());
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(r) = referer {
            req = req.header(header::REFERER, r);
        }
        req.body(Body::from(json!({"id": null, "input": {"first_name": "Mallory"}}).to_string())).unwrap()
    };
    let r = app.raw(create(Some("https://evil.example"), None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("cross-site"), "{}", r.body);
    let r = app.raw(create(None, Some("https://evil.example/page"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.raw(create(Some("null"), None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The REST API with the cookie: the same.
    let r = app
        .raw(
            Request::post("/api/v1/contacts")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::HOST, "crm.example.test")
                .header(header::ORIGIN, "https://evil.example")
                .header(header::COOKIE, cookies.as_str())
                .body(Body::from(json!({"first_name": "Mallory"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Sign-in forms posted from elsewhere too (login CSRF).
    let r = form_login(&app, "/", &[("host", "crm.example.test"), ("origin", "https://evil.example")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Nothing was stored.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(app.get("/api/v1/contacts", &admin).await.body["total"], 0);
    // From this site it works.
    let r = app.raw(create(Some("https://crm.example.test"), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get("/api/v1/contacts", &admin).await.body["total"], 1);
}

#[tokio::test]
async fn pages_allow_only_their_own_nonce_for_inline_scripts() {
    let app = app().await;
    let r = app.raw(Request::get("/login").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src");
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    let nonce = script_src.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce");
    assert!(nonce.len() >= 22, "{nonce}");
    let html = r.body.as_str().unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration scripts carry the nonce");
    // Every inline script with content carries it (Leptos leaves an empty `<script></script>` at the
    // end of the body, which has nothing to run).
    for (i, _) in html.match_indices("<script") {
        let end = i + html[i..].find('>').unwrap();
        let (tag, rest) = (&html[i..end], &html[end + 1..]);
        let empty = rest.starts_with("</script>");
        assert!(
            empty || tag.contains(" src=") || tag.contains(&format!("nonce=\"{nonce}\"")),
            "inline script without the nonce: {tag}"
        );
    }
    // Each response has its own.
    let again = app.raw(Request::get("/login").body(Body::empty()).unwrap()).await;
    assert_ne!(again.headers[header::CONTENT_SECURITY_POLICY], r.headers[header::CONTENT_SECURITY_POLICY]);
    // Other answers allow no inline script at all.
    let api = app.call(Method::GET, "/health", None, None).await;
    let csp = api.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src");
    assert!(!script_src.contains("unsafe-inline") && !script_src.contains("nonce-"), "{csp}");
}

#[tokio::test]
async fn cookies_over_tls_are_host_only_and_secure() {
    let app = common::app_with_config(|c| c.cookie_secure = true).await;
    app.admin().await;
    let r = form_login(&app, "/", &[]).await;
    let cookies = set_cookies(&r);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for c in &cookies {
        assert!(c.starts_with("__Host-cardcrm_"), "{c}");
        assert!(c.contains("; Secure") && c.contains("Path=/") && !c.contains("Domain"), "{c}");
    }
    // And the session reads them back under those names.
    let r = app
        .raw(
            Request::post("/api/current_user")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie_header(&r))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.body["username"], "admin", "{}", r.body);
}

/// Two instances starting at once on one fresh PostgreSQL database both migrate it (one waits).
#[tokio::test]
async fn two_instances_migrating_one_fresh_postgres_database_both_come_up() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else { return };
    if !base.starts_with("postgres") {
        return;
    }
    use sea_orm::ConnectionTrait;
    let name = format!("cardcrm_migrate_{}", std::process::id());
    let admin = service::platform::db::connect(&base).await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
    let (a, b) =
        (service::platform::db::connect(&url).await.unwrap(), service::platform::db::connect(&url).await.unwrap());
    let (ra, rb) = tokio::join!(service::platform::db::migrate(&a), service::platform::db::migrate(&b));
    let result = (ra.map_err(|e| e.to_string()), rb.map_err(|e| e.to_string()));
    let applied = a
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT COUNT(*) AS n, COUNT(DISTINCT version) AS d FROM seaql_migrations".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    let (n, d): (i64, i64) = (applied.try_get("", "n").unwrap(), applied.try_get("", "d").unwrap());
    drop((a, b));
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    assert!(result.0.is_ok() && result.1.is_ok(), "{result:?}");
    assert_eq!(n, d, "every migration recorded once");
    assert_eq!(n as usize, <migration::Migrator as migration::MigratorTrait>::migrations().len());
}

/// Many writers at once on a SQLite file wait their turn instead of failing with "database is locked".
#[tokio::test]
async fn concurrent_writers_on_a_sqlite_file_all_succeed() {
    let dir = std::env::temp_dir().join(format!("cardcrm-writers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/w.db", dir.display());
    let db = service::platform::db::connect(&url).await.unwrap();
    service::platform::db::migrate(&db).await.unwrap();
    let mut auth = service::accounts::auth::AuthConfig::new(common::SECRET.as_bytes());
    auth.argon2_cost = (1024, 1);
    let svc = service::Services::new(db, auth);
    let input = service::dto::RegisterInput {
        username: "writer".into(),
        email: "writer@example.com".into(),
        password: "a long enough password".into(),
    };
    let user = service::accounts::auth::create_admin(&svc, &input).await.unwrap();
    let actor = service::Actor { user_id: user.id, username: user.username, is_admin: true };
    let creates = (0..24).map(|i| {
        let (svc, actor) = (svc.clone(), actor.clone());
        tokio::spawn(async move {
            let input = service::dto::ContactInput {
                first_name: format!("Writer{i}"),
                last_name: format!("Number{i}"),
                company: format!("Company {i}"),
                ..Default::default()
            };
            service::contacts::create(&svc, &actor, input).await.map_err(|e| e.to_string())
        })
    });
    let results: Vec<_> = futures_util::future::join_all(creates).await.into_iter().map(|r| r.unwrap()).collect();
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failed.is_empty(), "{failed:?}");
}

/// Two instances sharing one database and one Redis: a sign-out on one ends the token on the other
/// at its next request, not after the other's cache runs out.
#[tokio::test]
async fn a_sign_out_on_one_instance_is_seen_by_another_at_once_through_redis() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else { return };
    let app = app().await;
    app.admin().await;
    let r = app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let (access, refresh) =
        (r.body["access_token"].as_str().unwrap().to_string(), r.body["refresh_token"].as_str().unwrap().to_string());
    let instance = |svc: &service::Services| {
        let mut svc = svc.clone();
        let limiter =
            service::platform::rate_limit::RateLimiter::redis(&url, "cardcrm-test:stamps:").expect("redis url");
        svc.limiter = std::sync::Arc::new(limiter);
        svc.fresh_caches()
    };
    let (one, two) = (instance(&app.svc), instance(&app.svc));
    assert!(one.limiter.wait_connected(std::time::Duration::from_secs(5)).await, "Redis at {url} did not answer");
    assert!(two.limiter.wait_connected(std::time::Duration::from_secs(5)).await);
    // Both instances know the token (and have the user in their caches).
    assert!(service::accounts::auth::authenticate(&one, &access).await.is_ok());
    assert!(service::accounts::auth::authenticate(&two, &access).await.is_ok());
    service::accounts::auth::logout(&one, &refresh).await.unwrap();
    let err =
        service::accounts::auth::authenticate(&two, &access).await.expect_err("the other instance still accepted it");
    assert_eq!(err.status(), 401);
}
