//! Sending a file the person chose to the REST API from the browser — the scan page's photo and
//! the import page's contact file: one multipart `POST` with the session cookie, answered as the
//! status and the JSON body, so each page only says what the answer means to it.

use crate::lang::{fill_in, td_string, Locale};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A JavaScript error as text.
pub fn js_text(e: wasm_bindgen::JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The first file chosen in a file input.
pub fn chosen(input: &NodeRef<leptos::html::Input>) -> Option<web_sys::File> {
    input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0))
}

/// What the server answered a `POST`.
pub struct Answer {
    pub status: u16,
    /// The JSON body (`Null` when there was none or it was not JSON).
    pub body: serde_json::Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer's `detail` (the API names the problem there), else "upload failed (status)" in
    /// the person's language.
    pub fn failure(&self, l: Locale) -> String {
        self.body["detail"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| fill_in(td_string!(l, scan.upload_failed), &[("status", &self.status)]))
    }
}

/// `POST url` with `file` as the multipart `file` part and the session cookie. `Err` only when the
/// server could not be reached (the text is the person's language); any HTTP answer is `Ok`.
pub async fn post_file(url: &str, file: &web_sys::File, l: Locale) -> Result<Answer, String> {
    let form = web_sys::FormData::new().map_err(js_text)?;
    form.append_with_blob_and_filename("file", file, &file.name()).map_err(js_text)?;
    post_form(url, &form, l).await
}

/// `POST url` with `form` (multipart) and the session cookie; as [`post_file`].
pub async fn post_form(url: &str, form: &web_sys::FormData, l: Locale) -> Result<Answer, String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(form);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let resp = JsFuture::from(window().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| td_string!(l, scan.no_reach).to_string())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(js_text)?;
    let status = resp.status();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok(Answer { status, body: serde_json::from_str(&text).unwrap_or_default() })
}
