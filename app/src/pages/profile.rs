//! The profile page: app passwords for CardDAV (contacts on the phone), link a Telegram account
//! (one-time `/start CODE`), set or remove the WhatsApp number, see linked accounts;
//! administrators also see the integration status (tokens masked) and can change a setting.

use crate::api::{self, error_text};
use crate::components::{when, ErrorBox};
use crate::lang::{fill_in, t, t_string, use_i18n};
use leptos::prelude::*;
use service::dav_dto::DavSetup;
use service::integration_dto::{IntegrationStatus, LinkCode, MyIntegrations};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let mine = Resource::new(|| (), |_| api::my_integrations());
    let unlink = Action::new(|id: &Option<i64>| api::unlink_account(*id));
    Effect::new(move |_| {
        if unlink.version().get() > 0 {
            mine.refetch();
        }
    });
    let error = Signal::derive(move || unlink.value().get().and_then(Result::err).map(|e| error_text(&e)));
    // The actions live here, above the cards, so a code stays shown when the cards are redrawn.
    let telegram_code: CodeAction = Action::new(|_: &String| api::create_link_code("telegram".into(), None));
    let whatsapp_code: CodeAction = Action::new(|n: &String| api::create_link_code("whatsapp".into(), Some(n.clone())));
    Effect::new(move |_| {
        if whatsapp_code.value().get().is_some_and(|r| r.is_ok()) {
            mine.refetch();
        }
    });
    let i18n = use_i18n();
    view! {
        <div class="toolbar"><h1>{t!(i18n, profile.title)}</h1></div>
        <ErrorBox error=error/>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || mine.get().map(|r| match r {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(m) => view! {
                    <div class="two-columns">
                        <TelegramCard m=m.clone() create=telegram_code/>
                        <WhatsAppCard m=m.clone() create=whatsapp_code unlink=unlink/>
                    </div>
                    <LinkedAccounts m=m unlink=unlink/>
                }.into_any(),
            })}
        </Transition>
        <ScanReaderCard/>
        <AppPasswords/>
        <AdminIntegrations/>
    }
}

