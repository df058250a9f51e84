//! Small shared pieces of the UI.

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

/// An error message box, or nothing.
/// "Page N of M" between a previous and a next button; `go` is called with the page to show.
#[component]
pub fn Pager(
    page: u64,
    pages: u64,
    go: impl Fn(u64) + Copy + Send + Sync + 'static,
    #[prop(default = "← Previous")] previous: &'static str,
    #[prop(default = "Next →")] next: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <button disabled={page <= 1} on:click=move |_| go(page - 1)>{previous}</button>
            <span>{format!("Page {page} of {}", pages.max(1))}</span>
            <button disabled={page >= pages} on:click=move |_| go(page + 1)>{next}</button>
        </nav>
    }
}

#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || error.get().map(|e| view! { <div class="error" role="alert">{e}</div> })
}

/// Short, readable date-time in UTC.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}
