//! Shared state of the HTTP server.

use crate::config::Config;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use service::Services;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub svc: Services,
    pub config: Arc<Config>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}
