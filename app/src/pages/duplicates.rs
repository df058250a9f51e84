//! The Duplicates page: stored pairs of contacts that look like the same person, side by side
//! with the score and the fields that matched, to merge, mark reviewed or ignore (an ignored pair
//! never comes back). Filterable by status. Administrators also get the full scan with its
//! progress bar and the matching thresholds and weights.

use crate::api::{self, error_text};
use crate::components::{ErrorBox, Pager};
use crate::lang::{fill_in, t, t_string, td_string, use_i18n, I18n, Locale};
use leptos::prelude::*;
use leptos_router::components::A;
use service::dto::{Contact, DuplicateQuery, DuplicateScan, DuplicateSettings, MatchField, DUPLICATE_STATUSES};
use std::time::Duration;

fn contact_card(c: Contact) -> impl IntoView {
    let href = format!("/contacts/{}", c.id);
    let phones = c.phones.iter().map(|p| p.number.clone()).collect::<Vec<_>>().join(", ");
    let emails = c.emails.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join(", ");
    view! {
        <div class="dup-contact">
            <A href=href><strong>{c.full_name.clone()}</strong></A>
            <div>{c.company.clone()}{(!c.position.is_empty()).then(|| format!(" · {}", c.position))}</div>
            <div class="muted">{phones}</div>
            <div class="muted">{emails}</div>
            <div class="muted">{c.address.clone()}</div>
        </div>
    }
}

/// A pair status (`pending`, `reviewed`, …) in the current language.
fn status_label(l: Locale, status: &str) -> String {
    match status {
        "pending" => td_string!(l, dups.pending).to_string(),
        "reviewed" => td_string!(l, dups.reviewed).to_string(),
        "ignored" => td_string!(l, dups.ignored).to_string(),
        "merged" => td_string!(l, dups.merged).to_string(),
        other => other.to_string(),
    }
}

fn evidence(fields: &[MatchField]) -> String {
    fields.iter().filter(|f| f.weight > 0.0).map(|f| f.field.replace('_', " ")).collect::<Vec<_>>().join(", ")
}

