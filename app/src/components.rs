//! Small shared pieces of the UI.

use crate::lang::{fill_in, t_string, use_i18n, Locale};
use leptos::prelude::*;
use service::dto::TagRef;

/// Percent-encodes a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Leaves the single-page app: a full page load (used after sign-in/out so the session is re-read).
pub fn hard_navigate(path: &str) {
    let _ = window().location().set_href(path);
}

#[component]
pub fn TagChip(tag: TagRef) -> impl IntoView {
    let style = format!("--tag:{}", tag.color);
    let href = format!("/?tag={}", encode(&tag.name));
    view! { <a class="chip" style=style href=href>{tag.name}</a> }
}

/// "Page N of M" between a previous and a next button; `go` is called with the page to show.
/// `newest_first` labels the buttons "Newer" / "Older" (lists that start with the latest).
#[component]
pub fn Pager(
    page: u64,
    pages: u64,
    go: impl Fn(u64) + Copy + Send + Sync + 'static,
    #[prop(optional)] newest_first: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let (previous, next) = if newest_first {
        (t_string!(i18n, common.newer), t_string!(i18n, common.older))
    } else {
        (t_string!(i18n, common.previous), t_string!(i18n, common.next))
    };
    let pages = pages.max(1);
    view! {
        <nav class="pager" aria-label=t_string!(i18n, common.pages)>
            <button disabled={page <= 1} on:click=move |_| go(page - 1)>{previous}</button>
            <span>{fill_in(t_string!(i18n, common.page_of), &[("page", &page), ("pages", &pages)])}</span>
            <button disabled={page >= pages} on:click=move |_| go(page + 1)>{next}</button>
        </nav>
    }
}

/// An error message box, or nothing.
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || error.get().map(|e| view! { <div class="error" role="alert">{e}</div> })
}

/// Short, readable date-time in UTC.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A phone or e-mail kind (`mobile`, `work`, …) in the current language; unknown kinds as stored.
pub fn kind_label(locale: Locale, kind: &str) -> String {
    use crate::lang::td_string;
    match kind {
        "mobile" => td_string!(locale, kind.mobile).to_string(),
        "work" => td_string!(locale, kind.work).to_string(),
        "home" => td_string!(locale, kind.home).to_string(),
        "fax" => td_string!(locale, kind.fax).to_string(),
        "other" => td_string!(locale, kind.other).to_string(),
        other => other.to_string(),
    }
}
