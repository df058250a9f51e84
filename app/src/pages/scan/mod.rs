//! "Scan a card": upload a photo of the front (and optionally the back) to the scans API, wait
//! while it is read, then check the fields against the photo with every detected text block
//! outlined — select blocks and assign or join them into a field, edit, read again with another
//! engine — and save once as a contact. `/scan?id=N` opens scan N (the chat bots link there): still
//! being read, it shows the progress; already saved, the card read-only with a link to the contact.
//! Also the card images shown on a contact's page.

use crate::api::{self, error_text};
use crate::components::{kind_label, ErrorBox};
use crate::lang::{count_text, field_label, fill_in, t, t_string, td_string, use_i18n, Locale};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use service::dto::{
    ContactField, ContactInput, EmailInput, PhoneInput, SaveScanInput, SavedScan, ScanDraft, ScanFields, CONTACT_KINDS,
};

pub(crate) mod device;
mod editor;
mod editor_view;
mod summary;

use editor::*;
use editor_view::*;
pub use summary::CardImages;
use summary::*;

#[derive(Clone)]
enum Phase {
    Choose,
    Working(String),
    Editing,
    Offline,
    /// A card read on the device was saved without a connection: the service worker keeps it.
    SavedOffline,
    Saved(Box<SavedScan>),
    /// Every card of a stack was saved or skipped (`/scan?batch=…` without an `id`).
    BatchDone,
}

/// What the scans API answered to an upload.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Uploaded {
    /// The scans of the photo's cards (one, or every card found in a photo of several).
    Queued(Vec<i64>),
    /// The service worker kept the photo on the device (no connection).
    Offline,
    /// 429: too many of this person's scans are waiting to be read (or too many requests); the
    /// server's words. A stack upload waits and tries again.
    Busy(String),
}

/// The longest stack of cards read at once (one photo per card).
const MAX_STACK: usize = 100;

/// The scans of a stack (`/scan?id=N&batch=1,2,3`), in the order they were chosen.
fn batch_ids(raw: Option<String>) -> Vec<i64> {
    let mut ids: Vec<i64> = Vec::new();
    for id in raw.unwrap_or_default().split(',').filter_map(|p| p.trim().parse::<i64>().ok()) {
        if id > 0 && !ids.contains(&id) && ids.len() < MAX_STACK {
            ids.push(id);
        }
    }
    ids
}

fn batch_href(ids: &[i64], current: Option<i64>) -> String {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    match current {
        Some(id) => format!("/scan?id={id}&batch={list}"),
        None => format!("/scan?batch={list}"),
    }
}

/// What became of each card of a stack in this visit.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Saved { contact_id: i64, name: String },
    Skipped,
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Uploaded;
    use crate::lang::{td_string, Locale};
    use leptos::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    pub type Photo = web_sys::File;

    pub use crate::file_post::chosen;

    /// Every photo chosen in a `multiple` file input, in order.
    pub fn chosen_all(input: &NodeRef<leptos::html::Input>) -> Vec<Photo> {
        let Some(files) = input.get_untracked().and_then(|i| i.files()) else { return Vec::new() };
        (0..files.length()).filter_map(|i| files.get(i)).collect()
    }

    /// `POST /api/v1/scans` with the photo; `several`: the photo may hold several cards
    /// (`?cards=auto`).
    pub async fn upload(photo: Photo, several: bool, l: Locale) -> Result<Uploaded, String> {
        let url = if several { "/api/v1/scans?cards=auto" } else { "/api/v1/scans?cards=one" };
        let answer = crate::file_post::post_file(url, &photo, l).await?;
        let body = &answer.body;
        if answer.status == 202 && body["status"] == "queued_offline" {
            return Ok(Uploaded::Offline);
        }
        if answer.status == 429 {
            return Ok(Uploaded::Busy(answer.failure(l)));
        }
        if answer.ok() {
            let cards: Vec<i64> = body["cards"].as_array().into_iter().flatten().filter_map(|c| c.as_i64()).collect();
            return match body["id"].as_i64() {
                Some(_) if !cards.is_empty() => Ok(Uploaded::Queued(cards)),
                Some(id) => Ok(Uploaded::Queued(vec![id])),
                None => Err(td_string!(l, scan.unexpected).to_string()),
            };
        }
        Err(answer.failure(l))
    }

    pub async fn sleep_ms(ms: i32) {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = JsFuture::from(p).await;
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    //! The server never runs the page's event handlers; these keep them compiling there.
    use super::Uploaded;
    use crate::lang::Locale;
    use leptos::prelude::*;

    pub type Photo = ();

    pub fn chosen(_: &NodeRef<leptos::html::Input>) -> Option<Photo> {
        None
    }

    pub fn chosen_all(_: &NodeRef<leptos::html::Input>) -> Vec<Photo> {
        Vec::new()
    }

    pub async fn upload(_: Photo, _: bool, _: Locale) -> Result<Uploaded, String> {
        Err("uploads need the browser".into())
    }

    pub async fn sleep_ms(_: i32) {}
}

