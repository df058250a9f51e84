//! Import and export: upload a contact file (vCard, CSV, XLSX, JSON lines) for a preview, check
//! what each row will do (create, update the contact it matches, skip, invalid — with the reason),
//! change the column mapping or a row's choice, then import; follow the progress; undo an import
//! within 30 days. Exports are links to `GET /api/v1/export` (the contact list has them too).

use crate::api::{self, error_text};
use crate::components::{when, ErrorBox, Pager};
use crate::lang::{fill_in, t, t_string, td_string, use_i18n, I18n, Locale};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use service::import_dto::{ImportApply, ImportJob, RowOverride};
use std::collections::HashMap;
use std::time::Duration;

fn running(j: &Option<ImportJob>) -> bool {
    j.as_ref().is_some_and(|j| j.status == "queued" || j.status == "running")
}

fn action_label(l: Locale, a: &str) -> String {
    match a {
        "create" => td_string!(l, imports.create).to_string(),
        "update" => td_string!(l, imports.update).to_string(),
        "skip" => td_string!(l, imports.skip).to_string(),
        "invalid" => td_string!(l, imports.invalid).to_string(),
        "merge" => td_string!(l, imports.merge).to_string(),
        other => other.to_string(),
    }
}

fn status_label(l: Locale, s: &str) -> String {
    match s {
        "queued" => td_string!(l, imports.queued).to_string(),
        "running" => td_string!(l, imports.running).to_string(),
        "done" => td_string!(l, imports.done).to_string(),
        "failed" => td_string!(l, imports.failed).to_string(),
        "undone" => td_string!(l, imports.undone).to_string(),
        other => other.to_string(),
    }
}

/// The on-duplicate choice as a drop-down.
#[component]
fn DuplicateChoice(value: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label>
            {t!(i18n, imports.on_duplicate)}
            <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                <option value="skip">{t!(i18n, imports.on_duplicate_skip)}</option>
                <option value="merge">{t!(i18n, imports.on_duplicate_merge)}</option>
                <option value="create">{t!(i18n, imports.on_duplicate_create)}</option>
            </select>
        </label>
    }
}

