//! The Duplicates page: stored pairs of contacts that look like the same person, side by side
//! with the score and the fields that matched, to mark reviewed or ignore (an ignored pair
//! never comes back). Filterable by status.

use crate::api::{self, error_text};
use crate::components::ErrorBox;
use leptos::prelude::*;
use leptos_router::components::A;
use service::dto::{Contact, DuplicateQuery, MatchField, DUPLICATE_STATUSES};

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

fn evidence(fields: &[MatchField]) -> String {
    fields.iter().filter(|f| f.weight > 0.0).map(|f| f.field.clone()).collect::<Vec<_>>().join(", ")
}

#[component]
pub fn DuplicatesPage() -> impl IntoView {
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
    view! {
        <div class="toolbar">
            <h1>"Duplicates"</h1>
            <label>
                "Status "
                <select on:change=move |ev| { status.set(event_target_value(&ev)); page.set(1); } prop:value=move || status.get()>
                    {DUPLICATE_STATUSES.iter().map(|s| view! { <option value=*s>{*s}</option> }).collect_view()}
                </select>
            </label>
        </div>
        <ErrorBox error=error/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || pairs.get().map(|res| match res {
                Err(e) => view! { <div class="error">{error_text(&e)}</div> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <div class="empty"><p>"No pairs with this status."</p></div> }.into_any(),
                Ok(p) => view! {
                    <table class="contacts duplicates">
                        <thead><tr><th>"Contact"</th><th>"Looks like"</th><th>"Score"</th><th>"Matched"</th><th></th></tr></thead>
                        <tbody>
                            {p.items.into_iter().map(|d| {
                                let id = d.id;
                                let pending = d.status == "pending";
                                view! {
                                    <tr data-pair=id>
                                        <td data-label="Contact">{contact_card(d.a)}</td>
                                        <td data-label="Looks like">{contact_card(d.b)}</td>
                                        <td data-label="Score">{format!("{:.0}%", d.score * 100.0)}</td>
                                        <td data-label="Matched">{evidence(&d.match_fields)}</td>
                                        <td class="row-actions">
                                            {pending.then(|| view! {
                                                <button on:click=move |_| { set.dispatch((id, "reviewed".to_string())); }>"Reviewed"</button>
                                                <button on:click=move |_| { set.dispatch((id, "ignored".to_string())); }>"Ignore"</button>
                                            })}
                                            {(!pending).then(|| view! {
                                                <span class="badge">{d.status.clone()}</span>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <nav class="pager">
                        <button disabled={p.page <= 1} on:click=move |_| page.update(|x| *x -= 1)>"← Previous"</button>
                        <span>{format!("Page {} of {}", p.page, p.pages.max(1))}</span>
                        <button disabled={p.page >= p.pages} on:click=move |_| page.update(|x| *x += 1)>"Next →"</button>
                    </nav>
                }.into_any(),
            })}
        </Transition>
    }
}
