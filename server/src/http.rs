//! Assembling the router and serving it: routes, middleware (session, metrics, limits, CORS,
//! security headers) and graceful shutdown.

use crate::config::Config;
use crate::state::AppState;
use crate::{api, web};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use service::Services;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Content-Security-Policy of everything but rendered pages (API answers, static files): no
/// inline script at all. Pages get [`web::page_csp`] with a per-response nonce for Leptos's
/// hydration scripts (and `wasm-unsafe-eval` for the WASM module).
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Installs the Prometheus recorder once per process (tests build several routers).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
                )
                .ok()
                .and_then(|b| b.install_recorder().ok())
                .inspect(|_| crate::metrics_catalog::register())
        })
        .clone()
}

pub fn leptos_options(cfg: &Config) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    LeptosOptions::builder()
        .output_name("cardcrm")
        .site_root(site_root)
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(cfg.site_addr)
        // Content-hashed bundle names when the release build wrote them (crate::assets).
        .hash_files(crate::assets::Hashes::of_this_build().is_some())
        .build()
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn ready(State(st): State<AppState>) -> Response {
    match service::platform::db::ping(&st.svc.db).await {
        Ok(()) => Json(serde_json::json!({"status": "ready", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "detail": "database unreachable"})),
            )
                .into_response()
        }
    }
}

/// Whether the presented `/metrics` bearer token is the configured one (constant time for tokens
/// of the configured length).
fn metrics_token_ok(headers: &axum::http::HeaderMap, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or("");
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

async fn metrics_page(State(st): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = &st.config.metrics_token {
        if !metrics_token_ok(&headers, token) {
            let mut resp = api::detail(StatusCode::UNAUTHORIZED, "metrics need Authorization: Bearer <METRICS_TOKEN>");
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
    }
    service::admin::refresh_gauges(&st.svc, std::time::Duration::from_secs(2)).await;
    match &st.metrics {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => api::detail(StatusCode::SERVICE_UNAVAILABLE, "metrics recorder not installed"),
    }
}

/// Counts every request by method, route template and status, and times it.
async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = if req.uri().path().starts_with("/pkg/") {
        "/pkg/*".to_string()
    } else {
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into())
    };
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("path", path), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(start.elapsed().as_secs_f64());
    resp
}

/// Answers 413 (body too large) and other bare rejections from layers as JSON.
async fn json_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/v1");
    let resp = next.run(req).await;
    if api && resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let is_json =
            resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if !is_json {
            return api::detail(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large");
        }
    }
    resp
}

fn cors(cfg: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = cfg.cors_origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

/// A directory of the site — `/pkg` (the wasm/js/css bundle) and `/ocr` (the on-device reader,
/// crate `ocr-web`, built into the site by `scripts/ocr-web.sh site`; 404 when the site has none) —
/// served precompressed (brotli, gzip siblings preferred) with the caching headers of
/// [`crate::assets::pkg_headers`].
fn static_dir(
    dir: std::path::PathBuf,
) -> impl tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future = impl Send>
       + Clone
       + Send
       + Sync
       + 'static {
    tower::ServiceBuilder::new()
        .layer(middleware::from_fn(crate::assets::pkg_headers))
        .map_response(IntoResponse::into_response)
        .service(tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip())
}

