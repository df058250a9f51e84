//! Sign-in and self-registration.

use crate::api::{self, error_text};
use crate::components::{hard_navigate, ErrorBox};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<api::Login>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_else(|| "/".into());
    let error = Signal::derive(move || match login.value().get() {
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = login.value().get() {
            hard_navigate(&next());
        }
    });
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1 class="brand-title"><span class="brand-mark">"◧"</span>" cardcrm"</h1>
                <p class="muted">"Sign in to your team's business-card CRM."</p>
                <ActionForm action=login>
                    <input type="hidden" name="next" prop:value=next/>
                    <label>"Username or e-mail"
                        <input name="username" autocomplete="username" required autofocus/>
                    </label>
                    <label>"Password"
                        <input name="password" type="password" autocomplete="current-password" required/>
                    </label>
                    <ErrorBox error=error/>
                    <button type="submit" class="primary wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="muted small">"No account yet? "<A href="/register">"Request one"</A></p>
            </div>
        </main>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<api::Register>::new();
    let error = Signal::derive(move || match register.value().get() {
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    });
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1 class="brand-title"><span class="brand-mark">"◧"</span>" cardcrm"</h1>
                <Show
                    when=move || matches!(register.value().get(), Some(Ok(_)))
                    fallback=move || view! {
                        <p class="muted">"Request an account. An administrator activates it before you can sign in."</p>
                        <ActionForm action=register>
                            <label>"Username"<input name="username" autocomplete="username" required minlength="3"/></label>
                            <label>"E-mail"<input name="email" type="email" autocomplete="email" required/></label>
                            <label>"Password (at least 10 characters)"
                                <input name="password" type="password" autocomplete="new-password" required minlength="10"/>
                            </label>
                            <ErrorBox error=error/>
                            <button type="submit" class="primary wide" disabled=move || register.pending().get()>"Request account"</button>
                        </ActionForm>
                    }
                >
                    <div class="notice">"Your account was created. An administrator must activate it before you can sign in."</div>
                </Show>
                <p class="muted small"><A href="/login">"Back to sign in"</A></p>
            </div>
        </main>
    }
}
