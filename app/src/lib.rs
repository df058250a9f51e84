//! The cardcrm web UI (Leptos, rendered on the server and hydrated in the browser): routes,
//! pages, components and the server functions they call.

pub mod api;
mod components;
#[cfg(feature = "hydrate")]
mod file_post;
mod lang;
pub mod next;
mod pages;
mod palette;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::path;
use service::dto::User;

use crate::lang::{t, t_string, use_i18n, I18nContextProvider, LanguageSwitch};

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        // `lang` is set by the i18n provider in `App` (the chosen locale).
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png"/>
                <script src="/pwa.js" defer></script>
                <script src="/ocr-device.js" defer></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The signed-in user as loaded once per page; `None` when signed out.
pub type UserResource = Resource<Result<Option<User>, ServerFnError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let user: UserResource = Resource::new(|| (), |_| api::current_user());
    provide_context(user);
    // Marks the page as interactive once hydrated (browser tests wait for it).
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <I18nContextProvider>
            <Link rel="icon" href="/favicon.svg"/>
            <Meta name="theme-color" content="#1d4ed8"/>
            <Title text="cardcrm"/>
            <Router>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/login") view=pages::auth::LoginPage/>
                    <Route path=path!("/register") view=pages::auth::RegisterPage/>
                    <Route path=path!("/") view=|| view! { <Protected><pages::contacts::ContactsPage/></Protected> }/>
                    <Route path=path!("/trash") view=|| view! { <Protected><pages::contacts::TrashPage/></Protected> }/>
                    <Route path=path!("/scan") view=|| view! { <Protected><pages::scan::ScanPage/></Protected> }/>
                    <Route path=path!("/contacts/new") view=|| view! { <Protected><pages::contact::NewContactPage/></Protected> }/>
                    <Route path=path!("/contacts/:id") view=|| view! { <Protected><pages::contact::ContactPage/></Protected> }/>
                    <Route path=path!("/duplicates") view=|| view! { <Protected><pages::duplicates::DuplicatesPage/></Protected> }/>
                    <Route path=path!("/duplicates/merge") view=|| view! { <Protected><pages::merge::MergePage/></Protected> }/>
                    <Route path=path!("/imports") view=|| view! { <Protected><pages::imports::ImportsPage/></Protected> }/>
                    <Route path=path!("/imports/:id") view=|| view! { <Protected><pages::imports::ImportPage/></Protected> }/>
                    <Route path=path!("/labels") view=|| view! { <Protected><pages::labels::LabelsPage/></Protected> }/>
                    <Route path=path!("/admin/users") view=|| view! { <Protected><pages::admin::UsersPage/></Protected> }/>
                    <Route path=path!("/admin/settings") view=|| view! { <Protected><pages::admin::SettingsPage/></Protected> }/>
                    <Route path=path!("/admin/audit") view=|| view! { <Protected><pages::admin::AuditPage/></Protected> }/>
                    <Route path=path!("/admin/status") view=|| view! { <Protected><pages::admin::StatusPage/></Protected> }/>
                    <Route path=path!("/profile") view=|| view! { <Protected><pages::profile::ProfilePage/></Protected> }/>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}

/// Renders its children for a signed-in user, with the navigation bar; sends others to sign in.
#[component]
fn Protected(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<UserResource>();
    let location = use_location();
    let children = StoredValue::new(children);
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <div class="loading-page">{t!(i18n, common.loading)}</div> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => view! {
                        <NavBar user=u/>
                        <main class="page">{children.with_value(|c| c())}</main>
                    }.into_any(),
                    _ => {
                        let search = location.search.get_untracked();
                        let here = if search.is_empty() {
                            location.pathname.get_untracked()
                        } else {
                            format!("{}?{search}", location.pathname.get_untracked())
                        };
                        let target = next::login_url(&here);
                        view! { <leptos_router::components::Redirect path=target/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn NavBar(user: User) -> impl IntoView {
    let logout = ServerAction::<api::Logout>::new();
    let open = RwSignal::new(false);
    let palette = RwSignal::new(false);
    let admin = user.is_admin;
    let (user_id, user_name) = (user.id.to_string(), user.username.clone());
    let i18n = use_i18n();
    Effect::new(move |_| {
        if logout.value().get().is_some() {
            components::hard_navigate("/login");
        }
    });
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark">"◧"</span>
                " cardcrm"
            </A>
            <button class="palette-open" aria-label=move || t_string!(i18n, palette.open) title=move || t_string!(i18n, palette.open)
                aria-keyshortcuts="Control+K Meta+K /" on:click=move |_| palette.set(true)>
                <span aria-hidden="true">"⌕"</span>
                <kbd class="palette-kbd" aria-hidden="true">"Ctrl K"</kbd>
            </button>
            <LanguageSwitch class="topbar-lang"/>
            <button class="menu-toggle" aria-label=move || t_string!(i18n, nav.menu) on:click=move |_| open.update(|o| *o = !*o)>"☰"</button>
            <nav class="nav" class:open=move || open.get() on:click=move |_| open.set(false)>
                <A href="/" exact=true>{t!(i18n, nav.contacts)}</A>
                <A href="/scan">{t!(i18n, nav.scan)}</A>
                <A href="/duplicates">{t!(i18n, nav.duplicates)}</A>
                <A href="/labels">{t!(i18n, nav.labels)}</A>
                <A href="/imports">{t!(i18n, nav.imports)}</A>
                <A href="/trash">{t!(i18n, nav.trash)}</A>
                {user.is_admin.then(|| view! { <A href="/admin/users">{t!(i18n, nav.admin)}</A> })}
                <A href="/profile" attr:class="nav-user" attr:title=user.email.clone()>{user.username.clone()}</A>
                // pwa.js reads who is signed in here: queued offline cards belong to that account.
                <span class="queue-indicator" data-offline-queue data-user-id=user_id data-user-name=user_name hidden></span>
                <ActionForm action=logout attr:class="inline">
                    <button type="submit" class="link-button">{t!(i18n, nav.sign_out)}</button>
                </ActionForm>
            </nav>
        </header>
        <palette::CommandPalette open=palette admin=admin/>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let i18n = use_i18n();
    view! {
        <main class="page narrow">
            <h1>{t!(i18n, common.not_found)}</h1>
            <p><A href="/">{t!(i18n, common.back_to_contacts)}</A></p>
        </main>
    }
}
