//! Server functions: the UI's door onto `service`. Each one checks the caller's session itself —
//! server functions are a public HTTP API like any other.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use service::dto::{
    Contact, ContactInput, ContactQuery, DuplicatePair, DuplicateQuery, Group, GroupInput, HistoryEntry, Page,
    SearchHit, Tag, TagInput, User, UserPatch,
};

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;
    pub use service::contacts::labels::{self, Groups, Tags};
    use service::{Actor, AppError, Services, Session};

    /// Turns a service error into a server-function error and sets the HTTP status to match.
    pub fn fail(e: AppError) -> ServerFnError {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(e.status()) {
                resp.set_status(status);
            }
            if let AppError::RateLimited { retry_after } = &e {
                if let Ok(v) = http::HeaderValue::from_str(&retry_after.to_string()) {
                    resp.insert_header(http::header::RETRY_AFTER, v);
                }
            }
        }
        match e {
            AppError::Internal(_) => ServerFnError::ServerError("internal error".into()),
            other => ServerFnError::ServerError(other.to_string()),
        }
    }

    pub fn services() -> Result<Services, ServerFnError> {
        use_context::<Services>().ok_or_else(|| ServerFnError::ServerError("services missing".into()))
    }

    /// The signed-in user, or a 401/403 error.
    pub fn actor() -> Result<Actor, ServerFnError> {
        use_context::<Session>().unwrap_or_default().require().map_err(fail)
    }

    /// The signed-in user if there is one; being signed out is not an error here.
    pub fn maybe_actor() -> Option<Actor> {
        use_context::<Session>().and_then(|s| s.actor)
    }

    pub fn set_cookies(values: Vec<String>) {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            for v in values {
                if let Ok(v) = http::HeaderValue::from_str(&v) {
                    resp.append_header(http::header::SET_COOKIE, v);
                }
            }
        }
    }

    /// Whether the request is a plain HTML form post (no JavaScript yet), which needs a redirect
    /// to land somewhere; script calls navigate by themselves.
    pub fn redirect_if_form(path: &str) {
        let html = use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))
            })
            .unwrap_or(false);
        if html {
            leptos_axum::redirect(path);
        }
    }

    pub fn client_ip() -> String {
        use_context::<http::request::Parts>()
            .map(|p| crate::session::client_ip(&p.extensions))
            .unwrap_or_else(|| "unknown".into())
    }
}

#[cfg(feature = "ssr")]
use ssr::*;

/// The signed-in user, if any (never an error for "not signed in").
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, ServerFnError> {
    let Some(actor) = maybe_actor() else { return Ok(None) };
    service::accounts::auth::me(&services()?, &actor).await.map(Some).map_err(fail)
}

/// Signs in and stores the session cookies; redirects to `next` (a local path) on success.
#[server(endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<(), ServerFnError> {
    let svc = services()?;
    let input = service::dto::LoginInput { username, password };
    let tokens = service::accounts::auth::login(&svc, &input, &client_ip()).await.map_err(fail)?;
    let cfg = use_context::<crate::session::CookieConfig>().unwrap_or_default();
    set_cookies(crate::session::token_cookies(&tokens, &cfg));
    let next = crate::next::safe_next(next.as_deref());
    redirect_if_form(&next);
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ServerFnError> {
    let cfg = use_context::<crate::session::CookieConfig>().unwrap_or_default();
    let svc = services()?;
    let refresh = use_context::<http::request::Parts>()
        .and_then(|parts| crate::session::cookie_value(&parts.headers, cfg.refresh_name()).map(str::to_string));
    // Signing out ends the session's refresh tokens and every access token issued before now.
    match (refresh, maybe_actor()) {
        (Some(token), _) => service::accounts::auth::logout(&svc, &token).await.map_err(fail)?,
        (None, Some(actor)) => service::accounts::auth::revoke_access(&svc, actor.user_id).await.map_err(fail)?,
        (None, None) => {}
    }
    set_cookies(crate::session::clear_cookies(&cfg));
    redirect_if_form("/login");
    Ok(())
}