#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let user = expect_context::<crate::UserResource>();
    let is_admin = move || user.get().and_then(Result::ok).flatten().is_some_and(|u| u.is_admin);
    let status = RwSignal::new("pending".to_string());
    let page = RwSignal::new(1u64);
    let pairs = Resource::new(
        move || (status.get(), page.get()),
        |(status, page)| {
            api::list_duplicates(DuplicateQuery { status: Some(status), page: Some(page), limit: Some(20) })
        },
    );
    let set = Action::new(|(id, s): &(i64, String)| api::set_duplicate_status(*id, s.clone()));
    Effect::new(move |_| {
        if set.version().get() > 0 {
            pairs.refetch();
        }
    });
    let error = Signal::derive(move || set.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let on_scanned = Callback::new(move |_: ()| pairs.refetch());
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let (contact, looks_like, score, matched) = (
        t_string!(i18n, dups.contact),
        t_string!(i18n, dups.looks_like),
        t_string!(i18n, dups.score),
        t_string!(i18n, dups.matched),
    );
    view! {
        <div class="toolbar">
            <h1>{t!(i18n, nav.duplicates)}</h1>
            <label>
                {t!(i18n, dups.status)}
                <select name="status" on:change=move |ev| { status.set(event_target_value(&ev)); page.set(1); } prop:value=move || status.get()>
                    {DUPLICATE_STATUSES.iter().map(|s| view! { <option value=*s>{status_label(l, s)}</option> }).collect_view()}
                </select>
            </label>
        </div>
        {move || is_admin().then(|| view! { <AdminTools on_scanned=on_scanned/> })}
        <ErrorBox error=error/>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || pairs.get().map(|res| match res {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <div class="empty"><p>{t!(i18n, dups.none)}</p></div> }.into_any(),
                Ok(p) => view! {
                    <table class="contacts duplicates">
                        <thead><tr><th>{contact}</th><th>{looks_like}</th><th>{score}</th><th>{matched}</th><th></th></tr></thead>
                        <tbody>
                            {p.items.into_iter().map(|d| {
                                let id = d.id;
                                let open = d.status == "pending" || d.status == "reviewed";
                                let pending = d.status == "pending";
                                let merge_href = format!("/duplicates/merge?ids={},{}", d.a.id, d.b.id);
                                view! {
                                    <tr data-pair=id>
                                        <td data-label=contact>{contact_card(d.a)}</td>
                                        <td data-label=looks_like>{contact_card(d.b)}</td>
                                        <td data-label=score><span class="score">{format!("{:.0}%", d.score * 100.0)}</span></td>
                                        <td data-label=matched>{evidence(&d.match_fields)}</td>
                                        <td class="row-actions">
                                            {open.then(|| view! { <A href=merge_href attr:class="button primary small-button">{t!(i18n, dups.merge)}</A> })}
                                            {pending.then(|| view! {
                                                <button class="small-button" on:click=move |_| { set.dispatch((id, "reviewed".to_string())); }>{t!(i18n, dups.mark_reviewed)}</button>
                                            })}
                                            {open.then(|| view! {
                                                <button class="small-button" on:click=move |_| { set.dispatch((id, "ignored".to_string())); }>{t!(i18n, dups.ignore)}</button>
                                            })}
                                            {(!pending).then(|| view! {
                                                <span class="badge">{status_label(l, &d.status)}</span>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <Pager page=p.page pages=p.pages go=move |n| page.set(n)/>
                }.into_any(),
            })}
        </Transition>
    }
}

fn running(s: &Option<DuplicateScan>) -> bool {
    s.as_ref().is_some_and(|s| s.status == "queued" || s.status == "running")
}

fn scan_text(i18n: I18n, s: &DuplicateScan) -> String {
    match s.status.as_str() {
        "done" => fill_in(
            t_string!(i18n, dups.scan_done),
            &[
                ("contacts", &s.contacts),
                ("found", &s.pairs_found),
                ("new", &s.pairs_new),
                ("keys", &s.keys_backfilled),
            ],
        ),
        "failed" => fill_in(t_string!(i18n, dups.scan_failed), &[("error", &s.error.clone().unwrap_or_default())]),
        _ => fill_in(
            t_string!(i18n, dups.scanning),
            &[
                ("phase", &s.phase),
                ("done", &s.done),
                ("total", &s.total),
                ("percent", &format!("{:.0}", s.progress * 100.0)),
            ],
        ),
    }
}

/// Administrators: the full scan (a background job polled for its progress) and the thresholds.
#[component]
fn AdminTools(on_scanned: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let scan: RwSignal<Option<DuplicateScan>> = RwSignal::new(None);
    let scan_error: RwSignal<Option<String>> = RwSignal::new(None);
    let latest = Resource::new(|| (), |_| api::duplicate_scan(None));
    Effect::new(move |_| {
        if let Some(Ok(s)) = latest.get() {
            scan.set(s);
        }
    });
    let start = Action::new(|_: &()| api::start_duplicate_scan());
    Effect::new(move |_| match start.value().get() {
        Some(Ok(s)) => {
            scan_error.set(None);
            scan.set(Some(s));
        }
        Some(Err(e)) => scan_error.set(Some(error_text(&e))),
        None => {}
    });
    // While a scan runs, poll its row and refresh the pairs when it is done.
    Effect::new(move |was_running: Option<bool>| {
        let current = scan.get();
        let now_running = running(&current);
        if was_running == Some(true) && !now_running {
            on_scanned.run(());
        }
        if let (true, Some(id)) = (now_running, current.as_ref().map(|s| s.id)) {
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        match api::duplicate_scan(Some(id)).await {
                            Ok(s) => scan.set(s),
                            Err(e) => scan_error.set(Some(error_text(&e))),
                        }
                    })
                },
                Duration::from_millis(700),
            );
        }
        now_running
    });
    view! {
        <section class="card admin-tools">
            <div class="scan-row">
                <button class="primary" disabled=move || running(&scan.get()) || start.pending().get()
                    on:click=move |_| { start.dispatch(()); }>{t!(i18n, dups.run_scan)}</button>
                <div class="scan-status">
                    {move || scan.get().map(|s| view! {
                        <progress max="1" value=s.progress aria-label=t_string!(i18n, dups.scan_progress)></progress>
                        <span class="small muted scan-text">{scan_text(i18n, &s)}</span>
                    })}
                </div>
            </div>
            <ErrorBox error=Signal::derive(move || scan_error.get())/>
            <SettingsForm/>
        </section>
    }
}

#[component]
fn SettingsForm() -> impl IntoView {
    let settings = Resource::new(|| (), |_| api::duplicate_settings());
    let save = Action::new(|s: &DuplicateSettings| api::save_duplicate_settings(s.clone()));
    let error = Signal::derive(move || save.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let saved = Signal::derive(move || matches!(save.value().get(), Some(Ok(_))));
    let i18n = use_i18n();
    view! {
        <details class="dup-settings">
            <summary>{t!(i18n, dups.settings_title)}</summary>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || settings.get().map(|res| match res {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(s) => {
                        let threshold = RwSignal::new(s.threshold.to_string());
                        let candidate = RwSignal::new(s.candidate_threshold.to_string());
                        let weights: Vec<(String, RwSignal<String>)> =
                            s.weights.iter().map(|(k, v)| (k.clone(), RwSignal::new(v.to_string()))).collect();
                        let weights = StoredValue::new(weights);
                        let on_submit = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            let num = |v: String| v.trim().parse::<f32>().unwrap_or(f32::NAN);
                            let w = weights.with_value(|ws| ws.iter().map(|(k, v)| (k.clone(), num(v.get_untracked()))).collect());
                            save.dispatch(DuplicateSettings {
                                threshold: num(threshold.get_untracked()),
                                candidate_threshold: num(candidate.get_untracked()),
                                weights: w,
                            });
                        };
                        view! {
                            <form class="settings-form" on:submit=on_submit>
                                <div class="grid">
                                    <label>{t!(i18n, dups.threshold)}
                                        <input name="threshold" type="number" step="0.01" min="0" max="1" bind:value=threshold/></label>
                                    <label>{t!(i18n, dups.candidate_threshold)}
                                        <input name="candidate_threshold" type="number" step="0.01" min="0" max="1" bind:value=candidate/></label>
                                </div>
                                <p class="small muted">{t!(i18n, dups.weights_help)}</p>
                                <div class="grid weights">
                                    {weights.get_value().into_iter().map(|(k, v)| view! {
                                        <label>{k.replace('_', " ")}<input name=k.clone() type="number" step="0.5" bind:value=v/></label>
                                    }).collect_view()}
                                </div>
                                <ErrorBox error=error/>
                                <div class="form-actions">
                                    <button type="submit" class="primary" disabled=move || save.pending().get()>{t!(i18n, dups.save_settings)}</button>
                                    {move || saved.get().then(|| view! { <span class="badge ok">{t!(i18n, common.saved)}</span> })}
                                </div>
                            </form>
                        }.into_any()
                    }
                })}
            </Transition>
        </details>
    }
}
