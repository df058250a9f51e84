//! The admin panel (administrators only; the services refuse everyone else): users (activate,
//! deactivate, admin role, password reset), settings (default phone region, OCR engine order), the
//! audit log with filters and paging, and the system status. The server functions live here.

use crate::api::{self, error_text};
use crate::components::{when, ErrorBox, Pager};
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
    service::audit::query(&svc, &actor, &query).await.map_err(fail)
}

#[server(endpoint = "admin_audit_actions")]
pub async fn admin_audit_actions() -> Result<Vec<String>, ServerFnError> {
    let (svc, actor) = ctx()?;
    service::audit::actions(&svc, &actor).await.map_err(fail)
}

#[server(endpoint = "reset_user_password", input = Json)]
pub async fn reset_user_password(id: i64, password: String) -> Result<(), ServerFnError> {
    let (svc, actor) = ctx()?;
    service::admin::reset_password(&svc, &actor, id, &password).await.map_err(fail)
}

/// The tabs of the admin panel.
#[component]
fn AdminTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Administration">
            <A href="/admin/users">"Users"</A>
            <A href="/admin/settings">"Settings"</A>
            <A href="/admin/audit">"Audit log"</A>
            <A href="/admin/status">"Status"</A>
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
    Effect::new(move |_| {
        if patch.version().get() > 0 {
            users.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            let name = resetting.get_untracked().map(|(_, n)| n).unwrap_or_default();
            notice.set(Some(format!("Password of {name} changed; their sessions were ended.")));
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
        <div class="toolbar"><h1>"Users"</h1></div>
        <AdminTabs/>
        <p class="muted">"New accounts stay inactive until you activate them."</p>
        <ErrorBox error=error/>
        {move || notice.get().map(|n| view! { <div class="notice" role="status">{n}</div> })}
        {move || resetting.get().map(|(id, name)| view! {
            <form class="card reset-form" on:submit=move |ev| {
                ev.prevent_default();
                notice.set(None);
                reset.dispatch((id, new_password.get_untracked()));
            }>
                <label>
                    {format!("New password for {name}")}
                    <input type="password" name="new-password" autocomplete="new-password" minlength="10" required
                        prop:value=move || new_password.get()
                        on:input=move |ev| new_password.set(event_target_value(&ev))/>
                </label>
                <div class="row-actions">
                    <button type="submit" class="primary">"Set password"</button>
                    <button type="button" on:click=move |_| resetting.set(None)>"Cancel"</button>
                </div>
            </form>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(list) => view! {
                    <table class="contacts users">
                        <thead><tr><th>"User"</th><th>"E-mail"</th><th>"Status"</th><th>"Role"</th><th>"Last sign-in"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|u| {
                                let id = u.id;
                                let (active, admin) = (u.is_active, u.is_admin);
                                let name = u.username.clone();
                                view! {
                                    <tr data-user=u.username.clone()>
                                        <td data-label="User">{u.username.clone()}</td>
                                        <td data-label="E-mail">{u.email.clone()}</td>
                                        <td data-label="Status">
                                            <span class=if active { "badge ok" } else { "badge warn" }>{if active { "active" } else { "inactive" }}</span>
                                        </td>
                                        <td data-label="Role">{if admin { "admin" } else { "user" }}</td>
                                        <td data-label="Last sign-in">{u.last_login_at.as_ref().map(when).unwrap_or_else(|| "never".into())}</td>
                                        <td class="row-actions">
                                            <button on:click=move |_| { patch.dispatch((id, UserPatch { is_active: Some(!active), is_admin: None })); }>
                                                {if active { "Deactivate" } else { "Activate" }}
                                            </button>
                                            <button on:click=move |_| { patch.dispatch((id, UserPatch { is_active: None, is_admin: Some(!admin) })); }>
                                                {if admin { "Remove admin" } else { "Make admin" }}
                                            </button>
                                            <button on:click=move |_| { notice.set(None); resetting.set(Some((id, name.clone()))); }>
                                                "Reset password"
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
    let save = Action::new(|s: &AdminSettings| save_admin_settings(s.clone()));
    let fill = move |s: AdminSettings| {
        region.set(s.default_phone_region);
        order.set(s.ocr_engine_order);
        available.set(s.available_engines);
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
    let up = move |i: usize| {
        order.update(|o| {
            if i > 0 && i < o.len() {
                o.swap(i - 1, i);
            }
        })
    };
    view! {
        <div class="toolbar"><h1>"Settings"</h1></div>
        <AdminTabs/>
        <ErrorBox error=error/>
        <form class="card settings-form" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(AdminSettings {
                default_phone_region: region.get_untracked(),
                ocr_engine_order: order.get_untracked(),
                available_engines: Vec::new(),
            });
        }>
            <label>
                "Default phone region"
                <input name="region" maxlength="2" size="4" autocapitalize="characters" required
                    prop:value=move || region.get() on:input=move |ev| region.set(event_target_value(&ev))/>
                <span class="muted">"Two letters (US, GB, DE, RU…): national numbers without a country code are read in this region."</span>
            </label>
            <fieldset>
                <legend>"OCR engines, in the order they are tried"</legend>
                <ol class="engine-order">
                    {move || order.get().into_iter().enumerate().map(|(i, e)| {
                        let name = e.clone();
                        view! {
                            <li data-engine=e.clone()>
                                <span>{e.clone()}</span>
                                <button type="button" class="small-button" disabled=move || i == 0 on:click=move |_| up(i)
                                    attr:aria-label=format!("Move {e} up")>"↑"</button>
                                <button type="button" class="small-button" on:click=move |_| toggle(name.clone(), false)>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                {move || {
                    let unused: Vec<String> = available.get().into_iter().filter(|e| !order.get().contains(e)).collect();
                    (!unused.is_empty()).then(|| view! {
                        <p>"Not used: "
                            {unused.into_iter().map(|e| {
                                let name = e.clone();
                                view! { <button type="button" class="small-button" on:click=move |_| toggle(name.clone(), true)>{format!("+ {e}")}</button> }
                            }).collect_view()}
                        </p>
                    })
                }}
            </fieldset>
            <p class="muted">"Duplicate thresholds are on the Duplicates page."</p>
            <div class="row-actions">
                <button type="submit" class="primary">"Save settings"</button>
                {move || saved().then(|| view! { <span class="badge ok" role="status">"Saved"</span> })}
            </div>
        </form>
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
    let text_input = |label: &'static str, name: &'static str, kind: &'static str, sig: RwSignal<String>| {
        view! {
            <label class="filter">
                {label}
                <input type=kind name=name prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <div class="toolbar"><h1>"Audit log"</h1></div>
        <AdminTabs/>
        <form class="filters audit-filters" on:submit=move |ev| { ev.prevent_default(); apply(); }>
            {text_input("User", "user", "text", user)}
            {text_input("Contact id", "contact", "text", contact)}
            <label class="filter">
                "Action"
                <select name="action" prop:value=move || action.get() on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    <Transition>
                        {move || actions.get().and_then(Result::ok).map(|list| list.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view())}
                    </Transition>
                </select>
            </label>
            {text_input("From", "from", "date", from)}
            {text_input("To", "to", "date", to)}
            <button type="submit" class="primary">"Filter"</button>
            <button type="button" on:click=move |_| clear()>"Clear"</button>
        </form>
        {move || bad_contact.get().then(|| view! { <div class="error" role="alert">"Contact id must be a number."</div> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || entries.get().map(|res| match res {
                Err(e) => view! { <div class="error" role="alert">{error_text(&e)}</div> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <div class="empty"><p>"No entries match."</p></div> }.into_any(),
                Ok(p) => {
                    let (page, pages, total) = (p.page, p.pages, p.total);
                    view! {
                        <p class="muted audit-total">{format!("{total} entries")}</p>
                        <table class="contacts audit">
                            <thead><tr><th>"When"</th><th>"User"</th><th>"What"</th><th>"Contact"</th><th>"Details"</th></tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|e| view! {
                                    <tr data-audit=e.id>
                                        <td data-label="When">{when(&e.created_at)}</td>
                                        <td data-label="User" class="audit-user">{e.user.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td data-label="What"><span class="badge">{e.entity.clone()}</span>" "<span class="audit-action">{e.action.clone()}</span></td>
                                        <td data-label="Contact">{e.contact_id.map(|c| view! { <A href=format!("/contacts/{c}")>{format!("#{c}")}</A> })}</td>
                                        <td data-label="Details" class="audit-diff">{diff_summary(&e.diff)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=page pages=pages go=go previous="‹ Newer" next="Older ›"/>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

fn check_row(name: &'static str, c: Check) -> impl IntoView {
    let class = match c.status.as_str() {
        "ok" => "badge ok",
        "not configured" => "badge",
        _ => "badge warn",
    };
    view! {
        <tr data-check=name>
            <th scope="row">{name}</th>
            <td><span class=class>{c.status}</span></td>
            <td class="muted">{c.detail}</td>
        </tr>
    }
}

#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| admin_status());
    view! {
        <div class="toolbar">
            <h1>"Status"</h1>
            <button on:click=move |_| status.refetch()>"Refresh"</button>
        </div>
        <AdminTabs/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || status.get().map(|res| match res {
                Err(e) => view! { <div class="error" role="alert">{error_text(&e)}</div> }.into_any(),
                Ok(s) => {
                    let queue_class = if s.scans_queued > 50 { "badge warn" } else { "badge ok" };
                    let dups = if s.duplicate_pairs.is_empty() {
                        "none".to_string()
                    } else {
                        s.duplicate_pairs.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ")
                    };
                    view! {
                        <table class="status-table">
                            <tbody>
                                {check_row("Database", s.database)}
                                {check_row("Redis", s.redis)}
                                {check_row("OCR models", s.models)}
                                <tr data-check="Scan queue">
                                    <th scope="row">"Scan queue"</th>
                                    <td><span class=queue_class>{s.scans_queued}" waiting"</span></td>
                                    <td class="muted">{format!("{} being read, {} failed", s.scans_processing, s.scans_failed)}</td>
                                </tr>
                                <tr><th scope="row">"Contacts"</th><td>{s.contacts}</td><td></td></tr>
                                <tr><th scope="row">"Users"</th><td>{s.users}</td><td class="muted">{format!("{} inactive", s.users_inactive)}</td></tr>
                                <tr><th scope="row">"Duplicate pairs"</th><td colspan="2">{dups}</td></tr>
                                <tr><th scope="row">"Version"</th><td colspan="2">{s.version}</td></tr>
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