#[server(endpoint = "register")]
pub async fn register(username: String, email: String, password: String) -> Result<User, ServerFnError> {
    let svc = services()?;
    // Requests are limited per IP by the server's rate-limit middleware (endpoint class "register").
    let input = service::dto::RegisterInput { username, email, password };
    service::accounts::auth::register(&svc, &input).await.map_err(fail)
}

#[server(endpoint = "list_contacts", input = Json)]
pub async fn list_contacts(query: ContactQuery) -> Result<Page<Contact>, ServerFnError> {
    service::contacts::list(&services()?, &actor()?, &query).await.map_err(fail)
}

#[server(endpoint = "search_contacts")]
pub async fn search_contacts(q: String) -> Result<Vec<SearchHit>, ServerFnError> {
    service::search::hits(&services()?, &actor()?, &q, 8).await.map_err(fail)
}

#[server(endpoint = "get_contact")]
pub async fn get_contact(id: i64) -> Result<Contact, ServerFnError> {
    service::contacts::get(&services()?, &actor()?, id).await.map_err(fail)
}

/// Creates (`id` = None) or updates a contact.
#[server(endpoint = "save_contact", input = Json)]
pub async fn save_contact(id: Option<i64>, input: ContactInput) -> Result<Contact, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    match id {
        Some(id) => service::contacts::update(&svc, &actor, id, input).await,
        None => service::contacts::create(&svc, &actor, input).await,
    }
    .map_err(fail)
}

#[server(endpoint = "delete_contact")]
pub async fn delete_contact(id: i64) -> Result<Contact, ServerFnError> {
    service::contacts::delete(&services()?, &actor()?, id).await.map_err(fail)
}

#[server(endpoint = "restore_contact")]
pub async fn restore_contact(id: i64) -> Result<Contact, ServerFnError> {
    service::contacts::restore(&services()?, &actor()?, id).await.map_err(fail)
}

#[server(endpoint = "contact_history")]
pub async fn contact_history(id: i64) -> Result<Vec<HistoryEntry>, ServerFnError> {
    service::contacts::history(&services()?, &actor()?, id).await.map_err(fail)
}

#[server(endpoint = "list_tags")]
pub async fn list_tags() -> Result<Vec<Tag>, ServerFnError> {
    actor()?;
    labels::list::<Tags>(&services()?).await.map_err(fail)
}

#[server(endpoint = "list_groups")]
pub async fn list_groups() -> Result<Vec<Group>, ServerFnError> {
    actor()?;
    labels::list::<Groups>(&services()?).await.map_err(fail)
}

#[server(endpoint = "save_tag", input = Json)]
pub async fn save_tag(id: Option<i64>, input: TagInput) -> Result<Tag, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    match id {
        Some(id) => labels::update::<Tags>(&svc, &actor, id, &input).await,
        None => labels::create::<Tags>(&svc, &actor, &input).await,
    }
    .map_err(fail)
}

#[server(endpoint = "delete_tag")]
pub async fn delete_tag(id: i64) -> Result<(), ServerFnError> {
    labels::delete::<Tags>(&services()?, &actor()?, id).await.map_err(fail)
}

#[server(endpoint = "save_group", input = Json)]
pub async fn save_group(id: Option<i64>, input: GroupInput) -> Result<Group, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    match id {
        Some(id) => labels::update::<Groups>(&svc, &actor, id, &input).await,
        None => labels::create::<Groups>(&svc, &actor, &input).await,
    }
    .map_err(fail)
}

#[server(endpoint = "delete_group")]
pub async fn delete_group(id: i64) -> Result<(), ServerFnError> {
    labels::delete::<Groups>(&services()?, &actor()?, id).await.map_err(fail)
}

#[server(endpoint = "companies")]
pub async fn companies(prefix: String) -> Result<Vec<String>, ServerFnError> {
    actor()?;
    service::contacts::companies(&services()?, &prefix, 20).await.map_err(fail)
}