/// `/ocr-models/{name}`: the OCR model files, for the on-device reader (`/ocr/`, crate `ocr-web`,
/// which checks each file against its pinned SHA-256). Only the pinned files; with ranges and
/// validators (`ServeFile`); a week in the browser's cache (the service worker keeps them longer).
async fn ocr_model(
    State(st): State<AppState>,
    axum::extract::Path(name): axum::extract::Path<String>,
    req: Request,
) -> Response {
    use tower::ServiceExt;
    if !ocr::MODEL_FILES.contains(&name.as_str()) {
        return api::detail(StatusCode::NOT_FOUND, "no such model file");
    }
    let path = st.config.models_dir.join(&name);
    if !path.is_file() {
        return api::detail(
            StatusCode::NOT_FOUND,
            format!("the OCR models are not installed on this server ({})", ocr::FETCH_MODELS_COMMAND),
        );
    }
    match tower_http::services::ServeFile::new(path).oneshot(req).await {
        Ok(resp) => {
            let mut resp = resp.map(axum::body::Body::new);
            if resp.status().is_success() {
                resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=604800"));
            }
            resp
        }
        Err(e) => api::detail(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read the model file: {e}")),
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let cfg = state.config.clone();
    let site_root = std::path::PathBuf::from(state.leptos_options.site_root.as_ref());
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_page))
        .route("/docs", get(api::docs::docs_page))
        .route("/.well-known/carddav", axum::routing::any(crate::dav::well_known))
        .route("/dav", axum::routing::any(crate::dav::handle))
        .route("/dav/", axum::routing::any(crate::dav::handle))
        .route("/dav/{*path}", axum::routing::any(crate::dav::handle))
        .nest("/api/v1", api::router())
        .merge(crate::webhooks::routes())
        .route("/api/{*fn_name}", get(web::server_fn_handler).post(web::server_fn_handler))
        .leptos_routes_with_handler(routes, get(web::render_page))
        .route("/sw.js", get(crate::assets::sw_js))
        .route("/ocr-models/{name}", get(ocr_model))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        // Pages, API answers and CardDAV documents gzip-compressed for clients that ask (not event
        // streams, images or anything already encoded); the bundle below is precompressed.
        .layer(CompressionLayer::new().no_br().no_deflate().no_zstd())
        .nest_service("/pkg", static_dir(site_root.join(state.leptos_options.site_pkg_dir.as_ref())))
        .nest_service("/ocr", static_dir(site_root.join("ocr")))
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::rate_limit));
    if cfg.metrics_enabled {
        router = router.layer(middleware::from_fn(track_metrics));
    }
    router = router
        .layer(middleware::from_fn_with_state(state.clone(), web::session_layer))
        .layer(middleware::from_fn_with_state(state.clone(), web::same_site_writes))
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::client_addr))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(middleware::from_fn(json_errors))
        .layer(cors(&cfg))
        // CardDAV clients probe with OPTIONS, which the CORS layer would take for a preflight.
        .layer(middleware::from_fn(crate::dav::options));
    let headers: [(&str, &str); 5] = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", CSP),
        ("permissions-policy", "camera=(self), microphone=(), geolocation=()"),
    ];
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    if cfg.behind_tls {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    // Outermost: a request id (kept from the client or a new UUID) on the request, the response and
    // every log line of the request's span; one access-log line per request (path only, no query).
    let access_log = cfg.access_log;
    router = router
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(move |resp: &Response, latency: std::time::Duration, _span: &tracing::Span| {
                    if access_log {
                        tracing::info!(
                            status = resp.status().as_u16(),
                            latency_ms = latency.as_secs_f64() * 1000.0,
                            "response"
                        );
                    }
                }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    router.with_state(state)
}

pub fn state(cfg: Config, svc: Services) -> AppState {
    let svc = svc.with_scan_dirs(cfg.data_dir.clone(), cfg.models_dir.clone());
    AppState { leptos_options: leptos_options(&cfg), svc, config: Arc::new(cfg), metrics: metrics_handle() }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

pub async fn serve(cfg: Config, svc: Services) -> Result<(), String> {
    let addr = cfg.site_addr;
    let mut svc = svc;
    if let Some(url) = &cfg.redis_url {
        let limiter =
            service::platform::rate_limit::RateLimiter::redis(url, "cardcrm:rl:").map_err(|e| e.to_string())?;
        if limiter.wait_connected(std::time::Duration::from_secs(3)).await {
            tracing::info!("Redis connected: rate limits are shared between instances");
        } else {
            tracing::warn!("Redis (REDIS_URL) is not answering: counting rate limits in this process until it does");
        }
        svc.limiter = Arc::new(limiter);
    }
    if let Some(dir) = &cfg.search_index {
        // A second process on the same folder finds it locked and searches the database only.
        match service::search::contact_index::ContactIndex::open(Some(dir)) {
            Ok(index) => svc = svc.with_search_index(index),
            Err(e) => tracing::warn!(error = %e, "no search index: the search box reads the database"),
        }
    }
    let state = state(cfg, svc);
    let svc = state.svc.clone();
    // Keys made by an older key derivation are recomputed by a background scan.
    if let Err(e) = service::duplicates::duplicate_scans::rekey_if_outdated(&svc).await {
        tracing::warn!(error = %e, "cannot check the version of the duplicate keys");
    }
    // The gauges read from the database have their values from the start.
    service::admin::refresh_gauges(&svc, std::time::Duration::ZERO).await;
    if service::accounts::auth::count_admins(&svc).await.unwrap_or(1) == 0 {
        tracing::warn!(
            "no administrator yet: create one with `cardcrm create-admin --username NAME --email ADDRESS` \
             (password from CARDCRM_ADMIN_PASSWORD or typed at the prompt), then sign in at http://{addr}/login"
        );
    }
    let models_dir = &state.config.models_dir;
    if let Some(missing) = ocr::MODEL_FILES.iter().map(|f| models_dir.join(f)).find(|p| !p.is_file()) {
        tracing::warn!(
            "OCR model {} is missing: scans will fail until you run `{} {}`",
            missing.display(),
            ocr::FETCH_MODELS_COMMAND,
            models_dir.display()
        );
    }
    let pkg =
        std::path::Path::new(state.leptos_options.site_root.as_ref()).join(state.leptos_options.site_pkg_dir.as_ref());
    if pkg.is_dir() {
        crate::assets::precompress_in_background(pkg);
    }
    let ocr_site = std::path::Path::new(state.leptos_options.site_root.as_ref()).join("ocr");
    if ocr_site.is_dir() {
        crate::assets::precompress_in_background(ocr_site);
    }
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("cardcrm listening on http://{addr}");
    let worker = service::scans::Worker::start(svc.clone());
    let bots = crate::webhooks::Processor::start(svc.clone(), crate::webhooks::ProcessorOptions::default());
    let upkeep = service::search::search_index::Upkeep::start(svc.clone());
    let follower = service::search::contact_index::Follower::start(svc.clone());
    let maintenance = service::admin::maintenance::Maintenance::start(svc.clone());
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string());
    bots.shutdown().await;
    worker.shutdown().await;
    upkeep.shutdown().await;
    follower.shutdown().await;
    maintenance.shutdown().await;
    served
}
