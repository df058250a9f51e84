//! One contact: its photo, details, the edit form (several phones and e-mails, tags, groups),
//! trash and restore, and the history of changes.

use crate::api::{self, error_text};
use crate::components::{kind_label, when, ErrorBox, TagChip};
use crate::lang::{fill_in, t, t_string, td_string, text_field_label, use_i18n, Locale};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use service::dto::{Contact, ContactField, ContactInput, EmailInput, NameRef, PhoneInput, CONTACT_KINDS};

#[component]
pub fn NewContactPage() -> impl IntoView {
    let navigate = use_navigate();
    let on_saved = Callback::new(move |c: Contact| navigate(&format!("/contacts/{}", c.id), Default::default()));
    let i18n = use_i18n();
    view! {
        <div class="toolbar"><h1>{t!(i18n, contact.new_title)}</h1></div>
        <ContactForm initial=None on_saved=on_saved on_cancel=Callback::new(|_| crate::components::hard_navigate("/"))/>
    }
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let contact = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => api::get_contact(id).await,
                None => Err(ServerFnError::ServerError("contact not found".into())),
            }
        },
    );
    let history = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => api::contact_history(id).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let editing = RwSignal::new(false);
    let i18n = use_i18n();
    let delete = Action::new(|id: &i64| api::delete_contact(*id));
    let restore = Action::new(|id: &i64| api::restore_contact(*id));
    Effect::new(move |_| {
        for v in [delete.value().get(), restore.value().get()].into_iter().flatten() {
            if let Ok(c) = v {
                contact.set(Some(Ok(c)));
                history.refetch();
            }
        }
    });
    let action_error = Signal::derive(move || {
        [delete.value().get(), restore.value().get()]
            .into_iter()
            .flatten()
            .find_map(|r| r.err())
            .map(|e| error_text(&e))
    });
    let on_saved = Callback::new(move |c: Contact| {
        contact.set(Some(Ok(c)));
        editing.set(false);
        history.refetch();
    });
    let on_undone = Callback::new(move |_| {
        contact.refetch();
        history.refetch();
    });
    let on_photo = Callback::new(move |_| {
        contact.refetch();
        history.refetch();
    });
    view! {
        <p class="crumbs"><A href="/">{t!(i18n, contact.back)}</A></p>
        <ErrorBox error=action_error/>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || contact.get().map(|res| match res {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(c) if editing.get() => view! {
                    <div class="toolbar"><h1>{fill_in(t_string!(i18n, contact.edit_title), &[("name", &c.full_name)])}</h1></div>
                    <ContactForm initial=Some(c) on_saved=on_saved on_cancel=Callback::new(move |_| editing.set(false))/>
                }.into_any(),
                Ok(c) => {
                    let cid = c.id;
                    let deleted = c.deleted_at.is_some();
                    view! {
                        {deleted.then(|| view! {
                            <div class="notice">{t!(i18n, contact.in_trash)}
                                <button class="link-button" on:click=move |_| { restore.dispatch(cid); }>{t!(i18n, contact.restore_it)}</button>
                            </div>
                        })}
                        <div class="toolbar contact-head">
                            <ContactPhoto c=c.clone() editable=!deleted on_changed=on_photo/>
                            <h1>{if c.full_name.is_empty() { c.company.clone() } else { c.full_name.clone() }}</h1>
                            <div class="actions">
                                {(!deleted).then(|| view! {
                                    <button class="primary" on:click=move |_| editing.set(true)>{t!(i18n, common.edit)}</button>
                                    <button class="danger" on:click=move |_| { delete.dispatch(cid); }>{t!(i18n, contact.move_to_trash)}</button>
                                })}
                            </div>
                        </div>
                        <ContactDetails c=c/>
                        <crate::pages::scan::CardImages contact_id=cid/>
                    }.into_any()
                }
            })}
        </Transition>
        {move || id.get().map(|cid| view! { <crate::pages::merge::MergeHistory contact_id=cid on_undone=on_undone/> })}
        <section class="card">
            <h2>{t!(i18n, contact.history)}</h2>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || history.get().map(|res| match res {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(entries) if entries.is_empty() => view! { <p class="muted">{t!(i18n, contact.no_changes)}</p> }.into_any(),
                    Ok(entries) => view! {
                        <ol class="history">
                            {entries.into_iter().map(|h| view! {
                                <li>
                                    <div class="history-head">
                                        <span class=format!("badge action-{}", h.action)>{action_label(i18n.get_locale_untracked(), &h.action)}</span>
                                        {t!(i18n, contact.by)}<strong>{h.user.clone().unwrap_or_else(|| t_string!(i18n, common.system).to_string())}</strong>
                                        " · "<time>{when(&h.created_at)}</time>
                                    </div>
                                    <ul class="changes">
                                        {h.changes.into_iter().map(|ch| view! {
                                            <li>
                                                <span class="field">{ch.field.replace('_', " ")}</span>": "
                                                <span class="from">{show(&ch.from)}</span>" → "
                                                <span class="to">{show(&ch.to)}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Up to two initials of a name ("Anna Petrova" → "AP"), for a contact without a photo.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The contact's photo as a round avatar (its initials when it has none) and, unless the contact
/// is in the trash, "Change photo" / "Remove photo". The image is `GET /api/v1/contacts/{id}/photo`
/// with the session cookie (`?v=` the contact's last change, so a new photo is not taken from the
/// browser's memory); writes go to the same URL with `fetch`, through the same-site check as
/// every cookie write.
#[component]
fn ContactPhoto(c: Contact, editable: bool, on_changed: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let name = if c.full_name.is_empty() { c.company.clone() } else { c.full_name.clone() };
    let alt = fill_in(td_string!(l, contact.photo_alt), &[("name", &name)]);
    let src = format!("/api/v1/contacts/{}/photo?v={}", c.id, c.updated_at.timestamp_millis());
    let letters = initials(&name);
    let has_photo = c.has_photo;
    let id = c.id;
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let input = NodeRef::<leptos::html::Input>::new();
    let send = move |file: Option<photo_io::File>| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let r = photo_io::send(id, file, l).await;
            busy.set(false);
            match r {
                Ok(()) => on_changed.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let on_pick = move |_| {
        if let Some(file) = photo_io::chosen(&input) {
            send(Some(file));
        }
    };
    view! {
        <div class="contact-photo">
            {if has_photo {
                view! { <img class="avatar avatar-lg" src=src alt=alt.clone() width="96" height="96"/> }.into_any()
            } else {
                view! { <span class="avatar avatar-lg avatar-initials" role="img" aria-label=alt.clone()>{letters}</span> }.into_any()
            }}
            {editable.then(|| view! {
                <div class="photo-actions">
                    <label class="small-button photo-pick">
                        {if has_photo { t_string!(i18n, contact.change_photo) } else { t_string!(i18n, contact.add_photo) }}
                        <input type="file" name="photo" accept="image/jpeg,image/png,image/gif,image/webp" node_ref=input
                            on:change=on_pick disabled=move || busy.get()/>
                    </label>
                    {has_photo.then(|| view! {
                        <button type="button" class="small-button link-button" disabled=move || busy.get()
                            on:click=move |_| send(None)>{t!(i18n, contact.remove_photo)}</button>
                    })}
                    {move || busy.get().then(|| view! { <span class="muted small" aria-live="polite">{t!(i18n, contact.photo_saving)}</span> })}
                </div>
            })}
            <ErrorBox error=Signal::derive(move || error.get())/>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod photo_io {
    //! The photo's writes from the browser: `PUT` with the file as the body, or `DELETE`.
    use crate::lang::{fill_in, td_string, Locale};
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    pub type File = web_sys::File;

    pub fn chosen(input: &NodeRef<leptos::html::Input>) -> Option<File> {
        input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0))
    }

    /// `PUT /api/v1/contacts/{id}/photo` with `file` (its own type as Content-Type), or `DELETE`
    /// with `None`; the server's `detail` on failure.
    pub async fn send(id: i64, file: Option<File>, l: Locale) -> Result<(), String> {
        let init = web_sys::RequestInit::new();
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        match &file {
            Some(f) => {
                init.set_method("PUT");
                let headers = js_sys::Object::new();
                let kind = if f.type_().is_empty() { "application/octet-stream".to_string() } else { f.type_() };
                let _ = js_sys::Reflect::set(&headers, &"Content-Type".into(), &kind.into());
                init.set_headers(&headers);
                init.set_body(f);
            }
            None => init.set_method("DELETE"),
        }
        let failed = |status: u16| fill_in(td_string!(l, contact.photo_failed), &[("status", &status)]);
        let url = format!("/api/v1/contacts/{id}/photo");
        let resp = JsFuture::from(window().fetch_with_str_and_init(&url, &init)).await.map_err(|_| failed(0))?;
        let resp: web_sys::Response = resp.dyn_into().map_err(|_| failed(0))?;
        let status = resp.status();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        Err(body["detail"].as_str().map(str::to_string).unwrap_or_else(|| failed(status)))
    }
}

#[cfg(not(feature = "hydrate"))]
mod photo_io {
    //! The server never runs the page's event handlers; these keep them compiling there.
    use crate::lang::Locale;
    use leptos::prelude::*;

    pub type File = ();

    pub fn chosen(_: &NodeRef<leptos::html::Input>) -> Option<File> {
        None
    }

    pub async fn send(_: i64, _: Option<File>, _: Locale) -> Result<(), String> {
        Err("photo uploads need the browser".into())
    }
}

/// A history entry's action (`create`, `update`, …) in the current language; others as stored.
fn action_label(l: Locale, action: &str) -> String {
    match action {
        "create" => td_string!(l, action.create).to_string(),
        "update" => td_string!(l, action.update).to_string(),
        "delete" => td_string!(l, action.delete).to_string(),
        "restore" => td_string!(l, action.restore).to_string(),
        "merge" => td_string!(l, action.merge).to_string(),
        other => other.replace('_', " "),
    }
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) if a.is_empty() => "—".into(),
        serde_json::Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

#[component]
fn ContactDetails(c: Contact) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let row = |label: &'static str, value: String| {
        (!value.is_empty()).then(|| view! { <div class="detail"><dt>{label}</dt><dd>{value}</dd></div> })
    };
    let website = c.website.clone();
    let href = if website.starts_with("http") { website.clone() } else { format!("https://{website}") };
    view! {
        <section class="card details">
            <dl>
                {row(td_string!(l, field.company), c.company.clone())}
                {row(td_string!(l, field.position), c.position.clone())}
                {row(td_string!(l, field.department), c.department.clone())}
                {c.phones.iter().map(|p| {
                    let tel = format!("tel:{}", p.e164.clone().unwrap_or_else(|| p.number.clone()));
                    view! { <div class="detail"><dt>{fill_in(td_string!(l, contact.phone_kind), &[("kind", &kind_label(l, &p.kind))])}</dt><dd><a href=tel>{p.number.clone()}</a>
                        {p.e164.clone().filter(|e| *e != p.number).map(|e| view! { <span class="muted small">" "{e}</span> })}</dd></div> }
                }).collect_view()}
                {c.emails.iter().map(|e| view! {
                    <div class="detail"><dt>{fill_in(td_string!(l, contact.email_kind), &[("kind", &kind_label(l, &e.kind))])}</dt><dd><a href=format!("mailto:{}", e.address)>{e.address.clone()}</a></dd></div>
                }).collect_view()}
                {(!website.is_empty()).then(|| view! { <div class="detail"><dt>{td_string!(l, field.website)}</dt><dd><a href=href rel="noopener noreferrer" target="_blank">{website.clone()}</a></dd></div> })}
                {row(td_string!(l, field.address), c.address.clone())}
                {(!c.tags.is_empty()).then(|| view! { <div class="detail"><dt>{td_string!(l, field.tags)}</dt><dd>{c.tags.iter().cloned().map(|t| view! { <TagChip tag=t/> }).collect_view()}</dd></div> })}
                {row(td_string!(l, field.groups), c.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>().join(", "))}
                {row(td_string!(l, field.notes), c.notes.clone())}
                {row(td_string!(l, field.source), c.source.clone())}
                <div class="detail"><dt>{td_string!(l, field.number)}</dt><dd>{
                    fill_in(td_string!(l, contact.number_line), &[("seq", &c.sequence_number), ("version", &c.version), ("updated", &when(&c.updated_at))])
                }</dd></div>
            </dl>
        </section>
    }
}

/// One editable phone or e-mail row: its own signals, so typing never re-renders the list.
#[derive(Clone)]
struct Row {
    key: usize,
    kind: RwSignal<String>,
    value: RwSignal<String>,
}

fn rows(items: Vec<(String, String)>, next: &mut usize) -> Vec<Row> {
    items
        .into_iter()
        .map(|(kind, value)| {
            *next += 1;
            Row { key: *next, kind: RwSignal::new(kind), value: RwSignal::new(value) }
        })
        .collect()
}

fn split_names(s: &str) -> Vec<NameRef> {
    s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| NameRef::Name(s.to_string())).collect()
}

#[component]
fn ContactForm(initial: Option<Contact>, on_saved: Callback<Contact>, on_cancel: Callback<()>) -> impl IntoView {
    let id = initial.as_ref().map(|c| c.id);
    let version = initial.as_ref().map(|c| c.version);
    // One signal per text field, at the field's place in `ContactField::ALL`.
    let texts = ContactField::ALL.map(|f| RwSignal::new(initial.as_ref().map_or("", |c| f.of(c)).to_string()));
    let text_of = move |f: ContactField| texts[f as usize];
    let names = |list: Vec<&str>| RwSignal::new(list.join(", "));
    let tags = names(initial.iter().flat_map(|c| &c.tags).map(|t| t.name.as_str()).collect());
    let groups = names(initial.iter().flat_map(|c| &c.groups).map(|g| g.name.as_str()).collect());
    let mut next = 0usize;
    let mut phone_items: Vec<(String, String)> =
        initial.iter().flat_map(|c| &c.phones).map(|p| (p.kind.clone(), p.number.clone())).collect();
    if phone_items.is_empty() {
        phone_items.push(("mobile".into(), String::new()));
    }
    let mut email_items: Vec<(String, String)> =
        initial.iter().flat_map(|c| &c.emails).map(|e| (e.kind.clone(), e.address.clone())).collect();
    if email_items.is_empty() {
        email_items.push(("work".into(), String::new()));
    }
    let phones = RwSignal::new(rows(phone_items, &mut next));
    let emails = RwSignal::new(rows(email_items, &mut next));
    let next_key = StoredValue::new(next);
    let add_row = move |list: RwSignal<Vec<Row>>, kind: &str| {
        next_key.update_value(|n| *n += 1);
        let key = next_key.get_value();
        let kind = kind.to_string();
        list.update(|l| l.push(Row { key, kind: RwSignal::new(kind), value: RwSignal::new(String::new()) }));
    };
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let all_tags = Resource::new(|| (), |_| api::list_tags());
    let all_groups = Resource::new(|| (), |_| api::list_groups());

    let save = Action::new(move |input: &ContactInput| api::save_contact(id, input.clone()));
    // "merge" in the duplicate warning: save the new contact, then open the merge of the two.
    let merge_with: RwSignal<Option<i64>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(c)) = save.value().get() {
            match merge_with.get_untracked() {
                Some(other) => crate::components::hard_navigate(&format!("/duplicates/merge?ids={other},{}", c.id)),
                None => on_saved.run(c),
            }
        }
    });
    // While a new contact is typed: what to check for duplicates (complete-looking values only).
    let draft = Memo::new(move |_| {
        id.is_none()
            .then(|| ContactInput {
                first_name: text_of(ContactField::FirstName).get(),
                middle_name: text_of(ContactField::MiddleName).get(),
                last_name: text_of(ContactField::LastName).get(),
                company: text_of(ContactField::Company).get(),
                phones: phones
                    .get()
                    .iter()
                    .map(|r| PhoneInput { kind: r.kind.get(), number: r.value.get() })
                    .filter(|p| p.number.chars().filter(char::is_ascii_digit).count() >= 7)
                    .collect(),
                emails: emails
                    .get()
                    .iter()
                    .map(|r| EmailInput { kind: r.kind.get(), address: r.value.get().trim().to_string() })
                    .filter(|e| e.address.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.')))
                    .collect(),
                ..Default::default()
            })
            .filter(|d| {
                d.first_name.trim().chars().count() + d.last_name.trim().chars().count() >= 3
                    || !d.phones.is_empty()
                    || !d.emails.is_empty()
            })
    });
    let submit_ref = NodeRef::<leptos::html::Form>::new();
    let on_merge = Callback::new(move |other: i64| {
        merge_with.set(Some(other));
        if let Some(form) = submit_ref.get_untracked() {
            let _ = form.request_submit();
        }
    });
    let on_save_anyway = Callback::new(move |_: ()| {
        if let Some(form) = submit_ref.get_untracked() {
            let _ = form.request_submit();
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut input = ContactInput {
            phones: phones
                .get_untracked()
                .iter()
                .map(|r| PhoneInput { kind: r.kind.get_untracked(), number: r.value.get_untracked() })
                .collect(),
            emails: emails
                .get_untracked()
                .iter()
                .map(|r| EmailInput { kind: r.kind.get_untracked(), address: r.value.get_untracked() })
                .collect(),
            tags: split_names(&tags.get_untracked()),
            groups: split_names(&groups.get_untracked()),
            source: None,
            version,
            ..Default::default()
        };
        // The full name is left empty: the service derives it from the parts.
        for f in ContactField::ALL.into_iter().filter(|f| *f != ContactField::FullName) {
            f.set(&mut input, text_of(f).get_untracked());
        }
        save.dispatch(input);
    };
    let text = move |f: ContactField| {
        let (label, sig) = (text_field_label(l, f).unwrap_or_default(), text_of(f));
        view! {
            <label>{label}<input name=f.name() bind:value=sig/></label>
        }
    };
    // `name` is the form field's name; `what` its label in the current language.
    let row_editor = move |list: RwSignal<Vec<Row>>,
                           name: &'static str,
                           what: &'static str,
                           input_type: &'static str| {
        view! {
            <For each=move || list.get() key=|r| r.key let:row>
                <div class="multi-row">
                    <select aria-label=fill_in(td_string!(l, contact.kind_of), &[("what", &what)]) prop:value=move || row.kind.get() on:change=move |ev| row.kind.set(event_target_value(&ev))>
                        {CONTACT_KINDS.iter().map(|k| view! { <option value=*k selected=row.kind.get_untracked() == *k>{kind_label(l, k)}</option> }).collect_view()}
                    </select>
                    <input type=input_type name=name aria-label=what placeholder=what bind:value=row.value/>
                    <button type="button" class="icon" title=td_string!(l, contact.remove_this)
                        on:click=move |_| list.update(|l| l.retain(|r| r.key != row.key))>"✕"</button>
                </div>
            </For>
        }
    };
    view! {
        <form class="card contact-form" node_ref=submit_ref on:submit=on_submit>
            <fieldset>
                <legend>{t!(i18n, contact.legend_name)}</legend>
                <div class="grid name-grid">
                    {text(ContactField::Prefix)}
                    {text(ContactField::FirstName)}
                    {text(ContactField::MiddleName)}
                    {text(ContactField::LastName)}
                </div>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, contact.legend_work)}</legend>
                <div class="grid">
                    {text(ContactField::Company)}
                    {text(ContactField::Position)}
                    {text(ContactField::Department)}
                    {text(ContactField::Website)}
                </div>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, field.phones)}</legend>
                {row_editor(phones, "phone", td_string!(l, field.phone), "tel")}
                <button type="button" class="small-button" on:click=move |_| add_row(phones, "work")>{t!(i18n, contact.add_phone)}</button>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, field.emails)}</legend>
                {row_editor(emails, "e-mail", td_string!(l, field.email), "email")}
                <button type="button" class="small-button" on:click=move |_| add_row(emails, "work")>{t!(i18n, contact.add_email)}</button>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, contact.legend_more)}</legend>
                <label>{t!(i18n, field.address)}<textarea name="address" rows="2" bind:value=text_of(ContactField::Address)></textarea></label>
                <label>{t!(i18n, contact.tags_input)}<input name="tags" list="tag-names" bind:value=tags/></label>
                <label>{t!(i18n, contact.groups_input)}<input name="groups" list="group-names" bind:value=groups/></label>
                <label>{t!(i18n, field.notes)}<textarea name="notes" rows="3" bind:value=text_of(ContactField::Notes)></textarea></label>
                <datalist id="tag-names">
                    <Transition>{move || all_tags.get().and_then(Result::ok).map(|ts| ts.into_iter().map(|t| view! { <option value=t.name/> }).collect_view())}</Transition>
                </datalist>
                <datalist id="group-names">
                    <Transition>{move || all_groups.get().and_then(Result::ok).map(|gs| gs.into_iter().map(|g| view! { <option value=g.name/> }).collect_view())}</Transition>
                </datalist>
            </fieldset>
            <ErrorBox error=error/>
            <crate::pages::merge::DuplicateWarning draft=draft on_merge=on_merge on_save=on_save_anyway/>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { t_string!(i18n, common.saving) } else { t_string!(i18n, common.save) }}
                </button>
                <button type="button" on:click=move |_| on_cancel.run(())>{t!(i18n, common.cancel)}</button>
            </div>
        </form>
    }
}