/// Which side of a card is being read, for the progress messages.
#[derive(Clone, Copy)]
enum Side {
    Front,
    Back,
    Card,
}

/// Follow a scan until it is read (or failed), telling the user where it is.
async fn wait_read(id: i64, what: Side, l: Locale, phase: RwSignal<Phase>) -> Result<ScanDraft, String> {
    loop {
        let d = api::get_scan_draft(id).await.map_err(|e| error_text(&e))?;
        let message = match (d.status.as_str(), what) {
            ("done" | "failed", _) => return Ok(d),
            ("queued", Side::Front) => td_string!(l, scan.waiting_front),
            ("queued", Side::Back) => td_string!(l, scan.waiting_back),
            ("queued", Side::Card) => td_string!(l, scan.waiting_card),
            (_, Side::Front) => td_string!(l, scan.reading_front),
            (_, Side::Back) => td_string!(l, scan.reading_back),
            (_, Side::Card) => td_string!(l, scan.reading_card),
        };
        phase.set(Phase::Working(message.to_string()));
        browser::sleep_ms(500).await;
    }
}

/// The progress line of a reading on the device, by stage.
fn device_stage(l: Locale, stage: &str) -> String {
    match stage {
        "decoding" => td_string!(l, scan.device_decoding),
        "detecting" => td_string!(l, scan.device_detecting),
        "recognising" => td_string!(l, scan.device_recognising),
        "parsing" => td_string!(l, scan.device_parsing),
        _ => td_string!(l, scan.device_starting),
    }
    .to_string()
}

/// Where the on-device reader is: not needed (cards are read on the server), getting ready,
/// ready, or failed (why).
#[derive(Clone, PartialEq)]
enum ReaderState {
    Server,
    Loading,
    Ready,
    Failed(String),
}

