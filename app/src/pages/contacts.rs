//! The contact table (search, filters, sorting, pagination, chosen columns) and the trash.

use crate::api::{self, error_text};
use crate::components::{encode, when, Pager, TagChip};
use crate::lang::{count_text, field_label, fill_in, t, t_string, use_i18n, I18n, Locale};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use service::dto::{Contact, ContactField, ContactQuery, CONTACT_COLUMNS};

const PAGE_SIZE: u64 = 25;

fn column_label(l: Locale, c: &str) -> &'static str {
    use crate::lang::td_string;
    match c {
        "name" => td_string!(l, field.name),
        "tags" => td_string!(l, field.tags),
        "groups" => td_string!(l, field.groups),
        "updated_at" => td_string!(l, field.updated),
        // A contact field: company, position, department, email, phone.
        field => field_label(l, field).unwrap_or(""),
    }
}

/// The sort key a column header sorts by, when it is sortable.
fn sort_key(c: &str) -> Option<&'static str> {
    match c {
        "name" => Some("name"),
        "company" => Some("company"),
        "updated_at" => Some("updated_at"),
        _ => None,
    }
}

fn cell(i18n: I18n, c: &Contact, column: &str) -> AnyView {
    match column {
        "name" => {
            let href = format!("/contacts/{}", c.id);
            let name = if c.full_name.is_empty() {
                t_string!(i18n, contacts.no_name).to_string()
            } else {
                c.full_name.clone()
            };
            // A small avatar when the contact has a photo (decorative: the name follows).
            let photo = c.has_photo.then(|| {
                let src = format!("/api/v1/contacts/{}/photo?v={}", c.id, c.updated_at.timestamp_millis());
                view! { <img class="avatar avatar-sm" src=src alt="" loading="lazy" width="28" height="28"/> }
            });
            view! { {photo}<A href=href attr:class="contact-name">{name}</A> }.into_any()
        }
        "email" => c
            .emails
            .first()
            .map(|e| view! { <a href=format!("mailto:{}", e.address)>{e.address.clone()}</a> }.into_any())
            .unwrap_or_else(|| ().into_any()),
        "phone" => c
            .phones
            .first()
            .map(|p| {
                let href = format!("tel:{}", p.e164.clone().unwrap_or_else(|| p.number.clone()));
                view! { <a href=href>{p.number.clone()}</a> }.into_any()
            })
            .unwrap_or_else(|| ().into_any()),
        "tags" => c.tags.iter().cloned().map(|t| view! { <TagChip tag=t/> }).collect_view().into_any(),
        "groups" => c.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>().join(", ").into_any(),
        "updated_at" => when(&c.updated_at).into_any(),
        // A text field: company, position, department.
        field => match ContactField::parse(field) {
            Some(f) => f.of(c).to_string().into_any(),
            None => ().into_any(),
        },
    }
}

/// The sorts a phone chooses from (its list has no column headers): (sort, order).
const SORT_CHOICES: [(&str, &str); 6] = [
    ("updated_at", "desc"),
    ("updated_at", "asc"),
    ("name", "asc"),
    ("name", "desc"),
    ("company", "asc"),
    ("company", "desc"),
];

/// The query parameters that say which page of the list is shown.
const PAGING: [&str; 3] = ["page", "after", "before"];

