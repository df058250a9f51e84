//! The admin panel (administrators only; the services refuse everyone else): users (activate,
//! deactivate, admin role, password reset), settings (default phone region, OCR engine order), the
//! audit log with filters and paging, and the system status. The server functions live here.

use crate::api::{self, error_text};
use crate::components::{when, ErrorBox, Pager};
use crate::lang::{count_text, fill_in, t, t_string, use_i18n};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::A;
use service::admin_dto::{AdminSettings, AuditEntry, AuditQuery, Check, SystemStatus};
use service::dto::{Page, UserPatch};

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;
    use service::{AppError, Services, Session};

    pub fn fail(e: AppError) -> ServerFnError {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(e.status()) {
                resp.set_status(status);
            }
        }
        match e {
            AppError::Internal(_) => ServerFnError::ServerError("internal error".into()),
            other => ServerFnError::ServerError(other.to_string()),
        }
    }

    pub fn ctx() -> Result<(Services, service::Actor), ServerFnError> {
        let Some(svc) = use_context::<Services>() else {
            return Err(ServerFnError::ServerError("services missing".into()));
        };
        let actor = use_context::<Session>().unwrap_or_default().require().map_err(fail)?;
        Ok((svc, actor))
    }
}

#[cfg(feature = "ssr")]
use ssr::*;

#[server(endpoint = "admin_status")]
pub async fn admin_status() -> Result<SystemStatus, ServerFnError> {
    let (svc, actor) = ctx()?;
    service::admin::status(&svc, &actor).await.map_err(fail)
}

#[server(endpoint = "admin_settings")]
pub async fn get_admin_settings() -> Result<AdminSettings, ServerFnError> {
    let (svc, actor) = ctx()?;
    service::admin::get_settings(&svc, &actor).await.map_err(fail)
}

#[server(endpoint = "save_admin_settings", input = Json)]
pub async fn save_admin_settings(input: AdminSettings) -> Result<AdminSettings, ServerFnError> {
    let (svc, actor) = ctx()?;
    service::admin::save_settings(&svc, &actor, &input).await.map_err(fail)
}

#[server(endpoint = "admin_audit", input = Json)]
pub async fn admin_audit(query: AuditQuery) -> Result<Page<AuditEntry>, ServerFnError> {
    let (svc, actor) = ctx()?;
    service::platform::audit::query(&svc, &actor, &query).await.map_err(fail)
}

#[server(endpoint = "admin_audit_actions")]
pub async fn admin_audit_actions() -> Result<Vec<String>, ServerFnError> {
    let (svc, actor) = ctx()?;
    service::platform::audit::actions(&svc, &actor).await.map_err(fail)
}

#[server(endpoint = "reset_user_password", input = Json)]
pub async fn reset_user_password(id: i64, password: String) -> Result<(), ServerFnError> {
    let (svc, actor) = ctx()?;
    service::admin::reset_password(&svc, &actor, id, &password).await.map_err(fail)
}

