//! The generated OpenAPI document and a human-readable page of it at `/docs`
//! (rendered here, so it needs nothing from the internet).

use axum::response::{Html, IntoResponse};
use axum::Json;
use serde_json::{json, Value};
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
        super::app_passwords::create, super::app_passwords::list, super::app_passwords::revoke,
        super::app_passwords::setup, super::app_passwords::set_groups,
        super::admin::status, super::admin::get_settings, super::admin::put_settings, super::admin::audit_log,
        super::admin::reset_password,
        super::contacts::list, super::contacts::create, super::contacts::get, super::contacts::update,
        super::contacts::delete, super::contacts::restore, super::contacts::history, super::contacts::search,
        super::photos::get, super::photos::put, super::photos::delete,
        super::duplicates::check, super::duplicates::list, super::duplicates::set_status,
        super::duplicates::start_scan, super::duplicates::get_scan, super::duplicates::latest_scan,
        super::duplicates::get_settings, super::duplicates::put_settings, super::duplicates::merge,
        super::duplicates::undo_merge, super::duplicates::contact_merges,
        super::labels::list_tags, super::labels::create_tag, super::labels::update_tag, super::labels::delete_tag,
        super::labels::list_groups, super::labels::create_group, super::labels::update_group, super::labels::delete_group,
        super::scans::create, super::scans::get, super::scans::image, super::scans::rerun, super::scans::events,
        super::scans::draft, super::scans::save, super::scans::save_device, super::scans::contact_cards,
        super::imports::create, super::imports::list, super::imports::get, super::imports::apply,
        super::imports::undo, super::imports::events, super::imports::export,
    ),
    components(schemas(service::scans::device::DeviceSave)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

pub async fn openapi_json() -> impl IntoResponse {
    Json(document())
}

/// The OpenAPI document as served: what the `#[utoipa::path]` annotations give, made exact where
/// derive macros cannot say what the server enforces (the same constants the server checks with):
/// every `{id}` declared, every query parameter typed with its bounds and enums, request-body
/// constraints, and every error status with its `{"detail"}` body. `tests/api_contract.rs` and
/// `scripts/schemathesis.sh` hold the server to it.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    doc["components"]["schemas"]["ErrorDetail"] = json!({
        "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "string", "description": "what went wrong; a field error starts with the field's name"}}
    });
    patch_schemas(&mut doc["components"]["schemas"]);
    let Some(paths) = doc["paths"].as_object_mut() else { return doc };
    for (path, ops) in paths.iter_mut() {
        let Some(ops) = ops.as_object_mut() else { continue };
        for (method, op) in ops.iter_mut() {
            patch_operation(path, method, op);
        }
    }
    doc
}

fn int_schema(min: i64, max: i64) -> Value {
    json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max})
}

