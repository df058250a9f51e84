//! Merging duplicates in the UI: the Merge page (`/duplicates/merge?ids=1,2,…`: per field a choice
//! between the records, or every phone/e-mail kept, a preview, then the merge with a link to the
//! survivor and an Undo button), the merge history of a contact (with Undo), and the editor's
//! "looks like …" warning while a new contact is typed.

use crate::api::{self, error_text};
use crate::components::ErrorBox;
use crate::lang::{field_label, fill_in, t, t_string, td_string, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use service::dto::{
    CheckDuplicatesInput, Contact, ContactField, ContactInput, ContactMerges, DuplicateCandidate, MergeFieldChoice,
    MergeInput, MergeResult,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// Text fields offered for a choice: all but the full name, which the merge derives from the
/// chosen parts.
fn choosable() -> impl Iterator<Item = ContactField> {
    ContactField::ALL.into_iter().filter(|f| *f != ContactField::FullName)
}

fn phones_of(c: &Contact) -> String {
    c.phones.iter().map(|p| p.number.clone()).collect::<Vec<_>>().join(", ")
}

fn emails_of(c: &Contact) -> String {
    c.emails.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join(", ")
}

fn display_name(c: &Contact) -> String {
    if c.full_name.is_empty() {
        c.company.clone()
    } else {
        c.full_name.clone()
    }
}

#[component]
pub fn MergePage() -> impl IntoView {
    let query = use_query_map();
    let ids = Memo::new(move |_| {
        query.with(|q| {
            q.get("ids")
                .unwrap_or_default()
                .split(',')
                .filter_map(|s| s.trim().parse::<i64>().ok())
                .collect::<Vec<i64>>()
        })
    });
    let i18n = use_i18n();
    let need_two = t_string!(i18n, merge.need_two);
    // Loaded in the browser only: nothing async to hydrate, so the editor's handlers always attach.
    let contacts = LocalResource::new(move || {
        let ids = ids.get();
        async move {
            if ids.len() < 2 {
                return Err(ServerFnError::ServerError(need_two.into()));
            }
            let mut out = Vec::new();
            for id in ids {
                out.push(api::get_contact(id).await?);
            }
            Ok(out)
        }
    });
    view! {
        <p class="crumbs"><A href="/duplicates">{t!(i18n, merge.back)}</A></p>
        <div class="toolbar"><h1>{t!(i18n, merge.title)}</h1></div>
        {move || match contacts.get() {
            None => view! { <p class="muted">{t!(i18n, common.loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
            Some(Ok(list)) => MergeEditor(MergeEditorProps { contacts: list }).into_any(),
        }}
    }
}

/// The default pick for a field: the survivor's value, else the first non-empty one.
fn default_pick(contacts: &[Contact], survivor: i64, field: ContactField) -> i64 {
    let first_non_empty = contacts.iter().find(|c| !field.of(c).trim().is_empty()).map(|c| c.id);
    match contacts.iter().find(|c| c.id == survivor) {
        Some(s) if !field.of(s).trim().is_empty() => survivor,
        _ => first_non_empty.unwrap_or(survivor),
    }
}

#[component]
fn MergeEditor(contacts: Vec<Contact>) -> impl IntoView {
    let contacts = StoredValue::new(contacts);
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let first = contacts.with_value(|c| c[0].id);
    let survivor = RwSignal::new(first);
    let picks: RwSignal<BTreeMap<String, i64>> = RwSignal::new(
        contacts.with_value(|cs| choosable().map(|f| (f.name().to_string(), default_pick(cs, first, f))).collect()),
    );
    let keep_all_phones = RwSignal::new(true);
    let keep_all_emails = RwSignal::new(true);
    let phones_from = RwSignal::new(first);
    let emails_from = RwSignal::new(first);
    // Only the fields where the records differ need a choice.
    let differing: Vec<ContactField> = contacts.with_value(|cs| {
        choosable()
            .filter(|f| {
                let vals: Vec<&str> = cs.iter().map(|c| f.of(c).trim()).collect();
                vals.iter().any(|v| !v.is_empty()) && vals.iter().any(|v| *v != vals[0])
            })
            .collect()
    });
    let same: Vec<String> = contacts.with_value(|cs| {
        choosable()
            .filter(|f| !differing.contains(f) && !f.of(&cs[0]).trim().is_empty())
            .map(|f| format!("{}: {}", field_label(l, f.name()).unwrap_or(f.name()), f.of(&cs[0])))
            .collect()
    });
    let build = move |dry_run: bool| -> MergeInput {
        let mut fields = BTreeMap::new();
        for (f, id) in picks.get_untracked() {
            fields.insert(f, MergeFieldChoice::From(id));
        }
        if !keep_all_phones.get_untracked() {
            fields.insert("phones".into(), MergeFieldChoice::From(phones_from.get_untracked()));
        }
        if !keep_all_emails.get_untracked() {
            fields.insert("emails".into(), MergeFieldChoice::From(emails_from.get_untracked()));
        }
        MergeInput {
            ids: contacts.with_value(|cs| cs.iter().map(|c| c.id).collect()),
            survivor_id: Some(survivor.get_untracked()),
            fields,
            keep_all_phones: Some(keep_all_phones.get_untracked()),
            keep_all_emails: Some(keep_all_emails.get_untracked()),
            versions: contacts.with_value(|cs| cs.iter().map(|c| (c.id, c.version)).collect()),
            dry_run,
        }
    };
    let preview = Action::new(|input: &MergeInput| api::merge_contacts(input.clone()));
    let merge = Action::new(|input: &MergeInput| api::merge_contacts(input.clone()));
    let undo = Action::new(|id: &i64| api::undo_merge(*id));
    // A changed choice makes an old preview stale.
    Effect::new(move |_| {
        picks.track();
        survivor.track();
        keep_all_phones.track();
        keep_all_emails.track();
        phones_from.track();
        emails_from.track();
        preview.value().set(None);
    });
    let error = Signal::derive(move || {
        [preview.value().get().and_then(Result::err), merge.value().get().and_then(Result::err)]
            .into_iter()
            .flatten()
            .next()
            .or_else(|| undo.value().get().and_then(Result::err))
            .map(|e| error_text(&e))
    });
    let done: Signal<Option<MergeResult>> = Signal::derive(move || merge.value().get().and_then(Result::ok));

    let radio = move |group: String, id: i64, label: String, selected: Signal<bool>, pick: Callback<i64>| {
        view! {
            <label class="merge-option" class:chosen=move || selected.get()>
                <input type="radio" name=group value=id.to_string() checked=move || selected.get() prop:checked=move || selected.get()
                    on:change=move |_| pick.run(id)/>
                <span class="merge-value">{if label.trim().is_empty() { "—".to_string() } else { label }}</span>
            </label>
        }
        .into_any()
    };
    let field_rows = differing
        .into_iter()
        .map(|field| {
            let f = field.name();
            let label = field_label(l, f).unwrap_or(f);
            let options = contacts.with_value(|cs| {
                cs.iter()
                    .map(|c| {
                        let id = c.id;
                        let selected = Signal::derive(move || picks.with(|p| p.get(f) == Some(&id)));
                        let pick = Callback::new(move |id: i64| {
                            picks.update(|p| {
                                p.insert(f.to_string(), id);
                            })
                        });
                        radio(format!("field-{f}"), id, field.of(c).to_string(), selected, pick)
                    })
                    .collect_view()
            });
            view! {
                <div class="merge-field" data-field=f>
                    <div class="merge-label">{label}</div>
                    <div class="merge-options">{options}</div>
                </div>
            }
            .into_any()
        })
        .collect_view()
        .into_any();
    let list_row = move |what: &'static str,
                         keep_all: RwSignal<bool>,
                         from: RwSignal<i64>,
                         of: fn(&Contact) -> String| {
        let options = contacts.with_value(|cs| {
            cs.iter()
                .map(|c| {
                    let id = c.id;
                    let selected = Signal::derive(move || !keep_all.get() && from.get() == id);
                    let pick = Callback::new(move |id: i64| {
                        keep_all.set(false);
                        from.set(id);
                    });
                    radio(format!("field-{what}"), id, of(c), selected, pick)
                })
                .collect_view()
        });
        view! {
            <div class="merge-field" data-field=what>
                <div class="merge-label">{if what == "phones" { t_string!(i18n, field.phones) } else { t_string!(i18n, field.emails) }}</div>
                <div class="merge-options">
                    <label class="merge-option" class:chosen=move || keep_all.get()>
                        <input type="radio" name=format!("field-{what}") value="all" checked=move || keep_all.get() prop:checked=move || keep_all.get()
                            on:change=move |_| keep_all.set(true)/>
                        <span class="merge-value">{if what == "phones" { t_string!(i18n, merge.keep_all_phones) } else { t_string!(i18n, merge.keep_all_emails) }}</span>
                    </label>
                    {options}
                </div>
            </div>
        }
        .into_any()
    };
    let records = contacts
        .with_value(|cs| {
            cs.iter()
                .map(|c| {
                    let id = c.id;
                    let selected = Signal::derive(move || survivor.get() == id);
                    let pick = Callback::new(move |id: i64| survivor.set(id));
                    let company = if c.company.is_empty() || c.full_name.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", c.company)
                    };
                    let label = format!("#{} {}{company}", c.sequence_number, display_name(c));
                    radio("survivor".into(), id, label, selected, pick)
                })
                .collect_view()
        })
        .into_any();
    let phones_row = list_row("phones", keep_all_phones, phones_from, phones_of);
    let emails_row = list_row("emails", keep_all_emails, emails_from, emails_of);
    let editor = view! {
            <section class="card merge-editor">
                <div class="merge-field merge-records" data-field="survivor">
                    <div class="merge-label">{t!(i18n, merge.keep_record)}</div>
                    <div class="merge-options">
                        {records}
                    </div>
                </div>
                {field_rows}
                {phones_row}
                {emails_row}
                {(!same.is_empty()).then(|| view! { <p class="small muted">{t!(i18n, merge.same)}{same.join(" · ")}</p> })}
                <p class="small muted">{t!(i18n, merge.moves)}</p>
                <ErrorBox error=error/>
                <div class="form-actions">
                    <button on:click=move |_| { preview.dispatch(build(true)); } disabled=move || preview.pending().get()>{t!(i18n, merge.preview)}</button>
                    <button class="primary" on:click=move |_| { merge.dispatch(build(false)); } disabled=move || merge.pending().get()>
                        {move || if merge.pending().get() { t_string!(i18n, merge.merging) } else { t_string!(i18n, merge.merge) }}
                    </button>
                </div>
            </section>
    }
    .into_any();
    view! {
        {move || done.get().map(|r| {
            let others = contacts.with_value(|cs| {
                cs.iter().filter(|c| c.id != r.survivor.id).map(|c| (c.id, display_name(c))).collect::<Vec<_>>()
            });
            view! { <MergeDone r=r others=others undo=undo error=error/> }.into_any()
        })}
        <div class="merge-editor-wrap" style:display=move || if done.get().is_some() { "none" } else { "block" }>
            {editor}
            {move || preview.value().get().and_then(Result::ok).map(|r| view! { <MergePreview c=r.survivor/> }.into_any())}
        </div>
    }
    .into_any()
}

/// After a merge: a link to the survivor and Undo (then links to every record again).
#[component]
fn MergeDone(
    r: MergeResult,
    others: Vec<(i64, String)>,
    undo: Action<i64, Result<ContactMerges, ServerFnError>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let href = format!("/contacts/{}", r.survivor.id);
    let merge_id = r.merge_id.unwrap_or_default();
    let name = display_name(&r.survivor);
    let count = r.merged_ids.len();
    let undone = Signal::derive(move || matches!(undo.value().get(), Some(Ok(_))));
    let i18n = use_i18n();
    view! {
        <section class="card merge-done">
            {move || {
                let (href, href2, name) = (href.clone(), href.clone(), name.clone());
                if undone.get() {
                let links = others
                    .iter()
                    .map(|(id, n)| {
                        let n = n.clone();
                        view! { " · "<A href=format!("/contacts/{id}")>{n}</A> }
                    })
                    .collect_view();
                view! {
                    <p class="notice">{t!(i18n, merge.undone)}</p>
                    <p><A href=href>{name}</A>{links}</p>
                }.into_any()
            } else {
                view! {
                    <p class="notice">{fill_in(t_string!(i18n, merge.merged_into), &[("count", &count)])}
                        <A href=href><strong>{name}</strong></A>"."</p>
                    <div class="form-actions">
                        <A href=href2 attr:class="button primary">{t!(i18n, merge.open_merged)}</A>
                        <button on:click=move |_| { undo.dispatch(merge_id); } disabled=move || undo.pending().get()>{t!(i18n, merge.undo)}</button>
                    </div>
                }.into_any()
            }}}
            <ErrorBox error=error/>
        </section>
    }
}

#[component]
fn MergePreview(c: Contact) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let row = |label: &'static str, value: String| {
        (!value.is_empty()).then(|| view! { <div class="detail"><dt>{label}</dt><dd>{value}</dd></div> })
    };
    view! {
        <section class="card details merge-preview">
            <h2>{t!(i18n, merge.after)}</h2>
            <dl>
                {row(td_string!(l, field.name), c.full_name.clone())}
                {row(td_string!(l, field.company), c.company.clone())}
                {row(td_string!(l, field.position), c.position.clone())}
                {row(td_string!(l, field.department), c.department.clone())}
                {row(td_string!(l, field.phones), phones_of(&c))}
                {row(td_string!(l, field.emails), emails_of(&c))}
                {row(td_string!(l, field.website), c.website.clone())}
                {row(td_string!(l, field.address), c.address.clone())}
                {row(td_string!(l, field.tags), c.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", "))}
                {row(td_string!(l, field.groups), c.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>().join(", "))}
                {row(td_string!(l, field.notes), c.notes.clone())}
            </dl>
        </section>
    }
}

/// On a contact's page: what it was merged into, and the merges it took part in, with Undo.
/// `on_undone` runs after an undo succeeds: every field of the contact may have changed back, so
/// the page reads what it shows again (in place: no page load).
#[component]
pub fn MergeHistory(contact_id: i64, on_undone: Callback<()>) -> impl IntoView {
    // Loaded in the browser only (no async content to hydrate).
    let merges = LocalResource::new(move || api::contact_merges(contact_id));
    let undo = Action::new(|id: &i64| api::undo_merge(*id));
    Effect::new(move |_| {
        if let Some(Ok(_)) = undo.value().get() {
            merges.refetch();
            on_undone.run(());
        }
    });
    let error = Signal::derive(move || undo.value().get().and_then(Result::err).map(|e| error_text(&e)));
    let i18n = use_i18n();
    view! {
        {move || merges.get().and_then(Result::ok).map(|m| {
                let into = m.merged_into.clone().map(|s| view! {
                    <div class="notice merged-into">{t!(i18n, merge.this_merged_into)}
                        <A href=format!("/contacts/{}", s.id)><strong>{s.full_name.clone()}</strong></A>
                        {(!s.company.is_empty()).then(|| format!(", {}", s.company))}
                        {t!(i18n, merge.kept_for_undo)}</div>
                });
                let list = (!m.merges.is_empty()).then(|| view! {
                    <section class="card merges">
                        <h2>{t!(i18n, merge.merges)}</h2>
                        <ul class="merge-list">
                            {m.merges.into_iter().map(|r| {
                                let id = r.id;
                                let others = r.merged_ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ");
                                let what = if r.survivor_id == contact_id {
                                    fill_in(t_string!(i18n, merge.into_this), &[("others", &others)])
                                } else {
                                    fill_in(t_string!(i18n, merge.into_other), &[("id", &r.survivor_id)])
                                };
                                view! {
                                    <li data-merge=id>
                                        <span>{what}</span>
                                        <span class="muted small">{format!(" · {} · {}", r.user.clone().unwrap_or_else(|| t_string!(i18n, common.system).to_string()), crate::components::when(&r.created_at))}</span>
                                        {match (r.undone_at, r.can_undo) {
                                            (Some(at), _) => view! { <span class="badge">{fill_in(t_string!(i18n, merge.undone_at), &[("at", &crate::components::when(&at))])}</span> }.into_any(),
                                            (None, true) => view! {
                                                <button class="small-button" on:click=move |_| { undo.dispatch(id); } disabled=move || undo.pending().get()>{t!(i18n, merge.undo)}</button>
                                            }.into_any(),
                                            (None, false) => view! { <span class="muted small">{fill_in(t_string!(i18n, merge.cannot_undo), &[("why", &r.undo_blocked.clone().unwrap_or_default())])}</span> }.into_any(),
                                        }}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <ErrorBox error=error/>
                    </section>
                });
                view! { {into}{list} }
            })}
    }
}

/// The editor's warning while a new contact is typed: the existing contacts it looks like, with
/// open · merge · save anyway. `draft` is `None` while there is nothing to check.
#[component]
pub fn DuplicateWarning(
    #[prop(into)] draft: Signal<Option<ContactInput>>,
    /// Save the draft, then merge it with this contact.
    on_merge: Callback<i64>,
    /// Save the draft as it is.
    on_save: Callback<()>,
) -> impl IntoView {
    let check = Action::new(|d: &ContactInput| {
        api::check_duplicates(CheckDuplicatesInput { draft: d.clone(), exclude_id: None })
    });
    let generation = StoredValue::new(0u64);
    let dismissed = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(d) = draft.get() else {
            check.value().set(None);
            return;
        };
        dismissed.set(false);
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        set_timeout(
            move || {
                // The editor may be gone by now (a stack moves on to its next card): then nothing.
                if generation.try_get_value() == Some(mine) {
                    check.dispatch(d);
                }
            },
            Duration::from_millis(350),
        );
    });
    let i18n = use_i18n();
    let candidates: Signal<Vec<DuplicateCandidate>> =
        Signal::derive(move || check.value().get().and_then(Result::ok).unwrap_or_default());
    view! {
        {move || {
            let list = candidates.get();
            (!list.is_empty() && !dismissed.get()).then(|| view! {
                <div class="dup-warning" role="status">
                    {list.into_iter().take(3).map(|c| {
                        let s = c.contact;
                        let id = s.id;
                        let mut parts = vec![s.full_name.clone()];
                        parts.extend([s.company.clone(), s.phone.clone().unwrap_or_default(), s.email.clone().unwrap_or_default()]
                            .into_iter().filter(|p| !p.is_empty()));
                        view! {
                            <div class="dup-candidate" data-candidate=id>
                                <span>{t!(i18n, merge.looks_like)}<strong>{parts.join(", ")}</strong>
                                    <span class="muted small">{fill_in(t_string!(i18n, merge.match_pct), &[("percent", &format!("{:.0}", c.score * 100.0))])}</span>": "</span>
                                <span class="dup-actions">
                                    <a href=format!("/contacts/{id}") target="_blank">{t!(i18n, merge.open)}</a>" · "
                                    <button type="button" class="link-button" on:click=move |_| on_merge.run(id)>{t!(i18n, merge.merge_link)}</button>" · "
                                    <button type="button" class="link-button" on:click=move |_| { on_save.run(()); dismissed.set(true); }>{t!(i18n, merge.save_anyway)}</button>
                                </span>
                            </div>
                        }
                    }).collect_view()}
                </div>
            })
        }}
    }
}