#[server(endpoint = "get_columns")]
pub async fn get_columns() -> Result<Vec<String>, ServerFnError> {
    service::accounts::prefs::columns(&services()?, &actor()?).await.map_err(fail)
}

#[server(endpoint = "set_columns", input = Json)]
pub async fn set_columns(columns: Vec<String>) -> Result<Vec<String>, ServerFnError> {
    service::accounts::prefs::set_columns(&services()?, &actor()?, columns).await.map_err(fail)
}

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<User>, ServerFnError> {
    service::accounts::auth::list_users(&services()?, &actor()?).await.map_err(fail)
}

#[server(endpoint = "patch_user", input = Json)]
pub async fn patch_user(id: i64, patch: UserPatch) -> Result<User, ServerFnError> {
    service::accounts::auth::patch_user(&services()?, &actor()?, id, &patch).await.map_err(fail)
}

#[server(endpoint = "list_duplicates", input = Json)]
pub async fn list_duplicates(query: DuplicateQuery) -> Result<Page<DuplicatePair>, ServerFnError> {
    service::duplicates::list(&services()?, &actor()?, &query).await.map_err(fail)
}

/// Marks a duplicate pair pending, reviewed or ignored.
#[server(endpoint = "set_duplicate_status")]
pub async fn set_duplicate_status(id: i64, status: String) -> Result<DuplicatePair, ServerFnError> {
    service::duplicates::set_status(&services()?, &actor()?, id, &status).await.map_err(fail)
}

/// Check-on-create: the existing contacts a draft looks like (the editor's "looks like …").
#[server(endpoint = "check_duplicates", input = Json)]
pub async fn check_duplicates(
    draft: service::dto::CheckDuplicatesInput,
) -> Result<Vec<service::dto::DuplicateCandidate>, ServerFnError> {
    service::duplicates::check(&services()?, &actor()?, draft).await.map_err(fail)
}

/// Merges contacts (or previews the merge with `dry_run`).
#[server(endpoint = "merge_contacts", input = Json)]
pub async fn merge_contacts(input: service::dto::MergeInput) -> Result<service::dto::MergeResult, ServerFnError> {
    service::duplicates::merges::merge(&services()?, &actor()?, input).await.map_err(fail)
}

#[server(endpoint = "undo_merge", input = Json)]
pub async fn undo_merge(id: i64) -> Result<service::dto::ContactMerges, ServerFnError> {
    service::duplicates::merges::undo(&services()?, &actor()?, id).await.map_err(fail)
}

/// The merges a contact took part in, and what it was merged into.
#[server(endpoint = "contact_merges")]
pub async fn contact_merges(id: i64) -> Result<service::dto::ContactMerges, ServerFnError> {
    service::duplicates::merges::for_contact(&services()?, &actor()?, id).await.map_err(fail)
}

/// Starts a full duplicate scan (administrators).
#[server(endpoint = "start_duplicate_scan")]
pub async fn start_duplicate_scan() -> Result<service::dto::DuplicateScan, ServerFnError> {
    service::duplicates::duplicate_scans::start(&services()?, &actor()?).await.map_err(fail)
}

/// A scan's progress, or the latest scan when `id` is absent.
#[server(endpoint = "duplicate_scan", input = Json)]
pub async fn duplicate_scan(id: Option<i64>) -> Result<Option<service::dto::DuplicateScan>, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    match id {
        Some(id) => service::duplicates::duplicate_scans::get(&svc, &actor, id).await.map(Some),
        None => service::duplicates::duplicate_scans::latest(&svc, &actor).await,
    }
    .map_err(fail)
}

#[server(endpoint = "duplicate_settings")]
pub async fn duplicate_settings() -> Result<service::dto::DuplicateSettings, ServerFnError> {
    service::duplicates::get_settings(&services()?, &actor()?).await.map_err(fail)
}