/// "Where cards are read": the person's setting (on the server, on this device, on this device
/// when there is no connection) and the models this device keeps for reading here, with their
/// size and a button that removes them.
#[component]
fn ScanReaderCard() -> impl IntoView {
    use crate::pages::scan::device;
    use leptos::task::spawn_local;
    let i18n = use_i18n();
    let info = Resource::new(|| (), |_| api::scan_reader());
    let mode = RwSignal::new(String::new());
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Bytes of models kept on this device (`None` until known).
    let models = RwSignal::new(None::<f64>);
    let refresh_models = move || spawn_local(async move { models.set(device::models_size().await.ok()) });
    Effect::new(move |_| {
        if let Some(Ok(i)) = info.get() {
            device::remember(&i);
            mode.set(i.mode);
        }
    });
    Effect::new(move |_| refresh_models());
    let choose = move |m: &'static str| {
        mode.set(m.to_string());
        saved.set(false);
        spawn_local(async move {
            match api::set_scan_reader(m.to_string()).await {
                Ok(_) => {
                    saved.set(true);
                    error.set(None);
                    info.refetch();
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let remove = move |_| {
        spawn_local(async move {
            if let Err(e) = device::remove_models().await {
                error.set(Some(e));
            }
            refresh_models();
        })
    };
    let option = move |value: &'static str, label: String| {
        view! {
            <label class="check reader-choice">
                <input type="radio" name="scan_reader" value=value prop:checked=move || mode.get() == value
                    on:change=move |_| choose(value)/>
                {label}
            </label>
        }
    };
    view! {
        <section class="card" data-testid="scan-reader">
            <h2>{t!(i18n, profile.reader_title)}</h2>
            <p class="muted small">{t!(i18n, profile.reader_intro)}</p>
            <ErrorBox error=error/>
            <fieldset class="reader-choices" style="border: 0; padding: 0; margin: 0 0 .8rem; display: grid; gap: .4rem">
                <legend class="visually-hidden">{t!(i18n, profile.reader_title)}</legend>
                {option("server", t_string!(i18n, profile.reader_server).to_string())}
                {option("device", t_string!(i18n, profile.reader_device).to_string())}
                {option("offline", t_string!(i18n, profile.reader_offline).to_string())}
            </fieldset>
            {move || saved.get().then(|| view! { <p class="muted small" role="status">{t!(i18n, profile.reader_saved)}</p> })}
            <div class="models-kept" style="display: flex; flex-wrap: wrap; gap: .6rem; align-items: center">
                {move || match models.get() {
                    Some(bytes) if bytes > 0.0 => view! {
                        <span class="small">{fill_in(t_string!(i18n, profile.models_kept), &[("size", &format!("{:.1} MB", bytes / 1_000_000.0))])}</span>
                        <button type="button" class="small-button" on:click=remove>{t!(i18n, profile.models_remove)}</button>
                    }.into_any(),
                    _ => view! { <span class="muted small">{t!(i18n, profile.models_none)}</span> }.into_any(),
                }}
            </div>
        </section>
    }
}

/// "Contacts on your phone": the CardDAV address and username, and the app passwords — created
/// here (shown once), listed with their last use, revocable.
#[component]
fn AppPasswords() -> impl IntoView {
    let list = Resource::new(|| (), |_| api::list_app_passwords());
    let setup = Resource::new(|| (), |_| api::carddav_setup());
    let create = Action::new(|name: &String| api::create_app_password(name.clone()));
    let revoke = Action::new(|id: &i64| api::revoke_app_password(*id));
    Effect::new(move |_| {
        // Both read every time, so the effect follows both (a short-circuit would drop the second).
        let (created, revoked) = (create.version().get(), revoke.version().get());
        if created > 0 || revoked > 0 {
            list.refetch();
        }
    });
    let name = RwSignal::new(String::new());
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| revoke.value().get().and_then(Result::err))
            .map(|e| error_text(&e))
    });
    let i18n = use_i18n();
    let (t_name, t_created, t_used) =
        (t_string!(i18n, field.name), t_string!(i18n, profile.created), t_string!(i18n, profile.last_used));
    view! {
        <section class="card" data-testid="app-passwords">
            <h2>{t!(i18n, profile.dav_title)}</h2>
            <p>{t!(i18n, profile.dav_hint)}</p>
            <Transition fallback=|| ()>
                {move || setup.get().and_then(Result::ok).map(|s| view! {
                    <p>{t!(i18n, profile.dav_server)}<code data-testid="dav-url">{s.server_url.clone()}</code></p>
                    <p>{t!(i18n, profile.dav_username)}<code>{s.username.clone()}</code></p>
                    <p class="muted">{t!(i18n, profile.dav_books)}</p>
                    <ul class="dav-books" data-testid="dav-books">
                        {s.books.iter().map(|b| view! {
                            <li><strong>{b.name.clone()}</strong>" "<code>{b.url.clone()}</code></li>
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
            <DavGroups setup=setup/>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(name.get_untracked());
                name.set(String::new());
            }>
                <input type="text" maxlength="100" required placeholder=t_string!(i18n, profile.app_password_placeholder)
                    aria-label=t_string!(i18n, profile.app_password_name) bind:value=name/>
                <button type="submit" class="primary">{t!(i18n, profile.create_app_password)}</button>
            </form>
            <ErrorBox error=error/>
            {move || create.value().get().and_then(Result::ok).map(|p| view! {
                <div class="link-code" data-testid="new-app-password">
                    <p>{fill_in(t_string!(i18n, profile.app_password_once), &[("name", &p.name)])}</p>
                    <p><code class="big-code">{p.password.clone()}</code></p>
                </div>
            })}
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(items) if items.is_empty() => view! { <p class="muted">{t!(i18n, profile.no_app_passwords)}</p> }.into_any(),
                    Ok(items) => view! {
                        <table class="contacts">
                            <thead><tr><th>{t_name}</th><th>{t_created}</th><th>{t_used}</th><th></th></tr></thead>
                            <tbody>
                                {items.into_iter().map(|p| {
                                    let id = p.id;
                                    let used = p.last_used_at.as_ref().map(when).unwrap_or_else(|| t_string!(i18n, profile.never_used).to_string());
                                    view! {
                                        <tr>
                                            <td data-label=t_name>{p.name.clone()}</td>
                                            <td data-label=t_created>{when(&p.created_at)}</td>
                                            <td data-label=t_used>{used}</td>
                                            <td class="row-actions"><button on:click=move |_| { revoke.dispatch(id); }>{t!(i18n, profile.revoke)}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Which groups the phone shows as address books of their own (the user's choice, beside the
/// team's book).
#[component]
fn DavGroups(setup: Resource<Result<DavSetup, ServerFnError>>) -> impl IntoView {
    let groups = Resource::new(|| (), |_| api::list_groups());
    let chosen = RwSignal::new(Vec::<i64>::new());
    // The boxes show the stored choice whenever it is (re)loaded.
    Effect::new(move |_| {
        if let Some(Ok(s)) = setup.get() {
            chosen.set(s.books.iter().filter_map(|b| b.group_id).collect());
        }
    });
    let save = Action::new(|ids: &Vec<i64>| api::set_carddav_groups(ids.clone()));
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok()) {
            setup.refetch();
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let i18n = use_i18n();
    view! {
        <h3>{t!(i18n, profile.dav_groups_title)}</h3>
        <p class="muted">{t!(i18n, profile.dav_groups_hint)}</p>
        <Transition fallback=|| ()>
            {move || groups.get().map(|r| match r {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="muted">{t!(i18n, profile.dav_no_groups)}</p> }.into_any(),
                Ok(list) => view! {
                    <form class="dav-groups" data-testid="dav-groups" on:submit=move |ev| {
                        ev.prevent_default();
                        save.dispatch(chosen.get_untracked());
                    }>
                        {list.into_iter().map(|g| {
                            let id = g.id;
                            view! {
                                <label class="checkbox">
                                    <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&id))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|c| {
                                                c.retain(|x| *x != id);
                                                if on {
                                                    c.push(id);
                                                }
                                            });
                                        }/>
                                    {g.name.clone()}
                                </label>
                            }
                        }).collect_view()}
                        <div class="row-actions">
                            <button type="submit">{t!(i18n, profile.dav_groups_save)}</button>
                            {move || save.value().get().and_then(Result::ok).map(|_| view! {
                                <span class="badge ok" role="status">{t!(i18n, profile.dav_groups_saved)}</span>
                            })}
                        </div>
                    </form>
                }.into_any(),
            })}
        </Transition>
        <ErrorBox error=error/>
    }
}

type CodeAction = Action<String, Result<LinkCode, ServerFnError>>;

fn code_view(code: LinkCode) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="link-code" data-testid="link-code">
            <p>{t!(i18n, profile.send_within)}</p>
            <p><code class="big-code">{code.command.clone()}</code></p>
            {code.bot_link.clone().map(|l| view! {
                <p><a href=l.clone() target="_blank" rel="noopener">{t!(i18n, profile.open_bot)}</a></p>
            })}
            <p class="muted">{t!(i18n, profile.valid_until)}{when(&code.expires_at)}</p>
        </div>
    }
}

#[component]
fn TelegramCard(m: MyIntegrations, create: CodeAction) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let bot = m.bot_username.clone();
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="telegram-card">
            <h2>"Telegram"</h2>
            {if m.telegram_enabled {
                view! {
                    <p>{t!(i18n, profile.telegram_intro)}
                        {bot.map(|b| format!("@{b}")).unwrap_or_else(|| t_string!(i18n, profile.the_bot).to_string())}
                        {t!(i18n, profile.telegram_outro)}</p>
                    <button class="primary" on:click=move |_| { create.dispatch(String::new()); }>{t!(i18n, profile.create_code)}</button>
                    <ErrorBox error=error/>
                    {move || create.value().get().and_then(Result::ok).map(code_view)}
                }.into_any()
            } else {
                view! { <p class="muted">{t!(i18n, profile.telegram_off)}</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn WhatsAppCard(
    m: MyIntegrations,
    create: CodeAction,
    unlink: Action<Option<i64>, Result<(), ServerFnError>>,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let error = Signal::derive(move || create.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let has_pending = m.pending_whatsapp.is_some();
    let linked = m.accounts.iter().find(|a| a.integration == "whatsapp").map(|a| (a.id, a.external_id.clone()));
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="whatsapp-card">
            <h2>"WhatsApp"</h2>
            {if !m.whatsapp_enabled {
                view! { <p class="muted">{t!(i18n, profile.whatsapp_off)}</p> }.into_any()
            } else {
                view! {
                    {linked.map(|(id, n)| view! {
                        <p>{t!(i18n, profile.linked_number)}<strong>{format!("+{n}")}</strong> " "
                            <button class="link-button" on:click=move |_| { unlink.dispatch(Some(id)); }>{t!(i18n, common.remove)}</button>
                        </p>
                    })}
                    {m.pending_whatsapp.clone().map(|n| view! {
                        <p>{t!(i18n, profile.waiting_from)}<strong>{format!("+{n}")}</strong> " "
                            <button class="link-button" on:click=move |_| { unlink.dispatch(None); }>{t!(i18n, common.cancel)}</button>
                        </p>
                    })}
                    <form class="inline-form" on:submit=move |ev| {
                        ev.prevent_default();
                        create.dispatch(number.get_untracked());
                    }>
                        <input type="tel" placeholder="+44 7700 900123" aria-label=t_string!(i18n, profile.your_number) bind:value=number required/>
                        <button type="submit" class="primary">{t!(i18n, profile.set_number)}</button>
                    </form>
                    <ErrorBox error=error/>
                    {move || create.value().get().and_then(Result::ok).filter(|_| has_pending).map(|c| view! {
                        <p>{t!(i18n, profile.from)}<strong>{format!("+{}", c.number.clone().unwrap_or_default())}</strong>
                            {t!(i18n, profile.send_to_whatsapp)}</p>
                        {code_view(c)}
                    })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn LinkedAccounts(m: MyIntegrations, unlink: Action<Option<i64>, Result<(), ServerFnError>>) -> impl IntoView {
    let i18n = use_i18n();
    let (service, t_account, name, since) = (
        t_string!(i18n, profile.service),
        t_string!(i18n, profile.account),
        t_string!(i18n, field.name),
        t_string!(i18n, profile.since),
    );
    view! {
        <section class="card" data-testid="linked-accounts">
            <h2>{t!(i18n, profile.linked_accounts)}</h2>
            {if m.accounts.is_empty() {
                view! { <p class="muted">{t!(i18n, profile.nothing_linked)}</p> }.into_any()
            } else {
                view! {
                    <table class="contacts">
                        <thead><tr><th>{service}</th><th>{t_account}</th><th>{name}</th><th>{since}</th><th></th></tr></thead>
                        <tbody>
                            {m.accounts.into_iter().map(|a| {
                                let id = a.id;
                                let account = if a.integration == "whatsapp" { format!("+{}", a.external_id) } else { a.external_id.clone() };
                                view! {
                                    <tr>
                                        <td data-label=service>{a.integration.clone()}</td>
                                        <td data-label=t_account>{account}</td>
                                        <td data-label=name>{a.display_name.clone()}</td>
                                        <td data-label=since>{when(&a.created_at)}</td>
                                        <td class="row-actions"><button on:click=move |_| { unlink.dispatch(Some(id)); }>{t!(i18n, profile.unlink)}</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AdminIntegrations() -> impl IntoView {
    let status = Resource::new(|| (), |_| api::integration_status());
    let save = Action::new(|(n, v): &(String, String)| api::set_integration_setting(n.clone(), v.clone()));
    Effect::new(move |_| {
        if save.version().get() > 0 {
            status.refetch();
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let name = RwSignal::new("TELEGRAM_BOT_TOKEN".to_string());
    let value = RwSignal::new(String::new());
    let i18n = use_i18n();
    // Everyone but an administrator gets a 403 for the status, and sees nothing of this section.
    view! {
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || status.get().and_then(Result::ok).map(|s| view! {
        <section class="card" data-testid="integration-status">
            <h2>{t!(i18n, profile.integrations_admin)}</h2>
            {status_view(s)}
            <h3>{t!(i18n, profile.change_setting)}</h3>
            <p class="muted">{t!(i18n, profile.tokens_help)}</p>
            <form class="inline-form" style="flex-wrap: wrap" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch((name.get_untracked(), value.get_untracked()));
                value.set(String::new());
            }>
                <select aria-label=t_string!(i18n, profile.setting) bind:value=name>
                    {service::integration_dto::SETTINGS.iter().map(|(n, _)| view! { <option value=*n>{*n}</option> }).collect_view()}
                </select>
                <input type="password" autocomplete="off" aria-label=t_string!(i18n, profile.value) placeholder=t_string!(i18n, profile.value_placeholder) style="min-width: 10rem" bind:value=value/>
                <button type="submit" class="primary">{t!(i18n, common.save)}</button>
            </form>
            <ErrorBox error=error/>
        </section>
            })}
        </Transition>
    }
}

fn status_view(s: IntegrationStatus) -> impl IntoView {
    let i18n = use_i18n();
    let badge = move |on: bool| {
        let text = if on { t_string!(i18n, profile.configured) } else { t_string!(i18n, profile.not_configured) };
        view! { <span class=if on { "badge ok" } else { "badge warn" }>{text}</span> }
    };
    let (setting, source, value) =
        (t_string!(i18n, profile.setting), t_string!(i18n, field.source), t_string!(i18n, profile.value));
    view! {
        <p>"Telegram: " {badge(s.telegram_configured)} "  WhatsApp: " {badge(s.whatsapp_configured)}</p>
        <p class="muted">{fill_in(t_string!(i18n, profile.counts), &[("linked", &s.linked_accounts), ("pending", &s.pending_updates), ("failed", &s.failed_updates)])}</p>
        <table class="contacts">
            <thead><tr><th>{setting}</th><th>{source}</th><th>{value}</th></tr></thead>
            <tbody>
                {s.settings.into_iter().map(|x| view! {
                    <tr data-setting=x.name.clone()>
                        <td data-label=setting><code>{x.name.clone()}</code></td>
                        <td data-label=source>{x.source.clone()}</td>
                        <td data-label=value>{x.value.clone().unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
