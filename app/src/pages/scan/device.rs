//! Reading a card on this device (issue 23): the photo goes to the on-device reader (the `ocr`
//! crate compiled to WebAssembly, crate `ocr-web`, in a Web Worker started by
//! `public/ocr-device.js`), never to the server; the editor then works on that reading as on a
//! server scan's, and only the contact the person saves is sent (`POST /api/v1/scans/device`,
//! with the photos when they choose to keep them as the card images).
//!
//! Where cards are read is the person's setting (`server`, `device`, or `offline`: on the device
//! when the browser has no connection). The page keeps the last setting and parse hints it heard
//! from the server in `localStorage`, so a page that has lost its connection still knows them.

use super::*;
use service::dto::{CardReading, ScanReaderInfo};

/// The draft id of a side read on the device (negative: not a server scan).
pub(crate) const DEVICE_FRONT: i64 = -1;
pub(crate) const DEVICE_BACK: i64 = -2;

/// Is this draft a reading made on the device?
pub(crate) fn is_device(d: &ScanDraft) -> bool {
    d.id < 0
}

/// A side read on the device as the editor's draft.
pub(crate) fn draft_of(r: &CardReading, id: i64, side: &str) -> ScanDraft {
    ScanDraft {
        id,
        status: "done".into(),
        engine: Some("device".into()),
        error: None,
        side: side.into(),
        contact_id: None,
        width: r.image.width,
        height: r.image.height,
        lines: r.lines.clone(),
        fields: r.draft_fields(),
        total_ms: Some(r.timings.total_ms),
    }
}

/// One side of a card read on the device: the photo, its object URL (shown in the editor) and the
/// reading.
#[derive(Clone)]
pub(crate) struct LocalSide {
    pub(crate) photo: browser::Photo,
    pub(crate) url: String,
    pub(crate) reading: CardReading,
}

/// A card read on the device.
#[derive(Clone)]
pub(crate) struct LocalCard {
    pub(crate) front: LocalSide,
    pub(crate) back: Option<LocalSide>,
}

/// What became of a save of a card read on the device.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) enum DeviceSaved {
    Saved(Box<SavedScan>),
    /// No connection: the service worker keeps the save and sends it when the connection returns.
    Queued,
}

/// The setting, as last heard from the server (or kept on this device).
pub(crate) fn should_read_here(mode: &str) -> bool {
    match mode {
        "device" => true,
        "offline" => !imp::online(),
        _ => false,
    }
}

