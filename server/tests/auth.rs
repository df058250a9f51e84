//! Accounts and access: registration and activation, tokens (expired, tampered, `alg: none`,
//! refresh rotation and reuse), roles on REST and server-function doors, login throttling.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, SECRET};
use serde_json::json;

#[tokio::test]
async fn health_and_ready() {
    let app = app().await;
    let r = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    let r = app.call(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{} on {}", r.body, common::backend());
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(r.headers.contains_key("content-security-policy"));
}

#[tokio::test]
async fn new_users_are_inactive_until_an_admin_activates_them() {
    let app = app().await;
    let admin = app.admin().await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "Bob", "email": "bob@example.com", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["is_active"], false);
    assert_eq!(r.body["username"], "bob");
    let id = r.body["id"].as_i64().unwrap();
    let r =
        app.post("/api/v1/auth/login", None, json!({"username": "bob", "password": "a long enough password"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("not active"));

    // The same name or e-mail again is a conflict; a short password names the field.
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "bob", "email": "b2@example.com", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "carol", "email": "carol@example.com", "password": "short"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["detail"].as_str().unwrap().starts_with("password"));

    let r = app
        .call(Method::PATCH, &format!("/api/v1/auth/users/{id}"), Some(&admin), Some(json!({"is_active": true})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["is_active"], true);
    let token = app.login("bob@example.com", "a long enough password").await;
    let r = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(r.body["username"], "bob");
    assert_eq!(r.body["is_admin"], false);
}

#[tokio::test]
async fn oauth2_password_form_login() {
    let app = app().await;
    app.admin().await;
    let req = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("grant_type=password&username=admin&password=correct+horse+battery"))
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "bearer");
    assert_eq!(r.body["expires_in"], 1800);
    assert!(r.body["refresh_token"].as_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = app().await;
    let admin = app.admin().await;
    assert_eq!(app.call(Method::GET, "/api/v1/contacts", None, None).await.status, StatusCode::UNAUTHORIZED);

    // Tampered: flip a character of the signature.
    let mut tampered = admin.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let r = app.get("/api/v1/auth/me", &tampered).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body["detail"].is_string());

    // alg: none with the admin's claims.
    let claims = admin.split('.').nth(1).unwrap();
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
    assert_eq!(app.get("/api/v1/auth/me", &none).await.status, StatusCode::UNAUTHORIZED);

    // Expired, though correctly signed.
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "1", "name": "admin", "typ": "access", "iat": now - 4000, "exp": now - 2000}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(app.get("/api/v1/auth/me", &expired).await.status, StatusCode::UNAUTHORIZED);

    // Signed with another key.
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "1", "name": "admin", "typ": "access", "iat": now, "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another secret that is long enough!!"),
    )
    .unwrap();
    assert_eq!(app.get("/api/v1/auth/me", &forged).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/auth/me", "not-a-jwt").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deactivated_users_lose_access_at_once() {
    let app = app().await;
    let admin = app.admin().await;
    let user = app.user(&admin, "dora").await;
    assert_eq!(app.get("/api/v1/contacts", &user).await.status, StatusCode::OK);
    let id = app.get("/api/v1/auth/me", &user).await.body["id"].as_i64().unwrap();
    let r = app
        .call(Method::PATCH, &format!("/api/v1/auth/users/{id}"), Some(&admin), Some(json!({"is_active": false})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/contacts", &user).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_or_logout_revokes() {
    let app = app().await;
    app.admin().await;
    let r =
        app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "correct horse battery"})).await;
    let first = r.body["refresh_token"].as_str().unwrap().to_string();
    let r = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = r.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert!(app.get("/api/v1/auth/me", r.body["access_token"].as_str().unwrap()).await.status.is_success());
    // The rotated-out token no longer works.
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": first})).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Logout revokes the current one.
    assert_eq!(
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": second})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": second})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": "garbage"})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn admin_doors_refuse_users() {
    let app = app().await;
    let admin = app.admin().await;
    let user = app.user(&admin, "erin").await;
    assert_eq!(app.get("/api/v1/auth/users", &user).await.status, StatusCode::FORBIDDEN);
    let r = app.call(Method::PATCH, "/api/v1/auth/users/1", Some(&user), Some(json!({"is_admin": true}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/auth/users", &admin).await.body.as_array().unwrap().len(), 2);
    // An admin cannot demote themselves.
    let me = app.get("/api/v1/auth/me", &admin).await.body["id"].as_i64().unwrap();
    let r = app
        .call(Method::PATCH, &format!("/api/v1/auth/users/{me}"), Some(&admin), Some(json!({"is_admin": false})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Server functions are a public API too: the same checks apply there.
    let sfn = |token: Option<&str>| {
        let mut req =
            Request::post("/api/list_users").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        req.body(Body::empty()).unwrap()
    };
    assert_eq!(app.raw(sfn(None)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.raw(sfn(Some(&user))).await.status, StatusCode::FORBIDDEN);
    let r = app.raw(sfn(Some(&admin))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    // Demoting yourself through the UI's server function is refused the same way as over REST.
    let r = app
        .raw(
            Request::post("/api/patch_user")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::from(json!({"id": me, "patch": {"is_admin": false}}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(app.get("/api/v1/auth/me", &admin).await.body["is_admin"], true);
    let r = app
        .raw(
            Request::post("/api/list_contacts")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"query\":{}}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failed_logins_are_throttled() {
    let app = app().await;
    app.admin().await;
    for _ in 0..5 {
        let r = app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "wrong password!"})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r =
        app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "correct horse battery"})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 300);
    // Another user is not locked out by it.
    let r = app.post("/api/v1/auth/login", None, json!({"username": "nobody", "password": "whatever it is"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