/// The tabs of the admin panel.
#[component]
fn AdminTabs() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="tabs" aria-label=t_string!(i18n, admin.tabs)>
            <A href="/admin/users">{t!(i18n, admin.users)}</A>
            <A href="/admin/settings">{t!(i18n, admin.settings)}</A>
            <A href="/admin/audit">{t!(i18n, admin.audit)}</A>
            <A href="/admin/status">{t!(i18n, admin.status)}</A>
        </nav>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| api::list_users());
    let patch = Action::new(|(id, p): &(i64, UserPatch)| api::patch_user(*id, p.clone()));
    let reset = Action::new(|(id, pw): &(i64, String)| reset_user_password(*id, pw.clone()));
    // The user whose password is being reset: (id, username).
    let resetting = RwSignal::new(None::<(i64, String)>);
    let new_password = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let i18n = use_i18n();
    Effect::new(move |_| {
        if patch.version().get() > 0 {
            users.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            let name = resetting.get_untracked().map(|(_, n)| n).unwrap_or_default();
            notice.set(Some(fill_in(t_string!(i18n, admin.password_changed), &[("name", &name)])));
            resetting.set(None);
            new_password.set(String::new());
        }
    });
    let error = Signal::derive(move || {
        patch
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| reset.value().get().and_then(Result::err))
            .map(|e| error_text(&e))
    });
    view! {
        <div class="toolbar"><h1>{t!(i18n, admin.users)}</h1></div>
        <AdminTabs/>
        <p class="muted">{t!(i18n, admin.inactive_help)}</p>
        <ErrorBox error=error/>
        {move || notice.get().map(|n| view! { <div class="notice" role="status">{n}</div> })}
        {move || resetting.get().map(|(id, name)| view! {
            <form class="card reset-form" on:submit=move |ev| {
                ev.prevent_default();
                notice.set(None);
                reset.dispatch((id, new_password.get_untracked()));
            }>
                <label>
                    {fill_in(t_string!(i18n, admin.new_password_for), &[("name", &name)])}
                    <input type="password" name="new-password" autocomplete="new-password" minlength="10" required
                        prop:value=move || new_password.get()
                        on:input=move |ev| new_password.set(event_target_value(&ev))/>
                </label>
                <div class="row-actions">
                    <button type="submit" class="primary">{t!(i18n, admin.set_password)}</button>
                    <button type="button" on:click=move |_| resetting.set(None)>{t!(i18n, common.cancel)}</button>
                </div>
            </form>
        })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(list) => view! {
                    <table class="contacts users">
                        <thead><tr>
                            <th>{t!(i18n, admin.user)}</th><th>{t!(i18n, field.email)}</th><th>{t!(i18n, admin.user_status)}</th>
                            <th>{t!(i18n, admin.role)}</th><th>{t!(i18n, admin.last_sign_in)}</th><th></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|u| {
                                let id = u.id;
                                let (active, admin) = (u.is_active, u.is_admin);
                                let name = u.username.clone();
                                view! {
                                    <tr data-user=u.username.clone()>
                                        <td data-label=t_string!(i18n, admin.user)>{u.username.clone()}</td>
                                        <td data-label=t_string!(i18n, field.email)>{u.email.clone()}</td>
                                        <td data-label=t_string!(i18n, admin.user_status)>
                                            <span class=if active { "badge ok" } else { "badge warn" }>{if active { t_string!(i18n, admin.active) } else { t_string!(i18n, admin.inactive) }}</span>
                                        </td>
                                        <td data-label=t_string!(i18n, admin.role)>{if admin { t_string!(i18n, admin.role_admin) } else { t_string!(i18n, admin.role_user) }}</td>
                                        <td data-label=t_string!(i18n, admin.last_sign_in)>{u.last_login_at.as_ref().map(when).unwrap_or_else(|| t_string!(i18n, common.never).to_string())}</td>
                                        <td class="row-actions">
                                            <button on:click=move |_| { patch.dispatch((id, UserPatch { is_active: Some(!active), is_admin: None })); }>
                                                {if active { t_string!(i18n, admin.deactivate) } else { t_string!(i18n, admin.activate) }}
                                            </button>
                                            <button on:click=move |_| { patch.dispatch((id, UserPatch { is_active: None, is_admin: Some(!admin) })); }>
                                                {if admin { t_string!(i18n, admin.remove_admin) } else { t_string!(i18n, admin.make_admin) }}
                                            </button>
                                            <button on:click=move |_| { notice.set(None); resetting.set(Some((id, name.clone()))); }>
                                                {t!(i18n, admin.reset_password)}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_admin_settings());
    let region = RwSignal::new(String::new());
    let order = RwSignal::new(Vec::<String>::new());
    let available = RwSignal::new(Vec::<String>::new());
    let nightly = RwSignal::new(false);
    let save = Action::new(|s: &AdminSettings| save_admin_settings(s.clone()));
    let fill = move |s: AdminSettings| {
        region.set(s.default_phone_region);
        order.set(s.ocr_engine_order);
        available.set(s.available_engines);
        nightly.set(s.nightly_duplicate_scan);
    };
    Effect::new(move |_| {
        if let Some(Ok(s)) = loaded.get() {
            fill(s);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = save.value().get() {
            fill(s);
        }
    });
    let error = Signal::derive(move || {
        save.value().get().and_then(Result::err).or_else(|| loaded.get().and_then(Result::err)).map(|e| error_text(&e))
    });
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let toggle = move |engine: String, on: bool| {
        order.update(|o| {
            if on && !o.contains(&engine) {
                o.push(engine);
            } else if !on {
                o.retain(|e| *e != engine);
            }
        })
    };
    let i18n = use_i18n();
    let up = move |i: usize| {
        order.update(|o| {
            if i > 0 && i < o.len() {
                o.swap(i - 1, i);
            }
        })
    };
    view! {
        <div class="toolbar"><h1>{t!(i18n, admin.settings)}</h1></div>
        <AdminTabs/>
        <ErrorBox error=error/>
        <form class="card settings-form" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(AdminSettings {
                default_phone_region: region.get_untracked(),
                ocr_engine_order: order.get_untracked(),
                available_engines: Vec::new(),
                nightly_duplicate_scan: nightly.get_untracked(),
            });
        }>
            <label>
                {t!(i18n, admin.region)}
                <input name="region" maxlength="2" size="4" autocapitalize="characters" required
                    prop:value=move || region.get() on:input=move |ev| region.set(event_target_value(&ev))/>
                <span class="muted">{t!(i18n, admin.region_help)}</span>
            </label>
            <fieldset>
                <legend>{t!(i18n, admin.engines)}</legend>
                <ol class="engine-order">
                    {move || order.get().into_iter().enumerate().map(|(i, e)| {
                        let name = e.clone();
                        view! {
                            <li data-engine=e.clone()>
                                <span>{e.clone()}</span>
                                <button type="button" class="small-button" disabled=move || i == 0 on:click=move |_| up(i)
                                    attr:aria-label=fill_in(t_string!(i18n, admin.move_up), &[("engine", &e)])>"↑"</button>
                                <button type="button" class="small-button" on:click=move |_| toggle(name.clone(), false)>{t!(i18n, common.remove)}</button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                {move || {
                    let unused: Vec<String> = available.get().into_iter().filter(|e| !order.get().contains(e)).collect();
                    (!unused.is_empty()).then(|| view! {
                        <p>{t!(i18n, admin.not_used)}
                            {unused.into_iter().map(|e| {
                                let name = e.clone();
                                view! { <button type="button" class="small-button" on:click=move |_| toggle(name.clone(), true)>{format!("+ {e}")}</button> }
                            }).collect_view()}
                        </p>
                    })
                }}
            </fieldset>
            <p class="muted">{t!(i18n, admin.dup_thresholds)}</p>
            <label class="checkbox">
                <input type="checkbox" name="nightly_duplicate_scan" prop:checked=move || nightly.get()
                    on:change=move |ev| nightly.set(event_target_checked(&ev))/>
                {t!(i18n, admin.nightly_dups)}
            </label>
            <div class="row-actions">
                <button type="submit" class="primary">{t!(i18n, admin.save_settings)}</button>
                {move || saved().then(|| view! { <span class="badge ok" role="status">{t!(i18n, common.saved)}</span> })}
            </div>
        </form>
        <GoogleVisionSettings on_change=move || loaded.refetch()/>
    }
}

/// The Google Cloud Vision engine's settings (stored as integration settings: the key masked, the
/// environment wins) and the plain statement of when a card image leaves the server.
#[component]
fn GoogleVisionSettings(on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    const NAMES: [&str; 5] = [
        "GOOGLE_VISION_API_KEY",
        "GOOGLE_VISION_CREDENTIALS",
        "GOOGLE_VISION_API_BASE",
        "GOOGLE_VISION_TIMEOUT",
        "GOOGLE_VISION_TOKEN_URL",
    ];
    let status = Resource::new(|| (), |_| api::integration_status());
    // Each non-empty field is stored in turn; `(name, "")` removes a setting.
    let save = Action::new(|changes: &Vec<(String, String)>| {
        let changes = changes.clone();
        async move {
            for (name, value) in changes {
                api::set_integration_setting(name, value).await?;
            }
            Ok::<(), ServerFnError>(())
        }
    });
    Effect::new(move |_| {
        if save.version().get() > 0 {
            status.refetch();
            on_change();
        }
    });
    let key = RwSignal::new(String::new());
    let credentials = RwSignal::new(String::new());
    let base = RwSignal::new(String::new());
    let timeout = RwSignal::new(String::new());
    let token_url = RwSignal::new(String::new());
    let error = Signal::derive(move || save.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="google-vision">
            <h2>{t!(i18n, admin.google_vision)}</h2>
            <p>{t!(i18n, admin.google_privacy)}</p>
            <Transition fallback=|| ()>
                {move || status.get().and_then(Result::ok).map(|s| {
                    let on = s.google_vision_configured;
                    let rows: Vec<_> = s.settings.into_iter().filter(|x| NAMES.contains(&x.name.as_str())).collect();
                    view! {
                        <p>
                            <span class=if on { "badge ok" } else { "badge warn" }>
                                {if on { t_string!(i18n, profile.configured) } else { t_string!(i18n, profile.not_configured) }}
                            </span>
                        </p>
                        <ul class="muted small">
                            {rows.into_iter().map(|x| view! {
                                <li data-setting=x.name.clone()><code>{x.name.clone()}</code>": "
                                    {x.value.clone().unwrap_or_else(|| "—".into())}" ("{x.source.clone()}")"</li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
            <form class="settings-form" on:submit=move |ev| {
                ev.prevent_default();
                let changes: Vec<(String, String)> = NAMES
                    .iter()
                    .zip([key, credentials, base, timeout, token_url])
                    .filter_map(|(n, v)| {
                        let v = v.get_untracked().trim().to_string();
                        (!v.is_empty()).then(|| (n.to_string(), v))
                    })
                    .collect();
                if !changes.is_empty() {
                    save.dispatch(changes);
                }
                key.set(String::new());
                credentials.set(String::new());
            }>
                <label>
                    {t!(i18n, admin.google_key)}
                    <input type="password" name="google_vision_api_key" autocomplete="off" bind:value=key/>
                </label>
                <label>
                    {t!(i18n, admin.google_credentials)}
                    <textarea name="google_vision_credentials" rows="3" autocomplete="off" spellcheck="false" bind:value=credentials></textarea>
                </label>
                <label>
                    {t!(i18n, admin.google_base)}
                    <input type="url" name="google_vision_api_base" placeholder="https://vision.googleapis.com" bind:value=base/>
                </label>
                <label>
                    {t!(i18n, admin.google_timeout)}
                    <input name="google_vision_timeout" placeholder="15" size="6" bind:value=timeout/>
                </label>
                <label>
                    {t!(i18n, admin.google_token_url)}
                    <input type="url" name="google_vision_token_url" placeholder="https://oauth2.googleapis.com/token" bind:value=token_url/>
                </label>
                <p class="muted">{t!(i18n, admin.google_help)}</p>
                <div class="row-actions">
                    <button type="submit" class="primary">{t!(i18n, common.save)}</button>
                    <button type="button" class="small-button" on:click=move |_| {
                        save.dispatch(vec![
                            ("GOOGLE_VISION_API_KEY".to_string(), String::new()),
                            ("GOOGLE_VISION_CREDENTIALS".to_string(), String::new()),
                        ]);
                    }>{t!(i18n, admin.google_remove_key)}</button>
                </div>
            </form>
            <ErrorBox error=error/>
        </section>
    }
}

fn diff_summary(d: &serde_json::Value) -> String {
    if let Some(changes) = d.get("changes").and_then(|c| c.as_array()) {
        return changes
            .iter()
            .filter_map(|c| {
                let field = c.get("field")?.as_str()?;
                Some(format!("{field}: {} → {}", short(&c["from"]), short(&c["to"])))
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = d.to_string();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let applied = RwSignal::new(AuditQuery { page: Some(1), limit: Some(25), ..AuditQuery::default() });
    let entries = Resource::new(move || applied.get(), admin_audit);
    let actions = Resource::new(|| (), |_| admin_audit_actions());
    let (user, contact, action, from, to) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let opt = |s: RwSignal<String>| Some(s.get_untracked().trim().to_string()).filter(|v| !v.is_empty());
    let bad_contact = RwSignal::new(false);
    let apply = move || {
        let contact_id = opt(contact).map(|c| c.parse::<i64>());
        bad_contact.set(matches!(contact_id, Some(Err(_))));
        if bad_contact.get_untracked() {
            return;
        }
        applied.set(AuditQuery {
            page: Some(1),
            limit: Some(25),
            user: opt(user),
            contact_id: contact_id.and_then(Result::ok),
            action: opt(action),
            entity: None,
            from: opt(from),
            to: opt(to),
        });
    };
    let clear = move || {
        for s in [user, contact, action, from, to] {
            s.set(String::new());
        }
        apply();
    };
    let go = move |page: u64| applied.update(|q| q.page = Some(page));
    let i18n = use_i18n();
    let text_input = |label: &'static str, name: &'static str, kind: &'static str, sig: RwSignal<String>| {
        view! {
            <label class="filter">
                {label}
                <input type=kind name=name prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <div class="toolbar"><h1>{t!(i18n, admin.audit)}</h1></div>
        <AdminTabs/>
        <form class="filters audit-filters" on:submit=move |ev| { ev.prevent_default(); apply(); }>
            {text_input(t_string!(i18n, admin.user), "user", "text", user)}
            {text_input(t_string!(i18n, admin.contact_id), "contact", "text", contact)}
            <label class="filter">
                {t!(i18n, admin.action)}
                <select name="action" prop:value=move || action.get() on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, admin.any)}</option>
                    <Transition>
                        {move || actions.get().and_then(Result::ok).map(|list| list.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view())}
                    </Transition>
                </select>
            </label>
            {text_input(t_string!(i18n, admin.from), "from", "date", from)}
            {text_input(t_string!(i18n, admin.to), "to", "date", to)}
            <button type="submit" class="primary">{t!(i18n, admin.filter)}</button>
            <button type="button" on:click=move |_| clear()>{t!(i18n, admin.clear)}</button>
        </form>
        {move || bad_contact.get().then(|| view! { <div class="error" role="alert">{t!(i18n, admin.bad_contact)}</div> })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || entries.get().map(|res| match res {
                Err(e) => view! { <div class="error" role="alert">{error_text(&e)}</div> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <div class="empty"><p>{t!(i18n, admin.no_entries)}</p></div> }.into_any(),
                Ok(p) => {
                    let (page, pages, total) = (p.page, p.pages, p.total);
                    let (t_when, t_user, t_what, t_contact, t_details) = (
                        t_string!(i18n, admin.when),
                        t_string!(i18n, admin.user),
                        t_string!(i18n, admin.what),
                        t_string!(i18n, dups.contact),
                        t_string!(i18n, admin.details),
                    );
                    view! {
                        <p class="muted audit-total">{count_text!(i18n, total, entries_one, entries_few, entries_many)}</p>
                        <table class="contacts audit">
                            <thead><tr><th>{t_when}</th><th>{t_user}</th><th>{t_what}</th><th>{t_contact}</th><th>{t_details}</th></tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|e| view! {
                                    <tr data-audit=e.id>
                                        <td data-label=t_when>{when(&e.created_at)}</td>
                                        <td data-label=t_user class="audit-user">{e.user.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td data-label=t_what><span class="badge">{e.entity.clone()}</span>" "<span class="audit-action">{e.action.clone()}</span></td>
                                        <td data-label=t_contact>{e.contact_id.map(|c| view! { <A href=format!("/contacts/{c}")>{format!("#{c}")}</A> })}</td>
                                        <td data-label=t_details class="audit-diff">{diff_summary(&e.diff)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=page pages=pages go=go newest_first=true/>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// One status line: `name` identifies it (`data-check`), `label` is shown.
fn check_row(name: &'static str, label: &'static str, c: Check) -> impl IntoView {
    let class = match c.status.as_str() {
        "ok" => "badge ok",
        "not configured" => "badge",
        _ => "badge warn",
    };
    view! {
        <tr data-check=name>
            <th scope="row">{label}</th>
            <td><span class=class>{c.status}</span></td>
            <td class="muted">{c.detail}</td>
        </tr>
    }
}

#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| admin_status());
    let i18n = use_i18n();
    view! {
        <div class="toolbar">
            <h1>{t!(i18n, admin.status)}</h1>
            <button on:click=move |_| status.refetch()>{t!(i18n, admin.refresh)}</button>
        </div>
        <AdminTabs/>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || status.get().map(|res| match res {
                Err(e) => view! { <div class="error" role="alert">{error_text(&e)}</div> }.into_any(),
                Ok(s) => {
                    let queue_class = if s.scans_queued > 50 { "badge warn" } else { "badge ok" };
                    let dups = if s.duplicate_pairs.is_empty() {
                        t_string!(i18n, admin.none).to_string()
                    } else {
                        s.duplicate_pairs.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ")
                    };
                    view! {
                        <table class="status-table">
                            <tbody>
                                {check_row("Database", t_string!(i18n, admin.database), s.database)}
                                {check_row("Redis", "Redis", s.redis)}
                                {check_row("OCR models", t_string!(i18n, admin.models), s.models)}
                                <tr data-check="Scan queue">
                                    <th scope="row">{t!(i18n, admin.scan_queue)}</th>
                                    <td><span class=queue_class>{s.scans_queued}{t!(i18n, admin.waiting)}</span></td>
                                    <td class="muted">{fill_in(t_string!(i18n, admin.being_read), &[("processing", &s.scans_processing), ("failed", &s.scans_failed)])}</td>
                                </tr>
                                <tr><th scope="row">{t!(i18n, nav.contacts)}</th><td>{s.contacts}</td><td></td></tr>
                                <tr><th scope="row">{t!(i18n, admin.users)}</th><td>{s.users}</td><td class="muted">{fill_in(t_string!(i18n, admin.inactive_count), &[("count", &s.users_inactive)])}</td></tr>
                                <tr><th scope="row">{t!(i18n, admin.dup_pairs)}</th><td colspan="2">{dups}</td></tr>
                                <tr><th scope="row">{t!(i18n, admin.version)}</th><td colspan="2">{s.version}</td></tr>
                            </tbody>
                        </table>
                        <h2>{t!(i18n, admin.maintenance)}</h2>
                        <p class="muted">{fill_in(t_string!(i18n, admin.maintenance_help), &[("minutes", &(s.maintenance_interval_secs / 60))])}</p>
                        <table class="status-table maintenance-table">
                            <thead>
                                <tr>
                                    <th scope="col">{t!(i18n, admin.job)}</th>
                                    <th scope="col">{t!(i18n, admin.last_run)}</th>
                                    <th scope="col">{t!(i18n, admin.outcome)}</th>
                                    <th scope="col">{t!(i18n, admin.removed)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {s.maintenance.into_iter().map(|j| {
                                    let (when_text, outcome, class, removed, detail) = match &j.last {
                                        Some(r) => (
                                            when(&r.started_at),
                                            r.outcome.clone(),
                                            match r.outcome.as_str() { "ok" => "badge ok", "running" | "skipped" => "badge", _ => "badge warn" },
                                            r.removed.to_string(),
                                            format!("{} ({})", r.detail, r.instance),
                                        ),
                                        None => (
                                            t_string!(i18n, admin.never).to_string(),
                                            if j.enabled { String::new() } else { t_string!(i18n, admin.off).to_string() },
                                            "badge",
                                            String::new(),
                                            String::new(),
                                        ),
                                    };
                                    view! {
                                        <tr data-job=j.job.clone()>
                                            <th scope="row">{j.job.clone()}<div class="muted">{j.description.clone()}</div></th>
                                            <td>{when_text}</td>
                                            <td>{(!outcome.is_empty()).then(|| view! { <span class=class>{outcome}</span> })}<div class="muted">{detail}</div></td>
                                            <td>{removed}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
