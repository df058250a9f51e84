//! Managing tags (name, colour) and groups (name, description).

use crate::api::{self, error_text};
use crate::components::{encode, ErrorBox};
use crate::lang::{count_text, t, t_string, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;
use service::dto::{Group, GroupInput, Tag, TagInput};

#[component]
pub fn LabelsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="toolbar"><h1>{t!(i18n, nav.labels)}</h1></div>
        <div class="two-columns">
            <TagsCard/>
            <GroupsCard/>
        </div>
    }
}

#[component]
fn TagsCard() -> impl IntoView {
    let tags = Resource::new(|| (), |_| api::list_tags());
    let save = Action::new(|(id, input): &(Option<i64>, TagInput)| api::save_tag(*id, input.clone()));
    let delete = Action::new(|id: &i64| api::delete_tag(*id));
    Effect::new(move |_| {
        if save.version().get() + delete.version().get() > 0 {
            tags.refetch();
        }
    });
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(|e| error_text(&e))
    });
    let name = RwSignal::new(String::new());
    let color = RwSignal::new("#2563eb".to_string());
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t!(i18n, field.tags)}</h2>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch((None, TagInput { name: name.get_untracked(), color: color.get_untracked() }));
                name.set(String::new());
            }>
                <input placeholder=t_string!(i18n, labels.new_tag) aria-label=t_string!(i18n, labels.new_tag_name) bind:value=name required/>
                <input type="color" aria-label=t_string!(i18n, labels.colour) bind:value=color/>
                <button type="submit" class="primary">{t!(i18n, common.add)}</button>
            </form>
            <ErrorBox error=error/>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || tags.get().map(|r| match r {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t!(i18n, labels.no_tags)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="label-list">
                            {list.into_iter().map(|t| view! { <TagRow t=t save=save delete=delete/> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TagRow(
    t: Tag,
    save: Action<(Option<i64>, TagInput), Result<Tag, ServerFnError>>,
    delete: Action<i64, Result<(), ServerFnError>>,
) -> impl IntoView {
    let name = RwSignal::new(t.name.clone());
    let color = RwSignal::new(t.color.clone());
    let id = t.id;
    let i18n = use_i18n();
    view! {
        <li>
            <input type="color" aria-label=t_string!(i18n, labels.colour) bind:value=color/>
            <input aria-label=t_string!(i18n, labels.tag_name) bind:value=name/>
            <A href=format!("/?tag={}", encode(&t.name)) attr:class="muted small">{count_text!(i18n, t.contacts, contacts_one, contacts_few, contacts_many)}</A>
            <button on:click=move |_| { save.dispatch((Some(id), TagInput { name: name.get_untracked(), color: color.get_untracked() })); }>{t!(i18n, common.save)}</button>
            <button class="danger" on:click=move |_| { delete.dispatch(id); }>{t!(i18n, common.delete)}</button>
        </li>
    }
}

#[component]
fn GroupsCard() -> impl IntoView {
    let groups = Resource::new(|| (), |_| api::list_groups());
    let save = Action::new(|(id, input): &(Option<i64>, GroupInput)| api::save_group(*id, input.clone()));
    let delete = Action::new(|id: &i64| api::delete_group(*id));
    Effect::new(move |_| {
        if save.version().get() + delete.version().get() > 0 {
            groups.refetch();
        }
    });
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(|e| error_text(&e))
    });
    let name = RwSignal::new(String::new());
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t!(i18n, field.groups)}</h2>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch((None, GroupInput { name: name.get_untracked(), description: String::new() }));
                name.set(String::new());
            }>
                <input placeholder=t_string!(i18n, labels.new_group) aria-label=t_string!(i18n, labels.new_group_name) bind:value=name required/>
                <button type="submit" class="primary">{t!(i18n, common.add)}</button>
            </form>
            <ErrorBox error=error/>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || groups.get().map(|r| match r {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t!(i18n, labels.no_groups)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="label-list">
                            {list.into_iter().map(|g| view! { <GroupRow g=g save=save delete=delete/> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn GroupRow(
    g: Group,
    save: Action<(Option<i64>, GroupInput), Result<Group, ServerFnError>>,
    delete: Action<i64, Result<(), ServerFnError>>,
) -> impl IntoView {
    let name = RwSignal::new(g.name.clone());
    let description = RwSignal::new(g.description.clone());
    let id = g.id;
    let i18n = use_i18n();
    view! {
        <li>
            <input aria-label=t_string!(i18n, labels.group_name) bind:value=name/>
            <input aria-label=t_string!(i18n, labels.description) placeholder=t_string!(i18n, labels.description) bind:value=description/>
            <A href=format!("/?group={}", encode(&g.name)) attr:class="muted small">{count_text!(i18n, g.contacts, contacts_one, contacts_few, contacts_many)}</A>
            <button on:click=move |_| { save.dispatch((Some(id), GroupInput { name: name.get_untracked(), description: description.get_untracked() })); }>{t!(i18n, common.save)}</button>
            <button class="danger" on:click=move |_| { delete.dispatch(id); }>{t!(i18n, common.delete)}</button>
        </li>
    }
}