#[server(endpoint = "save_duplicate_settings", input = Json)]
pub async fn save_duplicate_settings(
    settings: service::dto::DuplicateSettings,
) -> Result<service::dto::DuplicateSettings, ServerFnError> {
    service::duplicates::put_settings(&services()?, &actor()?, settings).await.map_err(fail)
}

/// A card scan as the block editor shows it (status, lines with boxes, fields with source blocks).
#[server(endpoint = "get_scan_draft")]
pub async fn get_scan_draft(id: i64) -> Result<service::dto::ScanDraft, ServerFnError> {
    service::scans::draft(&services()?, &actor()?, id).await.map_err(fail)
}

/// Reads a scan again with `engine` (`paddle`, `tesseract`, or empty for the automatic choice).
#[server(endpoint = "rerun_scan")]
pub async fn rerun_scan(id: i64, engine: String) -> Result<String, ServerFnError> {
    let engine = Some(engine.trim()).filter(|e| !e.is_empty());
    service::scans::rerun(&services()?, &actor()?, id, engine).await.map(|t| t.status).map_err(fail)
}

/// Saves a read card as a new contact (source ocr) with its card images; answers what was read vs saved.
#[server(endpoint = "save_scan", input = Json)]
pub async fn save_scan(id: i64, input: service::dto::SaveScanInput) -> Result<service::dto::SavedScan, ServerFnError> {
    service::scans::save(&services()?, &actor()?, id, input).await.map_err(fail)
}

/// Where this person's cards are read, and the parse hints for reading on the device.
#[server(endpoint = "scan_reader")]
pub async fn scan_reader() -> Result<service::dto::ScanReaderInfo, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    let mode = service::accounts::prefs::scan_reader(&svc, &actor).await.map_err(fail)?;
    let hints = service::scans::corrections::hints(&svc).await.map_err(fail)?;
    Ok(service::dto::ScanReaderInfo { mode, hints: serde_json::to_string(&hints).unwrap_or_default() })
}

/// Sets where this person's cards are read (`server`, `device` or `offline`).
#[server(endpoint = "set_scan_reader")]
pub async fn set_scan_reader(mode: String) -> Result<String, ServerFnError> {
    service::accounts::prefs::set_scan_reader(&services()?, &actor()?, &mode).await.map_err(fail)
}

/// The card images saved with a contact, front first.
#[server(endpoint = "contact_cards")]
pub async fn contact_cards(id: i64) -> Result<Vec<service::dto::CardImage>, ServerFnError> {
    service::scans::for_contact(&services()?, &actor()?, id).await.map_err(fail)
}

/// The message of a server-function error, without the framework's prefix.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

// Telegram / WhatsApp links on the profile page, and the integration status for administrators.

/// The signed-in user's linked chats and whether each bot is configured.
#[server(endpoint = "my_integrations")]
pub async fn my_integrations() -> Result<service::integration_dto::MyIntegrations, ServerFnError> {
    service::integrations::mine(&services()?, &actor()?).await.map_err(fail)
}

/// A one-time link code: `integration` is `telegram`, or `whatsapp` with the user's `number`.
#[server(endpoint = "create_link_code")]
pub async fn create_link_code(
    integration: String,
    number: Option<String>,
) -> Result<service::integration_dto::LinkCode, ServerFnError> {
    service::integrations::create_link_code(&services()?, &actor()?, &integration, number.as_deref())
        .await
        .map_err(fail)
}

/// Removes a linked account (`id`), or with no id the pending WhatsApp number.
#[server(endpoint = "unlink_account")]
pub async fn unlink_account(id: Option<i64>) -> Result<(), ServerFnError> {
    service::integrations::unlink(&services()?, &actor()?, id).await.map_err(fail)
}

/// Administrators: what is configured (tokens masked) and the update queue.
#[server(endpoint = "integration_status")]
pub async fn integration_status() -> Result<service::integration_dto::IntegrationStatus, ServerFnError> {
    service::integrations::status(&services()?, &actor()?).await.map_err(fail)
}

