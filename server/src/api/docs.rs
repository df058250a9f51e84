//! The generated OpenAPI document and a human-readable page of it at `/docs`
//! (rendered here, so it needs nothing from the internet).

use axum::response::{Html, IntoResponse};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cardcrm API", description = "Business-card CRM. Authenticate with POST /api/v1/auth/login and send `Authorization: Bearer <access_token>`. Errors are JSON `{\"detail\": \"…\"}`."),
    paths(
        super::auth::register, super::auth::login, super::auth::refresh, super::auth::logout, super::auth::me,
        super::auth::users, super::auth::patch_user,
        super::admin::status, super::admin::get_settings, super::admin::put_settings, super::admin::audit_log,
        super::admin::reset_password,
        super::contacts::list, super::contacts::create, super::contacts::get, super::contacts::update,
        super::contacts::delete, super::contacts::restore, super::contacts::history, super::contacts::search,
        super::duplicates::check, super::duplicates::list, super::duplicates::set_status,
        super::duplicates::start_scan, super::duplicates::get_scan, super::duplicates::latest_scan,
        super::duplicates::get_settings, super::duplicates::put_settings, super::duplicates::merge,
        super::duplicates::undo_merge, super::duplicates::contact_merges,
        super::labels::list_tags, super::labels::create_tag, super::labels::update_tag, super::labels::delete_tag,
        super::labels::list_groups, super::labels::create_group, super::labels::update_group, super::labels::delete_group,
        super::scans::create, super::scans::get, super::scans::image, super::scans::rerun, super::scans::events,
        super::scans::draft, super::scans::save, super::scans::contact_cards,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `/docs`: every operation with its parameters, body and responses.
pub async fn docs_page() -> Html<String> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut body = String::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            for (method, op) in ops.as_object().into_iter().flatten() {
                let params: Vec<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        format!(
                            "<code>{}</code> ({})",
                            esc(p["name"].as_str().unwrap_or("")),
                            esc(p["in"].as_str().unwrap_or(""))
                        )
                    })
                    .collect();
                let body_schema = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
                let responses: Vec<String> = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(code, r)| format!("{} {}", esc(code), esc(r["description"].as_str().unwrap_or(""))))
                    .collect();
                body.push_str(&format!(
                    "<section><h3><span class=m>{}</span> <code>{}</code></h3>{}{}<p>Responses: {}</p></section>",
                    method.to_uppercase(),
                    esc(path),
                    if params.is_empty() { String::new() } else { format!("<p>Parameters: {}</p>", params.join(", ")) },
                    body_schema.map(|s| format!("<p>Body: <a href=\"#{s}\">{s}</a></p>")).unwrap_or_default(),
                    responses.join(" · ")
                ));
            }
        }
    }
    let mut schemas = String::new();
    if let Some(s) = doc["components"]["schemas"].as_object() {
        for (name, schema) in s {
            schemas.push_str(&format!(
                "<section id=\"{n}\"><h3>{n}</h3><pre>{}</pre></section>",
                esc(&serde_json::to_string_pretty(schema).unwrap_or_default()),
                n = esc(name)
            ));
        }
    }
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>cardcrm API</title><style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2937}}\
         section{{border-bottom:1px solid #e5e7eb;padding:.5rem 0}}.m{{display:inline-block;min-width:4.5rem;color:#2563eb}}\
         pre{{background:#f3f4f6;padding:.75rem;overflow:auto;font-size:.8rem}}</style></head><body>\
         <h1>cardcrm API</h1><p>{}</p><p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a></p>\
         <h2>Operations</h2>{body}<h2>Schemas</h2>{schemas}</body></html>",
        esc(doc["info"]["description"].as_str().unwrap_or(""))
    ))
}