fn enum_schema(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// One character that Rust's `str::trim` removes (Unicode White_Space), spelt out: JSON Schema's
/// `\s` is ECMA-262's, which lacks U+0085 and has U+FEFF, so `\S` let a name of one U+0085
/// through the document that the server (trimming it away) refused (Schemathesis, session 16).
const BLANK: &str = "[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
/// Holds at least one character that `str::trim` keeps.
const NON_BLANK: &str = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// The schema of a query parameter, by operation and name (the server's own limits).
fn query_schema(path: &str, name: &str) -> Option<Value> {
    use service::dto::{CONTACT_SORTS, DUPLICATE_STATUSES, MAX_PAGE, MAX_PAGE_SIZE, MAX_SEARCH_LIMIT, SORT_ORDERS};
    Some(match name {
        "page" => int_schema(1, MAX_PAGE as i64),
        "limit" if path.ends_with("/contacts/search") => int_schema(1, MAX_SEARCH_LIMIT as i64),
        "limit" => int_schema(1, MAX_PAGE_SIZE as i64),
        "sort" => enum_schema(&CONTACT_SORTS),
        "order" => enum_schema(&SORT_ORDERS),
        // A list cursor: unpadded base64url, as `next` and `previous` hand it out.
        "after" | "before" => {
            json!({"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "maxLength": service::dto::MAX_CURSOR})
        }
        "status" => enum_schema(&DUPLICATE_STATUSES),
        "trash" => json!({"type": "boolean"}),
        "contact_id" => int_schema(i64::MIN, i64::MAX),
        "from" | "to" => json!({"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}),
        // Every engine this build knows; `google` is refused (422) unless Google Vision is configured.
        "engine" => enum_schema(&service::scans::engine_names()),
        "action" if path.starts_with("/api/v1/imports") => enum_schema(&service::import_dto::ROW_ACTIONS),
        "on_duplicate" => enum_schema(&service::import_dto::ON_DUPLICATE),
        "format" if path.starts_with("/api/v1/imports") => enum_schema(&service::import_dto::IMPORT_FORMATS),
        "format" => enum_schema(&service::import_dto::EXPORT_FORMATS),
        "version" => enum_schema(&["4.0", "3.0"]),
        "dry_run" | "all_or_nothing" => json!({"type": "boolean"}),
        "tag" if path.starts_with("/api/v1/imports") => json!({"type": "string", "maxLength": 50}),
        "ids" => json!({"type": "string", "pattern": "^\\s*([1-9][0-9]{0,17}\\s*(,\\s*[1-9][0-9]{0,17}\\s*)*)?$"}),
        "q" | "tag" | "group" | "company" if path == "/api/v1/export" => {
            json!({"type": "string", "maxLength": service::transfer::export::MAX_FILTER_CHARS})
        }
        "q" | "tag" | "group" | "company" | "user" | "action" | "entity" => json!({"type": "string"}),
        _ => return None,
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description,
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}})
}

fn patch_operation(path: &str, method: &str, op: &mut Value) {
    // Path parameters: every `{name}` is an id (a positive 64-bit integer).
    let mut params: Vec<Value> = op["parameters"].as_array().cloned().unwrap_or_default();
    let declared: Vec<String> =
        params.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str().map(str::to_string)).collect();
    for name in path.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
        if !declared.iter().any(|d| d == name) {
            params.push(json!({"name": name, "in": "path", "required": true}));
        }
    }
    let mut has_query = false;
    for p in params.iter_mut() {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        if p["in"] == "path" {
            p["schema"] = int_schema(1, i64::MAX);
        } else if p["in"] == "query" {
            has_query = true;
            if let Some(schema) = query_schema(path, &name) {
                p["schema"] = schema;
            }
            p["required"] = json!(false);
        }
    }
    let has_path = params.iter().any(|p| p["in"] == "path");
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    let body = op["requestBody"]["content"].as_object().map(|c| c.keys().cloned().collect::<Vec<_>>());
    let secured = op.get("security").is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
    let unsafe_method = matches!(method, "post" | "put" | "patch" | "delete");

    let mut errors: Vec<(&str, &str)> = Vec::new();
    if secured {
        errors.push(("401", "not signed in, or the token is invalid or expired"));
    }
    if secured && unsafe_method {
        errors.push(("403", "administrators only, or a cross-site request"));
    }
    if has_path {
        errors.push(("400", "a path parameter is not a number"));
        errors.push(("404", "not found"));
    }
    if has_path || has_query {
        errors.push(("422", "a parameter is out of range or invalid (the detail names it)"));
    }
    if let Some(types) = &body {
        errors.push(("400", "malformed body"));
        errors.push(("413", "the body is too large"));
        errors.push(("415", "wrong content type"));
        errors.push(("422", "an invalid field (the detail names it)"));
        let _ = types;
    }
    errors.push(("429", "too many requests; retry after the Retry-After header's seconds"));
    if path == "/api/v1/export" {
        // One answer per format: vCard, CSV, XLSX or JSON lines.
        let text = json!({"schema": {"type": "string"}});
        let binary = json!({"schema": {"type": "string", "format": "binary"}});
        op["responses"]["200"]["content"] = json!({
            "text/vcard": text, "text/csv": text, "application/x-ndjson": text,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": binary,
        });
    }
    if path == "/api/v1/contacts/{id}/photo" {
        // The image itself, one of the four kinds kept, both ways.
        let binary = json!({"schema": {"type": "string", "format": "binary"}});
        let images: serde_json::Map<String, Value> =
            service::contacts::photos::MEDIA_TYPES.iter().map(|t| (t.to_string(), binary.clone())).collect();
        if method == "get" {
            op["responses"]["200"]["content"] = Value::Object(images.clone());
        } else if method == "put" {
            op["requestBody"]["content"] = Value::Object(images);
            op["requestBody"]["required"] = json!(true);
        }
    }
    let responses = op["responses"].as_object_mut();
    let Some(responses) = responses else { return };
    for (code, description) in errors {
        responses.entry(code.to_string()).or_insert_with(|| error_response(description));
    }
    for (code, r) in responses.iter_mut() {
        if code.starts_with('4') || code.starts_with('5') {
            let description = r["description"].as_str().filter(|d| !d.is_empty()).unwrap_or("error").to_string();
            *r = error_response(&description);
        }
    }
}

/// Constraints of request bodies that the derives cannot state (lengths, enums, item counts), as
/// the service checks them.
fn patch_schemas(schemas: &mut Value) {
    use service::dto::{ContactField, CONTACT_KINDS, MAX_WEIGHT};
    let set = |schemas: &mut Value, schema: &str, prop: &str, patch: Value| {
        if let Some(target) =
            schemas.get_mut(schema).and_then(|s| s.get_mut("properties")).and_then(|p| p.get_mut(prop))
        {
            if let (Some(t), Some(p)) = (target.as_object_mut(), patch.as_object()) {
                for (k, v) in p {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
    };
    let text = |max: u64| json!({"type": "string", "maxLength": max});
    for f in ContactField::ALL {
        set(schemas, "ContactInput", f.name(), text(f.max_len() as u64));
    }
    set(schemas, "ContactInput", "phones", json!({"maxItems": 20}));
    set(schemas, "ContactInput", "emails", json!({"maxItems": 20}));
    set(schemas, "ContactInput", "source", json!({"type": "string", "enum": service::contacts::SOURCES}));
    let mut kinds: Vec<&str> = CONTACT_KINDS.to_vec();
    kinds.push("");
    for s in ["PhoneInput", "EmailInput"] {
        set(schemas, s, "kind", json!({"type": "string", "enum": kinds}));
    }
    set(schemas, "PhoneInput", "number", text(64));
    set(schemas, "EmailInput", "address", text(254));
    schemas["NameRef"] = json!({"oneOf": [
        {"type": "string", "minLength": 1, "maxLength": 50, "pattern": NON_BLANK},
        {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": NON_BLANK}}}
    ]});
    for s in ["TagInput", "GroupInput"] {
        set(schemas, s, "name", json!({"type": "string", "minLength": 1, "maxLength": 50, "pattern": NON_BLANK}));
    }
    let color = format!("^({BLANK}*|{BLANK}*#[0-9A-Fa-f]{{6}}{BLANK}*)$");
    set(schemas, "TagInput", "color", json!({"type": "string", "pattern": color}));
    set(schemas, "GroupInput", "description", text(1000));
    set(schemas, "RegisterInput", "username", json!({"type": "string", "pattern": "^[A-Za-z0-9._-]{3,40}$"}));
    set(schemas, "RegisterInput", "password", json!({"type": "string", "minLength": 10, "maxLength": 64}));
    set(schemas, "RegisterInput", "email", json!({"type": "string", "maxLength": 254}));
    set(
        schemas,
        "AppPasswordInput",
        "name",
        json!({"type": "string", "minLength": 1, "maxLength": service::dav_dto::APP_PASSWORD_NAME_MAX,
               "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\uFEFF\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"}),
    );
    if let Some(s) = schemas.get_mut("AppPasswordInput") {
        s["required"] = json!(["name"]);
    }
    set(schemas, "DavGroupsInput", "group_ids", json!({"maxItems": service::dav_dto::DAV_GROUPS_MAX}));
    if let Some(s) = schemas.get_mut("DavGroupsInput") {
        s["required"] = json!(["group_ids"]);
    }
    set(schemas, "LoginInput", "username", json!({"type": "string", "maxLength": 254}));
    set(schemas, "LoginInput", "password", json!({"type": "string", "maxLength": 1024}));
    set(schemas, "PasswordReset", "password", json!({"type": "string", "minLength": 10, "maxLength": 64}));
    set(
        schemas,
        "DuplicateStatusInput",
        "status",
        json!({"type": "string", "enum": ["pending", "reviewed", "ignored"]}),
    );
    set(
        schemas,
        "MergeInput",
        "ids",
        json!({"minItems": 2, "maxItems": service::duplicates::merges::MAX_MERGE, "uniqueItems": true}),
    );
    for s in ["TagInput", "GroupInput"] {
        if let Some(s) = schemas.get_mut(s) {
            s["required"] = json!(["name"]);
        }
    }
    // A merge names its contacts and, unless it is a dry run, the versions it read.
    if let Some(s) = schemas.get_mut("MergeInput") {
        s["required"] = json!(["ids"]);
        s["anyOf"] =
            json!([{"required": ["versions"]}, {"required": ["dry_run"], "properties": {"dry_run": {"const": true}}}]);
    }
    // A contact needs a name (or a part of one), a company, a phone or an e-mail.
    if let Some(s) = schemas.get_mut("ContactInput") {
        let mut any: Vec<Value> = ["prefix", "first_name", "middle_name", "last_name", "full_name", "company"]
            .iter()
            .map(|f| json!({"required": [f], "properties": {(*f): {"pattern": NON_BLANK}}}))
            .collect();
        for (list, field) in [("phones", "number"), ("emails", "address")] {
            any.push(json!({"required": [list], "properties": {(list): {"contains":
                {"type": "object", "required": [field], "properties": {(field): {"pattern": NON_BLANK}}}}}}));
        }
        s["anyOf"] = Value::Array(any);
    }
    set(schemas, "UserPatch", "is_active", json!({"type": "boolean"}));
    set(schemas, "UserPatch", "is_admin", json!({"type": "boolean"}));
    if let Some(s) = schemas.get_mut("UserPatch") {
        s["minProperties"] = json!(1);
    }
    let weights: serde_json::Map<String, Value> = service::contacts::matching::settings_view(&Default::default())
        .weights
        .into_keys()
        .map(|k| (k, json!({"type": "number", "minimum": -MAX_WEIGHT, "maximum": MAX_WEIGHT})))
        .collect();
    set(
        schemas,
        "DuplicateSettings",
        "weights",
        json!({"type": "object", "properties": weights, "additionalProperties": false}),
    );
    let mut regions = service::platform::settings::region_codes();
    regions.extend(regions.clone().iter().map(|r| r.to_lowercase()));
    set(schemas, "AdminSettings", "default_phone_region", json!({"type": "string", "enum": regions}));
    set(
        schemas,
        "AdminSettings",
        "ocr_engine_order",
        json!({"type": "array", "minItems": 1, "uniqueItems": true,
        "maxItems": service::scans::engine_names().len(), "items": {"type": "string", "enum": service::scans::engine_names()},
        "description": "engines tried in this order; `google` (Google Cloud Vision) only when configured \
                        (GOOGLE_VISION_API_KEY), else 422 — `available_engines` lists what may be used now"}),
    );
    set(schemas, "AdminSettings", "available_engines", json!({"readOnly": true}));
    if let Some(s) = schemas.get_mut("ImportUpload") {
        s["required"] = json!(["file"]);
        s["additionalProperties"] = json!(false);
    }
    set(schemas, "ImportApply", "on_duplicate", json!({"type": "string", "enum": service::import_dto::ON_DUPLICATE}));
    set(schemas, "ImportApply", "tag", json!({"type": "string", "maxLength": 50}));
    // A mapping names one field id (or "ignore") per column.
    let fields: Vec<String> = service::transfer::imports::field_choices().into_iter().map(|(id, _)| id).collect();
    set(
        schemas,
        "ImportApply",
        "mapping",
        json!({"type": "array", "maxItems": 1000, "items": {"type": "string", "enum": fields}}),
    );
    set(schemas, "RowOverride", "action", json!({"type": "string", "enum": service::import_dto::ON_DUPLICATE}));
    set(schemas, "RowOverride", "line", json!({"minimum": 1}));
    // One part named `file`; other parts are not part of the contract.
    if let Some(s) = schemas.get_mut("ScanUpload") {
        s["required"] = json!(["file"]);
        s["additionalProperties"] = json!(false);
    }
    // A card read on the device: `save`, and the photos only when kept; nothing else.
    if let Some(s) = schemas.get_mut("DeviceSaveUpload") {
        s["required"] = json!(["save"]);
        s["additionalProperties"] = json!(false);
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `/docs`: every operation with its parameters, body and responses.
pub async fn docs_page() -> Html<String> {
    let doc = document();
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
