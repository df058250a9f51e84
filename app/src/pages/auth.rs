//! Sign-in and self-registration.

use crate::api::{self, error_text};
use crate::components::{hard_navigate, ErrorBox};
use crate::lang::{t, use_i18n, LanguageSwitch};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<api::Login>::new();
    let i18n = use_i18n();
    let query = use_query_map();
    // Only a path on this site is followed after signing in (`crate::next`), here as on the server.
    let next = move || query.with(|q| crate::next::safe_next(q.get("next").as_deref()));
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
                <div class="auth-head">
                    <h1 class="brand-title"><span class="brand-mark">"◧"</span>" cardcrm"</h1>
                    <LanguageSwitch/>
                </div>
                <p class="muted">{t!(i18n, auth.tagline)}</p>
                <ActionForm action=login>
                    <input type="hidden" name="next" prop:value=next/>
                    <label>{t!(i18n, auth.username_or_email)}
                        <input name="username" autocomplete="username" required autofocus/>
                    </label>
                    <label>{t!(i18n, auth.password)}
                        <input name="password" type="password" autocomplete="current-password" required/>
                    </label>
                    <ErrorBox error=error/>
                    <button type="submit" class="primary wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { t!(i18n, auth.signing_in).into_any() } else { t!(i18n, auth.sign_in).into_any() }}
                    </button>
                </ActionForm>
                <p class="muted small">{t!(i18n, auth.no_account)}<A href="/register">{t!(i18n, auth.request_one)}</A></p>
            </div>
        </main>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<api::Register>::new();
    let i18n = use_i18n();
    let error = Signal::derive(move || match register.value().get() {
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    });
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <div class="auth-head">
                    <h1 class="brand-title"><span class="brand-mark">"◧"</span>" cardcrm"</h1>
                    <LanguageSwitch/>
                </div>
                <Show
                    when=move || matches!(register.value().get(), Some(Ok(_)))
                    fallback=move || view! {
                        <p class="muted">{t!(i18n, auth.register_intro)}</p>
                        <ActionForm action=register>
                            <label>{t!(i18n, auth.username)}<input name="username" autocomplete="username" required minlength="3"/></label>
                            <label>{t!(i18n, auth.email)}<input name="email" type="email" autocomplete="email" required/></label>
                            <label>{t!(i18n, auth.new_password)}
                                <input name="password" type="password" autocomplete="new-password" required minlength="10"/>
                            </label>
                            <ErrorBox error=error/>
                            <button type="submit" class="primary wide" disabled=move || register.pending().get()>{t!(i18n, auth.request_account)}</button>
                        </ActionForm>
                    }
                >
                    <div class="notice">{t!(i18n, auth.created)}</div>
                </Show>
                <p class="muted small"><A href="/login">{t!(i18n, auth.back_to_sign_in)}</A></p>
            </div>
        </main>
    }
}