/// `/imports`: upload a file for a preview; the imports so far.
#[component]
pub fn ImportsPage() -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let file_input: NodeRef<leptos::html::Input> = NodeRef::new();
    let on_duplicate = RwSignal::new("skip".to_string());
    let tag = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let page = RwSignal::new(1u64);
    let imports = Resource::new(move || page.get(), api::list_imports);
    let navigate = StoredValue::new(navigate);
    let preview = move |_| {
        let Some(file) = browser::chosen(&file_input) else {
            error.set(Some(t_string!(i18n, imports.choose_file).to_string()));
            return;
        };
        busy.set(true);
        error.set(None);
        let query = format!(
            "?dry_run=true&on_duplicate={}&tag={}",
            on_duplicate.get_untracked(),
            crate::components::encode(tag.get_untracked().trim())
        );
        let l = i18n.get_locale_untracked();
        leptos::task::spawn_local(async move {
            match browser::upload(file, &query, l).await {
                Ok(id) => navigate.with_value(|n| n(&format!("/imports/{id}"), Default::default())),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="toolbar"><h1>{t!(i18n, imports.title)}</h1></div>
        <section class="card import-upload">
            <p class="muted">{t!(i18n, imports.intro)}</p>
            <div class="form-grid">
                <label>
                    {t!(i18n, imports.file)}
                    <input type="file" node_ref=file_input accept=".csv,.tsv,.txt,.vcf,.vcard,.xlsx,.jsonl,.json"/>
                </label>
                <DuplicateChoice value=on_duplicate/>
                <label>
                    {t!(i18n, imports.tag)}
                    <input type="text" maxlength="50" placeholder=t_string!(i18n, imports.tag_placeholder)
                        prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev))/>
                </label>
            </div>
            <button class="primary" disabled=move || busy.get() on:click=preview>
                {move || if busy.get() { t_string!(i18n, imports.uploading) } else { t_string!(i18n, imports.preview) }}
            </button>
            <ErrorBox error=Signal::derive(move || error.get())/>
        </section>
        <section class="card">
            <h2>{t!(i18n, imports.export_title)}</h2>
            <p class="muted">{t!(i18n, imports.export_intro)}</p>
            <ExportLinks query=Signal::derive(String::new)/>
        </section>
        <section class="card">
            <h2>{t!(i18n, imports.history)}</h2>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || imports.get().map(|r| match r {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(p) if p.items.is_empty() => view! { <p class="muted">{t!(i18n, imports.none)}</p> }.into_any(),
                    Ok(p) => {
                        let l = i18n.get_locale_untracked();
                        view! {
                            <div class="table-wrap"><table class="contacts">
                                <thead><tr>
                                    <th>{t!(i18n, imports.file)}</th><th>{t!(i18n, imports.when)}</th>
                                    <th>{t!(i18n, imports.status)}</th><th>{t!(i18n, imports.counts)}</th>
                                </tr></thead>
                                <tbody>
                                    {p.items.iter().map(|i| {
                                        let href = format!("/imports/{}", i.id);
                                        let name = if i.file_name.is_empty() { format!("#{}", i.id) } else { i.file_name.clone() };
                                        let status = if i.dry_run && i.status == "done" { td_string!(l, imports.previewed).to_string() } else { status_label(l, &i.status) };
                                        let counts = fill_in(td_string!(l, imports.counts_text), &[
                                            ("created", &i.created), ("updated", &i.updated), ("skipped", &i.skipped), ("invalid", &i.invalid)]);
                                        view! { <tr>
                                            <td data-label=td_string!(l, imports.file)><A href=href>{name}</A></td>
                                            <td data-label=td_string!(l, imports.when)>{when(&i.created_at)}</td>
                                            <td data-label=td_string!(l, imports.status)>{status}</td>
                                            <td class="small" data-label=td_string!(l, imports.counts)>{counts}</td>
                                        </tr> }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            <Pager page=p.page pages=p.pages go=move |n| page.set(n)/>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

/// Download links for an export; `query` is the contact list's filter as `&key=value…`.
#[component]
pub fn ExportLinks(#[prop(into)] query: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let link = move |format: &'static str| format!("/api/v1/export?format={format}{}", query.get());
    view! {
        <div class="export-links">
            <a class="button" href=move || link("vcf") download="">{t!(i18n, imports.export_vcf)}</a>
            <a class="button" href=move || format!("{}&version=3.0", link("vcf")) download="">{t!(i18n, imports.export_vcf3)}</a>
            <a class="button" href=move || link("csv") download="">"CSV"</a>
            <a class="button" href=move || link("xlsx") download="">"Excel"</a>
        </div>
    }
}

/// `/imports/:id`: progress, the preview's rows with their choices, import and undo.
#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let page = RwSignal::new(1u64);
    let filter = RwSignal::new(String::new());
    let job: RwSignal<Option<ImportJob>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let loaded =
        Resource::new(move || (id(), page.get(), filter.get()), |(id, page, f)| api::get_import(id, page, Some(f)));
    Effect::new(move |_| match loaded.get() {
        Some(Ok(j)) => job.set(Some(j)),
        Some(Err(e)) => error.set(Some(error_text(&e))),
        None => {}
    });
    // While it runs, poll its row.
    Effect::new(move |_| {
        let current = job.get();
        if let (true, Some(id)) = (running(&current), current.as_ref().map(|j| j.id)) {
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        match api::get_import(id, page.get_untracked(), Some(filter.get_untracked())).await {
                            Ok(j) => job.set(Some(j)),
                            Err(e) => error.set(Some(error_text(&e))),
                        }
                    })
                },
                Duration::from_millis(700),
            );
        }
    });
    let on_duplicate = RwSignal::new("skip".to_string());
    let tag = RwSignal::new(String::new());
    let mapping: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let overrides: RwSignal<HashMap<i64, String>> = RwSignal::new(HashMap::new());
    // The choices start as the preview's.
    Effect::new(move |seen: Option<i64>| {
        let Some(j) = job.get() else { return seen.unwrap_or(0) };
        if seen != Some(j.id) || running(&Some(j.clone())) {
            on_duplicate.set(j.on_duplicate.clone());
            tag.set(j.tag.clone());
            mapping.set(j.mapping.clone());
        }
        j.id
    });
    let choices = Resource::new(|| (), |_| api::import_field_choices());
    let run = Action::new(move |dry_run: &bool| {
        let input = ImportApply {
            dry_run: Some(*dry_run),
            on_duplicate: Some(on_duplicate.get_untracked()),
            tag: Some(tag.get_untracked()),
            all_or_nothing: None,
            overrides: overrides
                .get_untracked()
                .into_iter()
                .map(|(line, action)| RowOverride { line, action })
                .collect(),
            mapping: Some(mapping.get_untracked()).filter(|m| !m.is_empty()),
        };
        let id = id();
        async move { api::apply_import(id, input).await }
    });
    Effect::new(move |_| match run.value().get() {
        Some(Ok(j)) => {
            error.set(None);
            overrides.set(HashMap::new());
            job.set(Some(j));
        }
        Some(Err(e)) => error.set(Some(error_text(&e))),
        None => {}
    });
    let undo = Action::new(move |_: &()| {
        let id = id();
        async move { api::undo_import(id).await }
    });
    let undo_note: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| match undo.value().get() {
        Some(Ok(u)) => {
            let l = i18n.get_locale_untracked();
            let mut text =
                fill_in(td_string!(l, imports.undo_done), &[("trashed", &u.trashed), ("reverted", &u.reverted)]);
            for k in &u.kept {
                text.push_str(&format!(" {k}."));
            }
            undo_note.set(Some(text));
            loaded.refetch();
        }
        Some(Err(e)) => error.set(Some(error_text(&e))),
        None => {}
    });

    view! {
        <div class="toolbar">
            <h1>{move || job.get().map(|j| if j.file_name.is_empty() { format!("#{}", j.id) } else { j.file_name.clone() })
                .unwrap_or_else(|| t_string!(i18n, imports.title).to_string())}</h1>
            <A href="/imports" attr:class="button">{t!(i18n, imports.all_imports)}</A>
        </div>
        <ErrorBox error=Signal::derive(move || error.get())/>
        {move || undo_note.get().map(|n| view! { <div class="notice" role="status">{n}</div> })}
        {move || job.get().map(|j| summary(i18n, &j))}
        {move || job.get().filter(|j| running(&Some(j.clone()))).map(|j| view! {
            <section class="card">
                <progress max="1" value=j.progress aria-label=t_string!(i18n, imports.progress)></progress>
                <span class="small muted">{fill_in(t_string!(i18n, imports.progress_text), &[("done", &j.done), ("total", &j.total)])}</span>
            </section>
        })}
        {move || job.get().filter(|j| j.dry_run && j.status == "done").map(|j| {
            let has_mapping = !j.headers.is_empty();
            let headers = j.headers.clone();
            let would_create = j.created;
            view! {
                <section class="card import-choices">
                    <h2>{t!(i18n, imports.choices)}</h2>
                    {has_mapping.then(|| view! {
                        <details class="mapping" open=j.profile == "custom">
                            <summary>{t!(i18n, imports.mapping)}</summary>
                            <div class="table-wrap"><table class="contacts">
                                <thead><tr><th>{t!(i18n, imports.column)}</th><th>{t!(i18n, imports.read_as)}</th></tr></thead>
                                <tbody>
                                    {headers.into_iter().enumerate().map(|(i, h)| view! {
                                        <tr><td data-label=t_string!(i18n, imports.column)>{h}</td><td data-label=t_string!(i18n, imports.read_as)>
                                            <select aria-label=t_string!(i18n, imports.read_as)
                                                on:change=move |ev| { let v = event_target_value(&ev); mapping.update(|m| if let Some(x) = m.get_mut(i) { *x = v; }); }>
                                                {move || {
                                                    let current = mapping.get().get(i).cloned().unwrap_or_default();
                                                    let mut list = choices.get().and_then(Result::ok).unwrap_or_default();
                                                    if !current.is_empty() && !list.iter().any(|(id, _)| *id == current) {
                                                        let at = list.len().min(1);
                                                        list.insert(at, (current.clone(), current.clone()));
                                                    }
                                                    list.into_iter().map(|(id, label)| {
                                                        let selected = id == current;
                                                        view! { <option value=id selected=selected>{label}</option> }
                                                    }).collect_view()
                                                }}
                                            </select>
                                        </td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            <button disabled=move || run.pending().get() on:click=move |_| { run.dispatch(true); }>{t!(i18n, imports.preview_again)}</button>
                        </details>
                    })}
                    <div class="form-grid">
                        <DuplicateChoice value=on_duplicate/>
                        <label>
                            {t!(i18n, imports.tag)}
                            <input type="text" maxlength="50" prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev))/>
                        </label>
                    </div>
                    <div class="actions">
                        <button disabled=move || run.pending().get() on:click=move |_| { run.dispatch(true); }>{t!(i18n, imports.preview_again)}</button>
                        <button class="primary" disabled=move || run.pending().get() on:click=move |_| { run.dispatch(false); }>
                            {fill_in(t_string!(i18n, imports.import_now), &[("count", &would_create)])}
                        </button>
                    </div>
                </section>
            }
        })}
        {move || job.get().filter(|j| j.can_undo).map(|_| view! {
            <section class="card">
                <button class="danger" disabled=move || undo.pending().get()
                    on:click=move |_| {
                        if browser::confirm(&t_string!(i18n, imports.undo_confirm)) { undo.dispatch(()); }
                    }>{t!(i18n, imports.undo)}</button>
                <span class="small muted">" "{t!(i18n, imports.undo_hint)}</span>
            </section>
        })}
        {move || job.get().filter(|j| !running(&Some(j.clone()))).map(|j| rows_table(i18n, j, page, filter, overrides))}
    }
}

fn summary(i18n: I18n, j: &ImportJob) -> impl IntoView {
    let l = i18n.get_locale_untracked();
    let status = if j.dry_run && j.status == "done" {
        td_string!(l, imports.previewed).to_string()
    } else {
        status_label(l, &j.status)
    };
    let details =
        [j.format.clone(), j.encoding.clone(), (j.profile != "custom").then(|| j.profile.clone()).unwrap_or_default()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
    let verb = if j.dry_run { td_string!(l, imports.would) } else { "" };
    view! {
        <section class="card import-summary">
            <p><strong>{status}</strong>" "<span class="muted small">{details}</span></p>
            {j.error.clone().map(|e| view! { <div class="error" role="alert">{e}</div> })}
            <div class="counts">
                <span class="count create">{verb}{fill_in(td_string!(l, imports.n_create), &[("count", &j.created)])}</span>
                <span class="count update">{verb}{fill_in(td_string!(l, imports.n_update), &[("count", &j.updated)])}</span>
                <span class="count skip">{fill_in(td_string!(l, imports.n_skip), &[("count", &j.skipped)])}</span>
                <span class="count invalid">{fill_in(td_string!(l, imports.n_invalid), &[("count", &j.invalid)])}</span>
            </div>
        </section>
    }
}

fn rows_table(
    i18n: I18n,
    j: ImportJob,
    page: RwSignal<u64>,
    filter: RwSignal<String>,
    overrides: RwSignal<HashMap<i64, String>>,
) -> impl IntoView {
    let l = i18n.get_locale_untracked();
    let editable = j.dry_run && j.status == "done";
    let pages = j.rows_total.div_ceil(j.limit.max(1));
    view! {
        <section class="card">
            <div class="toolbar">
                <h2>{t!(i18n, imports.rows)}</h2>
                <select aria-label=t_string!(i18n, imports.show) prop:value=move || filter.get()
                    on:change=move |ev| { filter.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">{t!(i18n, imports.all_rows)}</option>
                    {["create", "update", "skip", "invalid"].into_iter().map(|a| view! { <option value=a>{action_label(l, a)}</option> }).collect_view()}
                </select>
            </div>
            <div class="table-wrap"><table class="contacts import-rows">
                <thead><tr>
                    <th>{t!(i18n, imports.line)}</th><th>{t!(i18n, field.name)}</th>
                    <th>{t!(i18n, imports.action)}</th><th>{t!(i18n, imports.why)}</th>
                </tr></thead>
                <tbody>
                    {j.rows.into_iter().map(|r| {
                        let line = r.line;
                        let matched = r.match_id.is_some() || r.detail.contains("line ");
                        let contact = r.contact_id.or(r.match_id).map(|id| view! { <A href=format!("/contacts/{id}")>{format!("#{id}")}</A> });
                        let action = if editable && r.action != "invalid" {
                            let current = r.action.clone();
                            let options: Vec<&'static str> = if matched { vec!["skip", "merge", "create"] } else { vec!["create", "skip"] };
                            let default = match current.as_str() { "update" => "merge", a => if a == "skip" { "skip" } else { "create" } };
                            view! {
                                <select aria-label=t_string!(i18n, imports.action)
                                    on:change=move |ev| { let v = event_target_value(&ev); overrides.update(|o| { o.insert(line, v); }); }>
                                    {options.into_iter().map(|a| {
                                        let selected = move || overrides.get().get(&line).map(String::as_str).unwrap_or(default) == a;
                                        view! { <option value=a selected=selected>{action_label(l, a)}</option> }
                                    }).collect_view()}
                                </select>
                            }.into_any()
                        } else {
                            view! { <span class=format!("action {}", r.action)>{action_label(l, &r.action)}</span> }.into_any()
                        };
                        view! { <tr class=format!("row-{}", r.action)>
                            <td data-label=td_string!(l, imports.line)>{r.line}</td>
                            <td data-label=td_string!(l, field.name)>{r.name.clone()}" "{contact}</td>
                            <td data-label=td_string!(l, imports.action)>{action}</td>
                            <td class="small" data-label=td_string!(l, imports.why)>{r.detail.clone()}</td>
                        </tr> }
                    }).collect_view()}
                </tbody>
            </table></div>
            <Pager page=j.page pages=pages go=move |n| page.set(n)/>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::lang::{td_string, Locale};
    use leptos::prelude::*;

    pub type File = web_sys::File;

    pub use crate::file_post::chosen;

    pub fn confirm(text: &str) -> bool {
        window().confirm_with_message(text).unwrap_or(false)
    }

    /// `POST /api/v1/imports{query}` with the file; the new import's id.
    pub async fn upload(file: File, query: &str, l: Locale) -> Result<i64, String> {
        let answer = crate::file_post::post_file(&format!("/api/v1/imports{query}"), &file, l).await?;
        if answer.ok() {
            return answer.body["id"].as_i64().ok_or_else(|| td_string!(l, scan.unexpected).to_string());
        }
        Err(answer.failure(l))
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    //! The server never runs the page's event handlers; these keep them compiling there.
    use crate::lang::Locale;
    use leptos::prelude::*;

    pub type File = ();

    pub fn chosen(_: &NodeRef<leptos::html::Input>) -> Option<File> {
        None
    }

    pub fn confirm(_: &str) -> bool {
        false
    }

    pub async fn upload(_: File, _: &str, _: Locale) -> Result<i64, String> {
        Err("uploads need the browser".into())
    }
}
