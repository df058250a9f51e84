//! Test harness: the real router over a fresh database — SQLite in memory, or a throw-away
//! PostgreSQL database when `TEST_DATABASE_URL` is set — driven without a network socket.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use server::config::Config;
use service::{accounts::auth::AuthConfig, platform::db, Services};
use tower::ServiceExt;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

pub struct TestApp {
    pub router: Router,
    pub svc: Services,
    pg: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.svc.scans.data_dir());
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop the throw-away database on a separate runtime (Drop cannot await).
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let conn = db::connect(&admin_url).await.ok()?;
                    use sea_orm::ConnectionTrait;
                    conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
                })
            })
            .join();
        }
    }
}

/// Which database the tests run against, for messages.
pub fn backend() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        "postgres"
    } else {
        "sqlite"
    }
}

pub async fn app() -> TestApp {
    app_with(|svc| svc).await
}

/// [`app`] with its services changed by `configure` before the router is built.
pub async fn app_with(configure: impl FnOnce(Services) -> Services) -> TestApp {
    app_with_both(configure, |_| {}).await
}

/// [`app`] with its configuration changed by `change` before the router is built.
pub async fn app_with_config(change: impl FnOnce(&mut Config)) -> TestApp {
    app_with_both(|svc| svc, change).await
}

async fn app_with_both(configure: impl FnOnce(Services) -> Services, change: impl FnOnce(&mut Config)) -> TestApp {
    let (url, pg) = match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            let name = format!("cardcrm_test_{}", uuid_like());
            let admin = db::connect(&base).await.expect("connect to TEST_DATABASE_URL");
            use sea_orm::ConnectionTrait;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("database url with a path");
            (format!("{prefix}/{name}"), Some((base.clone(), name)))
        }
        _ => ("sqlite::memory:".to_string(), None),
    };
    let conn = db::connect(&url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let mut auth = AuthConfig::new(SECRET.as_bytes());
    auth.argon2_cost = (1024, 1);
    let svc = configure(Services::new(conn, auth));
    std::env::set_var("CARDCRM_DATA_DIR", std::env::temp_dir().join("cardcrm-test"));
    let mut cfg = Config::from_env().expect("config");
    cfg.max_body_bytes = 64 * 1024;
    // Each app stores its scan images apart; models from CARDCRM_MODELS_DIR or the workspace's ./models.
    cfg.data_dir = std::env::temp_dir().join(format!("cardcrm-test-{}", uuid_like()));
    if std::env::var("CARDCRM_MODELS_DIR").is_err() {
        cfg.models_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    }
    change(&mut cfg);
    let state = server::http::state(cfg, svc);
    let svc = state.svc.clone();
    TestApp { router: server::http::router(state), svc, pg }
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn raw(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.expect("router answered");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 * 1024 * 1024).await.expect("body");
        let body =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Resp { status, headers, body }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        self.raw(req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Creates an administrator and returns an access token for it.
    pub async fn admin(&self) -> String {
        let input = service::dto::RegisterInput {
            username: "admin".into(),
            email: "admin@example.com".into(),
            password: "correct horse battery".into(),
        };
        service::accounts::auth::create_admin(&self.svc, &input).await.expect("create admin");
        self.login("admin", "correct horse battery").await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self.post("/api/v1/auth/login", None, json!({"username": username, "password": password})).await;
        assert_eq!(r.status, StatusCode::OK, "login failed: {}", r.body);
        r.body["access_token"].as_str().expect("token").to_string()
    }

    /// Registers a user, has the admin activate it, and returns its token.
    pub async fn user(&self, admin: &str, name: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"username": name, "email": format!("{name}@example.com"), "password": "a long enough password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().expect("id");
        let r = self
            .call(Method::PATCH, &format!("/api/v1/auth/users/{id}"), Some(admin), Some(json!({"is_active": true})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        self.login(name, "a long enough password").await
    }
}