/// The contact list's pager: first, previous, next and last. Previous and next follow the
/// cursors the page came with, so paging on through a million contacts stays as fast as the
/// first page (a page number makes the database walk past every row before it); the last page
/// is asked for by number, which the list reads from the far end of its index.
#[component]
fn ListPager(
    page: u64,
    pages: u64,
    previous: Option<String>,
    next: Option<String>,
    go: impl Fn(&'static str, Option<String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let pages = pages.max(1);
    let (has_previous, has_next) = (previous.is_some() || page > 1, next.is_some() || page < pages);
    let back = move || match previous.clone() {
        Some(c) => go("before", Some(c)),
        None => go("page", Some(page.saturating_sub(1).max(1).to_string())),
    };
    let on = move || match next.clone() {
        Some(c) => go("after", Some(c)),
        None => go("page", Some((page + 1).min(pages).to_string())),
    };
    view! {
        <nav class="pager" aria-label=t_string!(i18n, common.pages)>
            <button disabled=!has_previous on:click=move |_| go("page", None)>{t!(i18n, common.first)}</button>
            <button disabled=!has_previous on:click=move |_| back()>{t!(i18n, common.previous)}</button>
            <span>{fill_in(t_string!(i18n, common.page_of), &[("page", &page), ("pages", &pages)])}</span>
            <button disabled=!has_next on:click=move |_| on()>{t!(i18n, common.next)}</button>
            <button disabled=!has_next on:click=move |_| go("page", Some(pages.to_string()))>{t!(i18n, common.last)}</button>
        </nav>
    }
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let param = move |k: &str| query.with(|m| m.get(k)).filter(|v| !v.is_empty());
    let list_query = Memo::new(move |_| ContactQuery {
        page: param("page").and_then(|p| p.parse().ok()),
        limit: Some(PAGE_SIZE),
        q: param("q"),
        tag: param("tag"),
        group: param("group"),
        company: param("company"),
        sort: param("sort"),
        order: param("order"),
        trash: None,
        after: param("after"),
        before: param("before"),
    });
    let contacts = Resource::new(move || list_query.get(), api::list_contacts);
    let tags = Resource::new(|| (), |_| api::list_tags());
    let groups = Resource::new(|| (), |_| api::list_groups());
    let columns = Resource::new(|| (), |_| api::get_columns());
    let chosen = RwSignal::new(service::dto::default_columns());
    Effect::new(move |_| {
        if let Some(Ok(cols)) = columns.get() {
            chosen.set(cols);
        }
    });
    let save_columns = Action::new(|cols: &Vec<String>| api::set_columns(cols.clone()));

    // Replaces some query parameters and goes back to the first page unless the change is a
    // move to another page (by number, or by a cursor from the list: `after`, `before`), which
    // replaces the other paging parameters.
    let set_params = move |changes: Vec<(&'static str, Option<String>)>| {
        let mut pairs: Vec<(String, String)> = query.with_untracked(|m| {
            ["q", "tag", "group", "company", "sort", "order", "page", "after", "before"]
                .iter()
                .filter_map(|k| m.get(k).map(|v| (k.to_string(), v)))
                .collect()
        });
        pairs.retain(|(k, _)| !PAGING.contains(&k.as_str()));
        for (k, v) in changes {
            pairs.retain(|(pk, _)| pk != k);
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                pairs.push((k.to_string(), v));
            }
        }
        let qs = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&");
        navigate(
            &if qs.is_empty() { "/".to_string() } else { format!("/?{qs}") },
            NavigateOptions { replace: true, scroll: false, ..Default::default() },
        );
    };
    let set_params = StoredValue::new(set_params);
    let set = move |k: &'static str, v: Option<String>| set_params.with_value(|f| f(vec![(k, v)]));

    let sort_by = move |key: &'static str| {
        let current = param("sort");
        let order = param("order");
        let next_order =
            if current.as_deref() == Some(key) && order.as_deref() != Some("desc") { "desc" } else { "asc" };
        set_params.with_value(|f| f(vec![("sort", Some(key.to_string())), ("order", Some(next_order.to_string()))]));
    };

    let toggle_column = move |col: &'static str, on: bool| {
        chosen.update(|cols| {
            if on && !cols.iter().any(|c| c == col) {
                cols.push(col.to_string());
                cols.sort_by_key(|c| CONTACT_COLUMNS.iter().position(|x| x == c));
            } else if !on && cols.len() > 1 {
                cols.retain(|c| c != col);
            }
        });
        save_columns.dispatch(chosen.get_untracked());
    };

    view! {
        <div class="toolbar">
            <h1>{t!(i18n, nav.contacts)}</h1>
            <div class="toolbar-actions">
                <details class="export-menu">
                    <summary class="button">{t!(i18n, imports.export)}</summary>
                    <div class="menu">
                        <crate::pages::imports::ExportLinks query=Signal::derive(move || {
                            ["q", "tag", "group", "company"]
                                .iter()
                                .filter_map(|k| param(k).map(|v| format!("&{k}={}", encode(&v))))
                                .collect::<String>()
                        })/>
                    </div>
                </details>
                <A href="/imports" attr:class="button">{t!(i18n, nav.imports)}</A>
                <A href="/contacts/new" attr:class="button primary">{t!(i18n, contacts.new_contact)}</A>
            </div>
        </div>
        <div class="filters">
            <input
                type="search"
                class="search"
                placeholder=t_string!(i18n, contacts.search_placeholder)
                aria-label=t_string!(i18n, contacts.search_label)
                prop:value=move || param("q").unwrap_or_default()
                on:input=move |ev| set("q", Some(event_target_value(&ev)))
            />
            <select aria-label=t_string!(i18n, contacts.tag) on:change=move |ev| set("tag", Some(event_target_value(&ev)))>
                <option value="">{t!(i18n, contacts.all_tags)}</option>
                <Transition>
                    {move || tags.get().and_then(Result::ok).map(|ts| ts.into_iter().map(|t| {
                        let selected = param("tag").as_deref() == Some(t.name.as_str());
                        view! { <option value=t.name.clone() selected=selected>{t.name.clone()}</option> }
                    }).collect_view())}
                </Transition>
            </select>
            <select aria-label=t_string!(i18n, contacts.group) on:change=move |ev| set("group", Some(event_target_value(&ev)))>
                <option value="">{t!(i18n, contacts.all_groups)}</option>
                <Transition>
                    {move || groups.get().and_then(Result::ok).map(|gs| gs.into_iter().map(|g| {
                        let selected = param("group").as_deref() == Some(g.name.as_str());
                        view! { <option value=g.name.clone() selected=selected>{g.name.clone()}</option> }
                    }).collect_view())}
                </Transition>
            </select>
            <input
                type="text"
                placeholder=t_string!(i18n, field.company)
                aria-label=t_string!(i18n, field.company)
                prop:value=move || param("company").unwrap_or_default()
                on:change=move |ev| set("company", Some(event_target_value(&ev)))
            />
            <select
                class="sort-select"
                aria-label=t_string!(i18n, contacts.sort_by)
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let (s, o) = v.split_once(':').unwrap_or(("updated_at", "desc"));
                    set_params.with_value(|f| f(vec![("sort", Some(s.to_string())), ("order", Some(o.to_string()))]));
                }
            >
                {SORT_CHOICES.iter().map(|&(s, o)| {
                    let chosen_now = move || {
                        let sort = param("sort").unwrap_or_else(|| "updated_at".to_string());
                        let order = param("order")
                            .unwrap_or_else(|| if sort == "updated_at" { "desc" } else { "asc" }.to_string());
                        sort == s && order == o
                    };
                    let arrow = if o == "desc" { " ↓" } else { " ↑" };
                    view! { <option value=format!("{s}:{o}") selected=chosen_now>{column_label(locale, s)}{arrow}</option> }
                }).collect_view()}
            </select>
            <details class="columns-menu">
                <summary>{t!(i18n, contacts.columns)}</summary>
                <div class="menu">
                    {CONTACT_COLUMNS.iter().map(|col| {
                        let col: &'static str = col;
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || chosen.get().iter().any(|c| c == col)
                                    on:change=move |ev| toggle_column(col, event_target_checked(&ev))
                                />
                                {column_label(locale, col)}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </details>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, contacts.loading)}</p> }>
            {move || contacts.get().map(|res| match res {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(page) if page.items.is_empty() => view! {
                    <div class="empty">
                        <p>{t!(i18n, contacts.none_found)}</p>
                        <A href="/contacts/new" attr:class="button">{t!(i18n, contacts.add_first)}</A>
                    </div>
                }.into_any(),
                Ok(page) => {
                    let cols = chosen.get();
                    let header_cols = cols.clone();
                    let (p, pages, total) = (page.page, page.pages, page.total);
                    let (previous, next) = (page.previous.clone(), page.next.clone());
                    view! {
                        <p class="muted small result-count">{count_text!(i18n, total, contacts_one, contacts_few, contacts_many)}</p>
                        <table class="contacts">
                            <thead><tr>
                                {header_cols.into_iter().map(|c| {
                                    let label = column_label(locale, &c);
                                    match sort_key(&c) {
                                        Some(key) => {
                                            let arrow = move || match (param("sort").as_deref() == Some(key), param("order").as_deref()) {
                                                (true, Some("desc")) => " ↓",
                                                (true, _) => " ↑",
                                                _ => "",
                                            };
                                            view! { <th><button class="sort" on:click=move |_| sort_by(key)>{label}{arrow}</button></th> }.into_any()
                                        }
                                        None => view! { <th>{label}</th> }.into_any(),
                                    }
                                }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|c| {
                                    let cols = cols.clone();
                                    view! {
                                        <tr>
                                            {cols.iter().map(|col| view! { <td data-label=column_label(locale, col)>{cell(i18n, &c, col)}</td> }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <ListPager page=p pages=pages previous=previous next=next go=move |k, v| set(k, v)/>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let page = RwSignal::new(1u64);
    let contacts = Resource::new(
        move || page.get(),
        |p| {
            api::list_contacts(ContactQuery {
                page: Some(p),
                limit: Some(PAGE_SIZE),
                trash: Some(true),
                ..Default::default()
            })
        },
    );
    let restore = Action::new(|id: &i64| api::restore_contact(*id));
    Effect::new(move |_| {
        if restore.version().get() > 0 {
            contacts.refetch();
        }
    });
    let i18n = use_i18n();
    let (name, company, deleted) =
        (t_string!(i18n, field.name), t_string!(i18n, field.company), t_string!(i18n, contacts.deleted));
    view! {
        <div class="toolbar"><h1>{t!(i18n, nav.trash)}</h1></div>
        <p class="muted">{t!(i18n, contacts.trash_intro)}</p>
        {move || restore.value().get().and_then(Result::err).map(|e| view! { <div class="error">{error_text(&e)}</div> })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || contacts.get().map(|res| match res {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <div class="empty"><p>{t!(i18n, contacts.trash_empty)}</p></div> }.into_any(),
                Ok(p) => view! {
                    <table class="contacts">
                        <thead><tr><th>{name}</th><th>{company}</th><th>{deleted}</th><th></th></tr></thead>
                        <tbody>
                            {p.items.into_iter().map(|c| {
                                let id = c.id;
                                view! {
                                    <tr>
                                        <td data-label=name><A href=format!("/contacts/{id}")>{c.full_name.clone()}</A></td>
                                        <td data-label=company>{c.company.clone()}</td>
                                        <td data-label=deleted>{c.deleted_at.as_ref().map(when)}</td>
                                        <td><button on:click=move |_| { restore.dispatch(id); }>{t!(i18n, common.restore)}</button></td>
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
