//! Managing tags (name, colour) and groups (name, description): one card per kind, the same
//! card for both ([`LabelsCard`]); a [`LabelKind`] says what differs.

use crate::api::{self, error_text};
use crate::components::{encode, ErrorBox};
use crate::lang::{count_text, t, t_string, use_i18n, I18n};
use leptos::prelude::*;
use leptos_router::components::A;
use serde::{de::DeserializeOwned, Serialize};
use service::dto::{Group, GroupInput, Tag, TagInput};
use std::future::Future;

#[component]
pub fn LabelsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="toolbar"><h1>{t!(i18n, nav.labels)}</h1></div>
        <div class="two-columns">
            <LabelsCard kind=Tags/>
            <LabelsCard kind=Groups/>
        </div>
    }
}

/// One kind of label as the card shows it: its server functions, its texts, and the inputs for
/// its second field (a tag's colour, a group's description).
trait LabelKind: Copy + Send + Sync + 'static {
    type Item: Clone + Send + Sync + Serialize + DeserializeOwned + 'static;
    type Input: Clone + Send + Sync + 'static;
    /// The contact list's filter for this kind (`/?tag=…`).
    const FILTER: &'static str;
    /// The second field of a label added with the card's form.
    const NEW_EXTRA: &'static str;
    fn list() -> impl Future<Output = Result<Vec<Self::Item>, ServerFnError>> + Send + 'static;
    fn save(
        id: Option<i64>,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Item, ServerFnError>> + Send + 'static;
    fn delete(id: i64) -> impl Future<Output = Result<(), ServerFnError>> + Send + 'static;
    fn input(name: String, extra: String) -> Self::Input;
    /// Id, name, second field, number of contacts.
    fn parts(item: &Self::Item) -> (i64, String, String, u64);
    fn heading(i18n: I18n) -> impl IntoView;
    /// What the card says when there is no label of this kind.
    fn none(i18n: I18n) -> impl IntoView;
    /// The form's inputs for a new label.
    fn new_inputs(i18n: I18n, name: RwSignal<String>, extra: RwSignal<String>) -> impl IntoView;
    /// A row's inputs for an existing label.
    fn row_inputs(i18n: I18n, name: RwSignal<String>, extra: RwSignal<String>) -> impl IntoView;
}

#[derive(Clone, Copy)]
struct Tags;

impl LabelKind for Tags {
    type Item = Tag;
    type Input = TagInput;
    const FILTER: &'static str = "tag";
    const NEW_EXTRA: &'static str = "#2563eb";

    fn list() -> impl Future<Output = Result<Vec<Tag>, ServerFnError>> + Send + 'static {
        api::list_tags()
    }
    fn save(id: Option<i64>, input: TagInput) -> impl Future<Output = Result<Tag, ServerFnError>> + Send + 'static {
        api::save_tag(id, input)
    }
    fn delete(id: i64) -> impl Future<Output = Result<(), ServerFnError>> + Send + 'static {
        api::delete_tag(id)
    }
    fn input(name: String, color: String) -> TagInput {
        TagInput { name, color }
    }
    fn parts(t: &Tag) -> (i64, String, String, u64) {
        (t.id, t.name.clone(), t.color.clone(), t.contacts)
    }
    fn heading(i18n: I18n) -> impl IntoView {
        t!(i18n, field.tags)
    }
    fn none(i18n: I18n) -> impl IntoView {
        t!(i18n, labels.no_tags)
    }
    fn new_inputs(i18n: I18n, name: RwSignal<String>, color: RwSignal<String>) -> impl IntoView {
        view! {
            <input placeholder=t_string!(i18n, labels.new_tag) aria-label=t_string!(i18n, labels.new_tag_name) bind:value=name required/>
            <input type="color" aria-label=t_string!(i18n, labels.colour) bind:value=color/>
        }
    }
    fn row_inputs(i18n: I18n, name: RwSignal<String>, color: RwSignal<String>) -> impl IntoView {
        view! {
            <input type="color" aria-label=t_string!(i18n, labels.colour) bind:value=color/>
            <input aria-label=t_string!(i18n, labels.tag_name) bind:value=name/>
        }
    }
}