pub(crate) use imp::*;

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use crate::file_post::{js_text, post_form};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    const MODE_KEY: &str = "cardcrm.scan_reader";
    const HINTS_KEY: &str = "cardcrm.scan_hints";

    fn storage() -> Option<web_sys::Storage> {
        window().local_storage().ok().flatten()
    }

    /// Keep what the server said, for a page without a connection.
    pub(crate) fn remember(info: &ScanReaderInfo) {
        if let Some(s) = storage() {
            let _ = s.set_item(MODE_KEY, &info.mode);
            let _ = s.set_item(HINTS_KEY, &info.hints);
        }
    }

    /// The setting and hints last kept on this device (`server` and none when nothing is kept).
    pub(crate) fn remembered() -> ScanReaderInfo {
        let get = |k: &str| storage().and_then(|s| s.get_item(k).ok().flatten());
        ScanReaderInfo {
            mode: get(MODE_KEY).unwrap_or_else(|| "server".into()),
            hints: get(HINTS_KEY).unwrap_or_default(),
        }
    }

    pub(crate) fn online() -> bool {
        window().navigator().on_line()
    }

    /// `window.cardcrmDevice.<name>(args…)`, a promise, awaited.
    async fn call(name: &str, args: &[JsValue]) -> Result<JsValue, String> {
        let api = js_sys::Reflect::get(&window(), &JsValue::from_str("cardcrmDevice")).map_err(js_text)?;
        if api.is_undefined() || api.is_null() {
            return Err("the on-device reader did not load (ocr-device.js)".into());
        }
        let f: js_sys::Function =
            js_sys::Reflect::get(&api, &JsValue::from_str(name)).map_err(js_text)?.dyn_into().map_err(js_text)?;
        let arr = js_sys::Array::new();
        for a in args {
            arr.push(a);
        }
        let promise: js_sys::Promise = f.apply(&api, &arr).map_err(js_error)?.dyn_into().map_err(js_text)?;
        JsFuture::from(promise).await.map_err(js_error)
    }

    fn js_error(e: JsValue) -> String {
        js_sys::Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| js_text(e))
    }

    /// Start the reader (fetch and check the models once, load the engine); resolves when ready.
    pub(crate) async fn start() -> Result<(), String> {
        call("start", &[]).await.map(|_| ())
    }

    /// Read one photo on the device; `on_stage` hears `decoding`, `detecting`, `recognising`,
    /// `parsing` as each begins. Answers the reading and whether the card looks Cyrillic (the
    /// device's reader reads Latin letters only; the server reads Cyrillic with Tesseract).
    pub(crate) async fn read(
        photo: &web_sys::File,
        hints: &str,
        on_stage: impl Fn(String) + 'static,
    ) -> Result<(CardReading, bool), String> {
        let cb = Closure::<dyn Fn(JsValue)>::new(move |s: JsValue| on_stage(s.as_string().unwrap_or_default()));
        let out = call("read", &[photo.clone().into(), JsValue::from_str(hints), cb.as_ref().clone()]).await;
        drop(cb);
        let text = out?.as_string().unwrap_or_default();
        #[derive(serde::Deserialize)]
        struct Answer {
            result: CardReading,
            #[serde(default)]
            cyrillic: bool,
        }
        serde_json::from_str::<Answer>(&text)
            .map(|a| (a.result, a.cyrillic))
            .map_err(|e| format!("the reader's answer: {e}"))
    }

    /// Bytes of the models kept on this device (the service worker's cache).
    pub async fn models_size() -> Result<f64, String> {
        Ok(call("modelsSize", &[]).await?.as_f64().unwrap_or(0.0))
    }

    /// Forget the kept models (they are fetched again when next needed).
    pub async fn remove_models() -> Result<(), String> {
        call("removeModels", &[]).await.map(|_| ())
    }

    pub(crate) fn object_url(photo: &web_sys::File) -> String {
        web_sys::Url::create_object_url_with_blob(photo).unwrap_or_default()
    }

    /// Save the checked contact (`POST /api/v1/scans/device`), with the photos when `keep_photos`.
    pub(crate) async fn save(
        contact: ContactInput,
        card: &LocalCard,
        keep_photos: bool,
        l: Locale,
    ) -> Result<DeviceSaved, String> {
        // Without the photos only the fields go: the lines (all the card's text) stay here.
        let strip = |r: &CardReading| {
            if keep_photos {
                r.clone()
            } else {
                CardReading { lines: Vec::new(), ..r.clone() }
            }
        };
        let save = serde_json::json!({
            "contact": contact,
            "front": strip(&card.front.reading),
            "back": card.back.as_ref().map(|b| strip(&b.reading)),
        });
        let form = web_sys::FormData::new().map_err(js_text)?;
        form.append_with_str("save", &save.to_string()).map_err(js_text)?;
        if keep_photos {
            form.append_with_blob_and_filename("front_photo", &card.front.photo, &card.front.photo.name())
                .map_err(js_text)?;
            if let Some(b) = &card.back {
                form.append_with_blob_and_filename("back_photo", &b.photo, &b.photo.name()).map_err(js_text)?;
            }
        }
        let answer = post_form("/api/v1/scans/device", &form, l).await?;
        if answer.status == 202 && answer.body["status"] == "queued_offline" {
            return Ok(DeviceSaved::Queued);
        }
        if answer.ok() {
            return serde_json::from_value(answer.body.clone())
                .map(|s| DeviceSaved::Saved(Box::new(s)))
                .map_err(|e| format!("unexpected answer: {e}"));
        }
        Err(answer.failure(l))
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    //! The server never runs the page's handlers; these keep them compiling there.
    use super::*;

    pub(crate) fn remember(_: &ScanReaderInfo) {}

    pub(crate) fn remembered() -> ScanReaderInfo {
        ScanReaderInfo { mode: "server".into(), hints: String::new() }
    }

    pub(crate) fn online() -> bool {
        true
    }

    pub(crate) async fn start() -> Result<(), String> {
        Err("the on-device reader needs the browser".into())
    }

    pub(crate) async fn read(
        _: &browser::Photo,
        _: &str,
        _: impl Fn(String) + 'static,
    ) -> Result<(CardReading, bool), String> {
        Err("the on-device reader needs the browser".into())
    }

    pub async fn models_size() -> Result<f64, String> {
        Ok(0.0)
    }

    pub async fn remove_models() -> Result<(), String> {
        Ok(())
    }

    pub(crate) fn object_url(_: &browser::Photo) -> String {
        String::new()
    }

    pub(crate) async fn save(_: ContactInput, _: &LocalCard, _: bool, _: Locale) -> Result<DeviceSaved, String> {
        Err("saving needs the browser".into())
    }
}
