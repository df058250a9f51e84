//! User administration: activate new accounts, deactivate, grant or remove the admin role.

use crate::api::{self, error_text};
use crate::components::{when, ErrorBox};
use leptos::prelude::*;
use service::dto::UserPatch;

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| api::list_users());
    let patch = Action::new(|(id, p): &(i64, UserPatch)| api::patch_user(*id, p.clone()));
    Effect::new(move |_| {
        if patch.version().get() > 0 {
            users.refetch();
        }
    });
    let error = Signal::derive(move || patch.value().get().and_then(Result::err).map(|e| error_text(&e)));
    view! {
        <div class="toolbar"><h1>"Users"</h1></div>
        <p class="muted">"New accounts stay inactive until you activate them."</p>
        <ErrorBox error=error/>
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