/// Administrators: stores one integration setting (an empty value removes it).
#[server(endpoint = "set_integration_setting")]
pub async fn set_integration_setting(name: String, value: String) -> Result<(), ServerFnError> {
    service::integrations::set_setting(&services()?, &actor()?, &name, &value).await.map_err(fail)
}

/// An import with one page of its rows (`action`: only rows with this outcome).
#[server(endpoint = "get_import", input = Json)]
pub async fn get_import(
    id: i64,
    page: u64,
    action: Option<String>,
) -> Result<service::import_dto::ImportJob, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    service::transfer::imports::get(&svc, &actor, id, page, 50, action.as_deref().filter(|a| !a.is_empty()))
        .await
        .map_err(fail)
}

/// The signed-in user's imports (an administrator's: everyone's), newest first.
#[server(endpoint = "list_imports", input = Json)]
pub async fn list_imports(page: u64) -> Result<Page<service::import_dto::ImportSummary>, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    service::transfer::imports::list(&svc, &actor, Some(page), Some(20)).await.map_err(fail)
}

/// Applies a preview (or previews it again) with the person's choices.
#[server(endpoint = "apply_import", input = Json)]
pub async fn apply_import(
    id: i64,
    choices: service::import_dto::ImportApply,
) -> Result<service::import_dto::ImportJob, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    service::transfer::imports::apply(&svc, &actor, id, choices).await.map_err(fail)
}

/// Undoes an import: what it created goes to the trash, what it updated is put back.
#[server(endpoint = "undo_import", input = Json)]
pub async fn undo_import(id: i64) -> Result<service::import_dto::ImportUndo, ServerFnError> {
    let (svc, actor) = (services()?, actor()?);
    service::transfer::imports::undo(&svc, &actor, id).await.map_err(fail)
}

/// The fields a spreadsheet column can be read as: `(id, English label)`.
#[server(endpoint = "import_field_choices")]
pub async fn import_field_choices() -> Result<Vec<(String, String)>, ServerFnError> {
    actor()?;
    Ok(service::transfer::imports::field_choices())
}

// CardDAV app passwords on the profile page (the REST API has the same under /api/v1/auth/app-passwords).

/// The signed-in user's app passwords in use (never the passwords).
#[server(endpoint = "list_app_passwords")]
pub async fn list_app_passwords() -> Result<Vec<service::dav_dto::AppPassword>, ServerFnError> {
    service::accounts::app_passwords::list(&services()?, &actor()?).await.map_err(fail)
}

/// A new app password; the answer is the only time the password is shown.
#[server(endpoint = "create_app_password")]
pub async fn create_app_password(name: String) -> Result<service::dav_dto::NewAppPassword, ServerFnError> {
    service::accounts::app_passwords::create(&services()?, &actor()?, &name).await.map_err(fail)
}

/// Revokes one of the user's app passwords: it stops working at once.
#[server(endpoint = "revoke_app_password")]
pub async fn revoke_app_password(id: i64) -> Result<(), ServerFnError> {
    service::accounts::app_passwords::revoke(&services()?, &actor()?, id).await.map_err(fail)
}

/// Which groups the user has on the phone as address books of their own; the answer is the new
/// setup (with every book's address).
#[server(endpoint = "set_carddav_groups", input = Json)]
pub async fn set_carddav_groups(group_ids: Vec<i64>) -> Result<service::dav_dto::DavSetup, ServerFnError> {
    let (svc, me) = (services()?, actor()?);
    service::transfer::dav_books::set_shared(&svc, &me, &group_ids).await.map_err(fail)?;
    carddav_setup().await
}

/// The CardDAV server address and username to type into a phone.
#[server(endpoint = "carddav_setup")]
pub async fn carddav_setup() -> Result<service::dav_dto::DavSetup, ServerFnError> {
    let origin = use_context::<http::request::Parts>().and_then(|p| crate::session::request_origin(&p.headers));
    service::transfer::carddav::setup(&services()?, &actor()?, origin.as_deref()).await.map_err(fail)
}