#[component]
pub fn ScanPage() -> impl IntoView {
    let ed = Editor::new();
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let phase = RwSignal::new(Phase::Choose);
    let error = RwSignal::new(None::<String>);
    let front_input = NodeRef::<html::Input>::new();
    let back_input = NodeRef::<html::Input>::new();
    let stack_input = NodeRef::<html::Input>::new();
    let query = use_query_map();
    // A stack of cards: its scans, what became of each in this visit, and the saved cards that
    // looked like a stored contact and are to be merged (new contact, stored contact).
    let batch = Memo::new(move |_| batch_ids(query.with(|q| q.get("batch"))));
    let outcomes: RwSignal<Vec<(i64, Outcome)>> = RwSignal::new(Vec::new());
    let to_merge: RwSignal<Vec<(i64, i64)>> = RwSignal::new(Vec::new());
    let notice = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    // Where cards are read (the person's setting) and the parse hints: from the server, kept on the
    // device for a page without a connection. Set in the browser only (same first render as the server's).
    let reader = RwSignal::new(service::dto::ScanReaderInfo { mode: "server".into(), hints: String::new() });
    let reader_state = RwSignal::new(ReaderState::Server);
    // The card just read on the device looks Cyrillic (its reader reads Latin letters only).
    let cyrillic = RwSignal::new(false);
    // Reading on the device: fetch and check the models and load the engine as soon as the page
    // opens, so a card can then be read with no connection.
    let warm_up = move || {
        if reader.get_untracked().mode == "server"
            || matches!(reader_state.get_untracked(), ReaderState::Loading | ReaderState::Ready)
        {
            return;
        }
        reader_state.set(ReaderState::Loading);
        spawn_local(async move {
            match device::start().await {
                Ok(()) => reader_state.set(ReaderState::Ready),
                Err(e) => reader_state.set(ReaderState::Failed(e)),
            }
        });
    };
    Effect::new(move |_| {
        reader.set(device::remembered());
        warm_up();
        spawn_local(async move {
            if let Ok(info) = api::scan_reader().await {
                device::remember(&info);
                if info.mode == "server" {
                    reader_state.set(ReaderState::Server);
                }
                reader.set(info);
                warm_up();
            }
        });
    });
    let go_next = {
        let navigate = navigate.clone();
        Callback::new(move |(current, outcome): (i64, Option<Outcome>)| {
            if let Some(o) = outcome {
                outcomes.update(|v| {
                    v.retain(|(id, _)| *id != current);
                    v.push((current, o));
                });
            }
            let ids = batch.get_untracked();
            let next = ids.iter().position(|x| *x == current).and_then(|p| ids.get(p + 1)).copied();
            navigate(&batch_href(&ids, next), Default::default());
        })
    };
    let position = Signal::derive(move || {
        let id = query.with(|q| q.get("id")).and_then(|r| r.trim().parse::<i64>().ok())?;
        batch.with(|ids| ids.iter().position(|x| *x == id).map(|p| (p + 1, ids.len())))
    });

    // Many photos at once: upload them one after another (waiting when the person's reading
    // queue is full), then check the cards one after another.
    let read_stack = {
        let navigate = navigate.clone();
        move |_| {
            let photos = browser::chosen_all(&stack_input);
            if photos.is_empty() {
                error.set(Some(td_string!(l, scan.choose_stack).into()));
                return;
            }
            let total = photos.len().min(MAX_STACK);
            error.set(None);
            notice.set(None);
            outcomes.set(Vec::new());
            to_merge.set(Vec::new());
            let navigate = navigate.clone();
            spawn_local(async move {
                let mut ids: Vec<i64> = Vec::new();
                let mut offline = 0usize;
                'photos: for (i, photo) in photos.into_iter().take(MAX_STACK).enumerate() {
                    let n = i + 1;
                    let mut waits = 0;
                    loop {
                        let key = if waits == 0 {
                            td_string!(l, scan.uploading_n)
                        } else {
                            td_string!(l, scan.stack_waiting)
                        };
                        phase.set(Phase::Working(fill_in(key, &[("n", &n), ("total", &total)])));
                        match browser::upload(photo.clone(), true, l).await {
                            Ok(Uploaded::Queued(cards)) => {
                                for c in cards {
                                    if ids.len() < MAX_STACK && !ids.contains(&c) {
                                        ids.push(c);
                                    }
                                }
                                break;
                            }
                            Ok(Uploaded::Offline) => {
                                offline += 1;
                                break;
                            }
                            // The queue drains as cards are read: wait (up to 5 minutes per card).
                            Ok(Uploaded::Busy(_)) if waits < 150 => {
                                waits += 1;
                                browser::sleep_ms(2000).await;
                            }
                            Ok(Uploaded::Busy(why)) | Err(why) => {
                                error.set(Some(why));
                                break 'photos;
                            }
                        }
                    }
                }
                if offline > 0 {
                    notice.set(Some(fill_in(td_string!(l, scan.stack_offline), &[("n", &offline)])));
                }
                match ids.first() {
                    Some(&first) => navigate(&batch_href(&ids, Some(first)), Default::default()),
                    None if offline > 0 => phase.set(Phase::Offline),
                    None => phase.set(Phase::Choose),
                }
            });
        }
    };

    // Read the front (and the back) here, then check the fields in the editor as for a server scan.
    let read_on_device = move |front: browser::Photo, back: Option<browser::Photo>| {
        phase.set(Phase::Working(device_stage(l, "")));
        spawn_local(async move {
            let hints = reader.get_untracked().hints;
            let outcome: Result<device::LocalCard, String> = async {
                device::start().await?;
                reader_state.set(ReaderState::Ready);
                let stage = move |s: String| phase.set(Phase::Working(device_stage(l, &s)));
                let (fr, front_cyrillic) = device::read(&front, &hints, stage).await?;
                let back = match back {
                    Some(b) => {
                        let (r, c) = device::read(&b, &hints, stage).await?;
                        cyrillic.set(c || front_cyrillic);
                        Some(device::LocalSide { url: device::object_url(&b), photo: b, reading: r })
                    }
                    None => {
                        cyrillic.set(front_cyrillic);
                        None
                    }
                };
                Ok(device::LocalCard {
                    front: device::LocalSide { url: device::object_url(&front), photo: front, reading: fr },
                    back,
                })
            }
            .await;
            match outcome {
                Ok(card) => {
                    ed.load_local(card);
                    phase.set(Phase::Editing);
                }
                Err(e) => {
                    error.set(Some(fill_in(td_string!(l, scan.device_failed), &[("why", &e)])));
                    phase.set(Phase::Choose);
                }
            }
        });
    };
    // Upload the front (and the back) and wait while the server reads them.
    let read_on_server = {
        let navigate = navigate.clone();
        move |front: browser::Photo, back: Option<browser::Photo>| {
            phase.set(Phase::Working(td_string!(l, scan.uploading).into()));
            let navigate = navigate.clone();
            spawn_local(async move {
                let outcome: Result<Option<(ScanDraft, Option<ScanDraft>)>, String> = async {
                    // The front may be a photo of several cards laid out on a table: then they are
                    // checked one after another, as a stack (the back, for one card, is not read).
                    let f = browser::upload(front, true, l).await?;
                    if let Uploaded::Queued(cards) = &f {
                        if cards.len() > 1 {
                            notice.set(Some(fill_in(td_string!(l, scan.cards_found), &[("n", &cards.len())])));
                            outcomes.set(Vec::new());
                            to_merge.set(Vec::new());
                            navigate(&batch_href(cards, cards.first().copied()), Default::default());
                            return Err(String::new());
                        }
                    }
                    let b = match back {
                        Some(p) => Some(browser::upload(p, false, l).await?),
                        None => None,
                    };
                    let (fid, bid) = match (f, b) {
                        (Uploaded::Busy(why), _) | (_, Some(Uploaded::Busy(why))) => return Err(why),
                        (Uploaded::Offline, _) | (_, Some(Uploaded::Offline)) => return Ok(None),
                        (Uploaded::Queued(f), Some(Uploaded::Queued(b))) => (f[0], Some(b[0])),
                        (Uploaded::Queued(f), None) => (f[0], None),
                    };
                    let fd = wait_read(fid, Side::Front, l, phase).await?;
                    let bd = match bid {
                        Some(id) => Some(wait_read(id, Side::Back, l, phase).await?),
                        None => None,
                    };
                    Ok(Some((fd, bd)))
                }
                .await;
                match outcome {
                    Ok(None) => phase.set(Phase::Offline),
                    Ok(Some((fd, bd))) => {
                        ed.load(fd, bd);
                        phase.set(Phase::Editing);
                    }
                    // Empty: a photo of several cards went on as a stack.
                    Err(e) if e.is_empty() => {}
                    Err(e) => {
                        error.set(Some(e));
                        phase.set(Phase::Choose);
                    }
                }
            });
        }
    };
    let start = {
        let read_on_server = read_on_server.clone();
        move |_| {
            let Some(front) = browser::chosen(&front_input) else {
                error.set(Some(td_string!(l, scan.choose_front).into()));
                return;
            };
            let back = browser::chosen(&back_input);
            error.set(None);
            notice.set(None);
            cyrillic.set(false);
            if device::should_read_here(&reader.get_untracked().mode) {
                read_on_device(front, back);
            } else {
                read_on_server(front, back);
            }
        }
    };
    // A card the device's reader took for Cyrillic: the person may send it to the server instead.
    let to_server = move |_| {
        let Some(card) = ed.local.get_value() else { return };
        cyrillic.set(false);
        error.set(None);
        read_on_server(card.front.photo, card.back.map(|b| b.photo));
    };
    let reset = move || {
        error.set(None);
        ed.front.set(None);
        ed.back.set(None);
        phase.set(Phase::Choose);
    };

    // `/scan?id=N`: open that scan (in the browser only; effects do not run on the server).
    let opening = StoredValue::new(0u64);
    Effect::new(move |_| {
        let raw = query.with(|q| q.get("id"));
        opening.update_value(|n| *n += 1);
        let ticket = opening.get_value();
        let Some(raw) = raw else {
            reset();
            if !batch.with(Vec::is_empty) {
                phase.set(Phase::BatchDone);
            }
            return;
        };
        let Ok(id) = raw.trim().parse::<i64>() else {
            reset();
            error.set(Some(fill_in(td_string!(l, scan.not_a_scan), &[("raw", &raw)])));
            return;
        };
        error.set(None);
        phase.set(Phase::Working(fill_in(td_string!(l, scan.opening), &[("id", &id)])));
        spawn_local(async move {
            let outcome: Result<(ScanDraft, Option<ScanDraft>), String> = async {
                let fd = wait_read(id, Side::Card, l, phase).await?;
                // A saved card may have had its back saved with it: show that too.
                let bd = match fd.contact_id {
                    Some(cid) => match api::contact_cards(cid).await {
                        Ok(cards) => match cards.iter().find(|c| c.side == "back" && c.scan_id != id) {
                            Some(b) => api::get_scan_draft(b.scan_id).await.ok(),
                            None => None,
                        },
                        Err(_) => None,
                    },
                    None => None,
                };
                Ok((fd, bd))
            }
            .await;
            if opening.get_value() != ticket {
                return; // the address changed meanwhile
            }
            match outcome {
                Ok((fd, bd)) => {
                    ed.load(fd, bd);
                    phase.set(Phase::Editing);
                }
                Err(e) => {
                    ed.front.set(None);
                    ed.back.set(None);
                    error.set(Some(e));
                    phase.set(Phase::Choose);
                }
            }
        });
    });

    view! {
        <div class="toolbar"><h1>{t!(i18n, nav.scan)}</h1></div>
        <ErrorBox error=error/>
        {move || notice.get().map(|n| view! { <p class="card scan-notice" role="status">{n}</p> })}
        {move || (matches!(phase.get(), Phase::Editing | Phase::Working(_)) && position.get().is_some()).then(|| view! {
            <BatchBar position=position batch=batch/>
        })}
        {move || match phase.get() {
            Phase::Choose => view! {
                <section class="card scan-upload">
                    <p class="muted">{t!(i18n, scan.intro)}</p>
                    {move || match reader_state.get() {
                        ReaderState::Server => None,
                        ReaderState::Loading => Some(view! { <p class="device-status small" data-state="loading" role="status">{t!(i18n, scan.device_loading)}</p> }.into_any()),
                        ReaderState::Ready => Some(view! { <p class="device-status small" data-state="ready" role="status">{t!(i18n, scan.device_ready)}</p> }.into_any()),
                        ReaderState::Failed(why) => Some(view! { <p class="device-status small error" data-state="failed" role="status">{fill_in(td_string!(l, scan.device_failed), &[("why", &why)])}</p> }.into_any()),
                    }}
                    <div class="scan-inputs">
                        <label class="scan-file">
                            <span>{t!(i18n, scan.front_of_card)}</span>
                            <input type="file" name="front" accept="image/*" capture="environment" node_ref=front_input/>
                        </label>
                        <label class="scan-file">
                            <span>{t!(i18n, scan.back)}<span class="muted">{t!(i18n, scan.optional)}</span></span>
                            <input type="file" name="back" accept="image/*" capture="environment" node_ref=back_input/>
                        </label>
                    </div>
                    <button type="button" class="primary scan-go" on:click=start.clone()>{t!(i18n, scan.read_card)}</button>
                </section>
                <section class="card scan-upload scan-stack">
                    <h2>{t!(i18n, scan.stack_title)}</h2>
                    <p class="muted">{t!(i18n, scan.stack_intro)}</p>
                    {move || (reader_state.get() != ReaderState::Server).then(|| view! {
                        <p class="device-status small" data-state="stack">{t!(i18n, scan.stack_on_server)}</p>
                    })}
                    <label class="scan-file">
                        <span>{t!(i18n, scan.stack_photos)}</span>
                        <input type="file" name="stack" accept="image/*" multiple node_ref=stack_input/>
                    </label>
                    <button type="button" class="primary scan-go" on:click=read_stack.clone()>{t!(i18n, scan.read_all)}</button>
                </section>
            }.into_any(),
            Phase::Working(msg) => view! {
                <section class="card scan-progress" aria-live="polite">
                    <div class="progress-bar" role="progressbar" aria-label=t_string!(i18n, scan.reading_label)><span></span></div>
                    <p class="scan-status">{msg}</p>
                </section>
            }.into_any(),
            Phase::Offline => view! {
                <section class="card scan-offline" role="status">
                    <h2>{t!(i18n, scan.saved_device)}</h2>
                    <p>{t!(i18n, scan.saved_device_text)}</p>
                    <button type="button" on:click=move |_| reset()>{t!(i18n, common.scan_another)}</button>
                </section>
            }.into_any(),
            Phase::SavedOffline => view! {
                <section class="card scan-offline" role="status">
                    <h2>{t!(i18n, scan.saved_offline)}</h2>
                    <p>{t!(i18n, scan.saved_offline_text)}</p>
                    <button type="button" on:click=move |_| reset()>{t!(i18n, common.scan_another)}</button>
                </section>
            }.into_any(),
            Phase::Editing => { let to_server = to_server.clone(); view! {
                {move || cyrillic.get().then(|| {
                    let to_server = to_server.clone();
                    view! {
                        <p class="card scan-notice device-cyrillic" role="status">
                            {t!(i18n, scan.device_cyrillic)}" "
                            <button type="button" class="small-button" on:click=to_server>{t!(i18n, scan.read_on_server)}</button>
                        </p>
                    }
                })}
                <ScanEditor ed=ed phase=phase error=error position=position go_next=go_next to_merge=to_merge/>
            }.into_any() },
            Phase::BatchDone => view! { <BatchDone batch=batch outcomes=outcomes to_merge=to_merge/> }.into_any(),
            Phase::Saved(saved) => view! { <SavedSummary saved=*saved on_again=Callback::new(move |_| reset())/> }.into_any(),
        }}
    }
}
