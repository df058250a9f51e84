//! The browser entry point: hydrates the server-rendered page with the `app` crate's components.
// The Leptos view types of the bigger pages (scan editor, merge view) nest deeper than the
// default limit of 128 when the whole app is monomorphised in this crate.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