#[derive(Clone, Copy)]
struct Groups;

impl LabelKind for Groups {
    type Item = Group;
    type Input = GroupInput;
    const FILTER: &'static str = "group";
    const NEW_EXTRA: &'static str = "";

    fn list() -> impl Future<Output = Result<Vec<Group>, ServerFnError>> + Send + 'static {
        api::list_groups()
    }
    fn save(id: Option<i64>, input: GroupInput) -> impl Future<Output = Result<Group, ServerFnError>> + Send + 'static {
        api::save_group(id, input)
    }
    fn delete(id: i64) -> impl Future<Output = Result<(), ServerFnError>> + Send + 'static {
        api::delete_group(id)
    }
    fn input(name: String, description: String) -> GroupInput {
        GroupInput { name, description }
    }
    fn parts(g: &Group) -> (i64, String, String, u64) {
        (g.id, g.name.clone(), g.description.clone(), g.contacts)
    }
    fn heading(i18n: I18n) -> impl IntoView {
        t!(i18n, field.groups)
    }
    fn none(i18n: I18n) -> impl IntoView {
        t!(i18n, labels.no_groups)
    }
    fn new_inputs(i18n: I18n, name: RwSignal<String>, _description: RwSignal<String>) -> impl IntoView {
        view! {
            <input placeholder=t_string!(i18n, labels.new_group) aria-label=t_string!(i18n, labels.new_group_name) bind:value=name required/>
        }
    }
    fn row_inputs(i18n: I18n, name: RwSignal<String>, description: RwSignal<String>) -> impl IntoView {
        view! {
            <input aria-label=t_string!(i18n, labels.group_name) bind:value=name/>
            <input aria-label=t_string!(i18n, labels.description) placeholder=t_string!(i18n, labels.description) bind:value=description/>
        }
    }
}

type Save<K> = Action<(Option<i64>, <K as LabelKind>::Input), Result<<K as LabelKind>::Item, ServerFnError>>;

/// The card of one kind of label (`kind` only picks the type): a form to add one, and a row per
/// label to rename it, change its second field or delete it.
#[component]
fn LabelsCard<K: LabelKind>(kind: K) -> impl IntoView {
    let labels = Resource::new(|| (), |_| K::list());
    let save: Save<K> = Action::new(|(id, input): &(Option<i64>, K::Input)| K::save(*id, input.clone()));
    let delete = Action::new(|id: &i64| K::delete(*id));
    Effect::new(move |_| {
        if save.version().get() + delete.version().get() > 0 {
            labels.refetch();
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
    let extra = RwSignal::new(K::NEW_EXTRA.to_string());
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{K::heading(i18n)}</h2>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch((None, K::input(name.get_untracked(), extra.get_untracked())));
                name.set(String::new());
            }>
                {K::new_inputs(i18n, name, extra)}
                <button type="submit" class="primary">{t!(i18n, common.add)}</button>
            </form>
            <ErrorBox error=error/>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || labels.get().map(|r| match r {
                    Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{K::none(i18n)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="label-list">
                            {list.into_iter().map(|item| view! { <LabelRow kind=kind item=item save=save delete=delete/> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LabelRow<K: LabelKind>(
    #[allow(unused)] kind: K,
    item: K::Item,
    save: Save<K>,
    delete: Action<i64, Result<(), ServerFnError>>,
) -> impl IntoView {
    let (id, label_name, label_extra, contacts) = K::parts(&item);
    let href = format!("/?{}={}", K::FILTER, encode(&label_name));
    let name = RwSignal::new(label_name);
    let extra = RwSignal::new(label_extra);
    let i18n = use_i18n();
    view! {
        <li>
            {K::row_inputs(i18n, name, extra)}
            <A href=href attr:class="muted small">{count_text!(i18n, contacts, contacts_one, contacts_few, contacts_many)}</A>
            <button on:click=move |_| { save.dispatch((Some(id), K::input(name.get_untracked(), extra.get_untracked()))); }>{t!(i18n, common.save)}</button>
            <button class="danger" on:click=move |_| { delete.dispatch(id); }>{t!(i18n, common.delete)}</button>
        </li>
    }
}
