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
    ContactInput, EmailInput, PhoneInput, SaveScanInput, SavedScan, ScanDraft, ScanFields, CONTACT_KINDS,
};

/// A text block: the side (0 front, 1 back) and the index of the line on that side.
type BlockRef = (u8, usize);

fn block_label(b: BlockRef) -> String {
    if b.0 == 0 {
        format!("{}", b.1 + 1)
    } else {
        format!("B{}", b.1 + 1)
    }
}

/// One editable field: its value, the blocks it came from and (phones, e-mails) its kind.
#[derive(Clone, Copy)]
struct Slot {
    key: usize,
    field: &'static str,
    kind: RwSignal<String>,
    value: RwSignal<String>,
    blocks: RwSignal<Vec<BlockRef>>,
}

impl Slot {
    fn new(key: usize, field: &'static str) -> Self {
        Slot {
            key,
            field,
            kind: RwSignal::new("work".into()),
            value: RwSignal::new(String::new()),
            blocks: RwSignal::new(Vec::new()),
        }
    }

    /// How the texts of several blocks are joined in this field.
    fn separator(&self) -> &'static str {
        match self.field {
            "address" => ", ",
            "email" | "website" => "",
            _ => " ",
        }
    }
}

const TEXT_SLOTS: [&str; 9] =
    ["prefix", "first_name", "middle_name", "last_name", "company", "position", "department", "website", "address"];

/// The editor's state; every part is a signal, so the whole thing is `Copy`.
#[derive(Clone, Copy)]
struct Editor {
    front: RwSignal<Option<ScanDraft>>,
    back: RwSignal<Option<ScanDraft>>,
    texts: StoredValue<Vec<Slot>>,
    phones: RwSignal<Vec<Slot>>,
    emails: RwSignal<Vec<Slot>>,
    selected: RwSignal<Vec<BlockRef>>,
    /// The field under the pointer or keyboard focus: its blocks light up on the photo.
    hovered: RwSignal<Option<usize>>,
    next_key: StoredValue<usize>,
    /// The engine chosen for "Read again" (empty: automatic).
    engine: RwSignal<String>,
}

impl Editor {
    fn new() -> Self {
        let texts = TEXT_SLOTS.iter().enumerate().map(|(i, f)| Slot::new(i + 1, f)).collect();
        Editor {
            front: RwSignal::new(None),
            back: RwSignal::new(None),
            texts: StoredValue::new(texts),
            phones: RwSignal::new(Vec::new()),
            emails: RwSignal::new(Vec::new()),
            selected: RwSignal::new(Vec::new()),
            hovered: RwSignal::new(None),
            next_key: StoredValue::new(100),
            engine: RwSignal::new(String::new()),
        }
    }

    fn text(&self, field: &str) -> Option<Slot> {
        self.texts.with_value(|t| t.iter().find(|s| s.field == field).copied())
    }

    fn all_slots(&self) -> Vec<Slot> {
        let mut v = self.texts.get_value();
        v.extend(self.phones.get_untracked());
        v.extend(self.emails.get_untracked());
        v
    }

    fn new_slot(&self, field: &'static str) -> Slot {
        self.next_key.update_value(|k| *k += 1);
        Slot::new(self.next_key.get_value(), field)
    }

    fn block_text(&self, b: BlockRef) -> String {
        let draft = if b.0 == 0 { self.front } else { self.back };
        draft
            .with_untracked(|d| d.as_ref().and_then(|d| d.lines.get(b.1)).map(|l| l.text.trim().to_string()))
            .unwrap_or_default()
    }

    /// Fill the fields from the front's reading, taking what the front lacks from the back.
    fn load(&self, front: ScanDraft, back: Option<ScanDraft>) {
        let sides: Vec<(u8, ScanFields)> =
            std::iter::once((0u8, front.fields.clone())).chain(back.iter().map(|b| (1u8, b.fields.clone()))).collect();
        for slot in self.texts.get_value() {
            let found = sides.iter().find_map(|(side, f)| f.get(slot.field).map(|v| (*side, v.clone())));
            let (value, blocks) = match found {
                Some((side, v)) => (v.value, v.blocks.into_iter().map(|b| (side, b)).collect()),
                None => (String::new(), Vec::new()),
            };
            slot.value.set(value);
            slot.blocks.set(blocks);
        }
        let mut phones: Vec<Slot> = Vec::new();
        let mut emails: Vec<Slot> = Vec::new();
        for (side, f) in &sides {
            for p in &f.phones {
                if phones.iter().any(|s| s.value.get_untracked() == p.number) {
                    continue;
                }
                let s = self.new_slot("phone");
                s.kind.set(p.kind.clone());
                s.value.set(p.number.clone());
                s.blocks.set(p.blocks.iter().map(|b| (*side, *b)).collect());
                phones.push(s);
            }
            for e in &f.emails {
                if emails.iter().any(|s| s.value.get_untracked().eq_ignore_ascii_case(&e.value)) {
                    continue;
                }
                let s = self.new_slot("email");
                s.value.set(e.value.clone());
                s.blocks.set(e.blocks.iter().map(|b| (*side, *b)).collect());
                emails.push(s);
            }
        }
        if phones.is_empty() {
            phones.push(self.new_slot("phone"));
        }
        if emails.is_empty() {
            emails.push(self.new_slot("email"));
        }
        self.phones.set(phones);
        self.emails.set(emails);
        self.selected.set(Vec::new());
        self.front.set(Some(front));
        self.back.set(back);
    }

    fn toggle(&self, b: BlockRef) {
        self.selected.update(|s| {
            if let Some(i) = s.iter().position(|x| *x == b) {
                s.remove(i);
            } else {
                s.push(b);
            }
        });
    }

    /// Put the selected blocks' text into `slot` (joined in the order they were picked), or add it
    /// to what is there (`join`). The blocks leave the fields they were in before.
    fn assign(&self, slot: Slot, join: bool) {
        let picked = self.selected.get_untracked();
        if picked.is_empty() {
            return;
        }
        let sep = slot.separator();
        let text = picked.iter().map(|b| self.block_text(*b)).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(sep);
        for other in self.all_slots().into_iter().filter(|s| s.key != slot.key) {
            let had: Vec<BlockRef> =
                other.blocks.with_untracked(|bs| bs.iter().copied().filter(|b| picked.contains(b)).collect());
            if had.is_empty() {
                continue;
            }
            other.blocks.update(|bs| bs.retain(|b| !picked.contains(b)));
            if other.blocks.with_untracked(Vec::is_empty) {
                other.value.set(String::new());
            } else {
                let mut v = other.value.get_untracked();
                for b in &had {
                    v = v.replace(&self.block_text(*b), "");
                }
                let tidy = v.split(',').map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
                other.value.set(tidy.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        if join && !slot.value.get_untracked().trim().is_empty() {
            slot.value.update(|v| {
                v.push_str(sep);
                v.push_str(&text);
            });
            slot.blocks.update(|bs| bs.extend(picked.iter().copied().filter(|b| !bs.contains(b)).collect::<Vec<_>>()));
        } else {
            slot.value.set(text);
            slot.blocks.set(picked);
        }
        self.selected.set(Vec::new());
    }

    fn is_linked(&self, b: BlockRef) -> bool {
        let Some(key) = self.hovered.get() else { return false };
        self.all_slots().iter().find(|s| s.key == key).is_some_and(|s| s.blocks.with(|bs| bs.contains(&b)))
    }

    fn is_used(&self, b: BlockRef) -> bool {
        self.phones.track();
        self.emails.track();
        self.all_slots().iter().any(|s| s.blocks.with(|bs| bs.contains(&b)))
    }

    /// What the duplicate check looks at while the fields are checked: the contact as it would
    /// be saved (tracked, so the check follows every edit), once it holds enough to compare.
    fn duplicate_draft(&self) -> Option<ContactInput> {
        self.front.track();
        self.phones.track();
        self.emails.track();
        for s in self.all_slots() {
            s.value.track();
        }
        if self.front.with(|d| d.as_ref().is_none_or(|d| d.contact_id.is_some())) {
            return None; // nothing read yet, or already saved
        }
        let mut d = self.contact();
        d.phones.retain(|p| p.number.chars().filter(char::is_ascii_digit).count() >= 7);
        d.emails.retain(|e| e.address.split_once('@').is_some_and(|(u, dom)| !u.is_empty() && dom.contains('.')));
        let enough = d.first_name.chars().count() + d.last_name.chars().count() >= 3
            || !d.phones.is_empty()
            || !d.emails.is_empty();
        enough.then_some(d)
    }

    fn contact(&self) -> ContactInput {
        let t = |f: &str| self.text(f).map(|s| s.value.get_untracked().trim().to_string()).unwrap_or_default();
        ContactInput {
            prefix: t("prefix"),
            first_name: t("first_name"),
            middle_name: t("middle_name"),
            last_name: t("last_name"),
            company: t("company"),
            position: t("position"),
            department: t("department"),
            website: t("website"),
            address: t("address"),
            phones: self
                .phones
                .get_untracked()
                .iter()
                .filter(|s| !s.value.get_untracked().trim().is_empty())
                .map(|s| PhoneInput {
                    kind: s.kind.get_untracked(),
                    number: s.value.get_untracked().trim().to_string(),
                })
                .collect(),
            emails: self
                .emails
                .get_untracked()
                .iter()
                .filter(|s| !s.value.get_untracked().trim().is_empty())
                .map(|s| EmailInput {
                    kind: s.kind.get_untracked(),
                    address: s.value.get_untracked().trim().to_string(),
                })
                .collect(),
            source: Some("ocr".into()),
            ..Default::default()
        }
    }
}

#[derive(Clone)]
enum Phase {
    Choose,
    Working(String),
    Editing,
    Offline,
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
    use crate::lang::{fill_in, td_string, Locale};
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    pub type Photo = web_sys::File;

    pub fn chosen(input: &NodeRef<leptos::html::Input>) -> Option<Photo> {
        input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0))
    }

    /// Every photo chosen in a `multiple` file input, in order.
    pub fn chosen_all(input: &NodeRef<leptos::html::Input>) -> Vec<Photo> {
        let Some(files) = input.get_untracked().and_then(|i| i.files()) else { return Vec::new() };
        (0..files.length()).filter_map(|i| files.get(i)).collect()
    }

    fn js_text(e: wasm_bindgen::JsValue) -> String {
        e.as_string().unwrap_or_else(|| format!("{e:?}"))
    }

    /// `POST /api/v1/scans` with the photo as the multipart `file` part and the session cookie;
    /// `several`: the photo may hold several cards (`?cards=auto`).
    pub async fn upload(photo: Photo, several: bool, l: Locale) -> Result<Uploaded, String> {
        let form = web_sys::FormData::new().map_err(js_text)?;
        form.append_with_blob_and_filename("file", &photo, &photo.name()).map_err(js_text)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&form);
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let url = if several { "/api/v1/scans?cards=auto" } else { "/api/v1/scans?cards=one" };
        let resp = JsFuture::from(window().fetch_with_str_and_init(url, &init))
            .await
            .map_err(|_| td_string!(l, scan.no_reach).to_string())?;
        let resp: web_sys::Response = resp.dyn_into().map_err(js_text)?;
        let status = resp.status();
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if status == 202 && body["status"] == "queued_offline" {
            return Ok(Uploaded::Offline);
        }
        if status == 429 {
            let why = body["detail"].as_str().map(str::to_string);
            return Ok(Uploaded::Busy(
                why.unwrap_or_else(|| fill_in(td_string!(l, scan.upload_failed), &[("status", &status)])),
            ));
        }
        if (200..300).contains(&status) {
            let cards: Vec<i64> = body["cards"].as_array().into_iter().flatten().filter_map(|c| c.as_i64()).collect();
            return match body["id"].as_i64() {
                Some(_) if !cards.is_empty() => Ok(Uploaded::Queued(cards)),
                Some(id) => Ok(Uploaded::Queued(vec![id])),
                None => Err(td_string!(l, scan.unexpected).to_string()),
            };
        }
        Err(body["detail"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| fill_in(td_string!(l, scan.upload_failed), &[("status", &status)])))
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

    let start = move |_| {
        let Some(front) = browser::chosen(&front_input) else {
            error.set(Some(td_string!(l, scan.choose_front).into()));
            return;
        };
        let back = browser::chosen(&back_input);
        error.set(None);
        notice.set(None);
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
            Phase::Editing => view! {
                <ScanEditor ed=ed phase=phase error=error position=position go_next=go_next to_merge=to_merge/>
            }.into_any(),
            Phase::BatchDone => view! { <BatchDone batch=batch outcomes=outcomes to_merge=to_merge/> }.into_any(),
            Phase::Saved(saved) => view! { <SavedSummary saved=*saved on_again=Callback::new(move |_| reset())/> }.into_any(),
        }}
    }
}

#[component]
fn ScanEditor(
    ed: Editor,
    phase: RwSignal<Phase>,
    error: RwSignal<Option<String>>,
    /// In a stack: this card's place (1-based) and the stack's size.
    position: Signal<Option<(usize, usize)>>,
    /// In a stack: on to the next card, with what became of this one (`None`: nothing new).
    go_next: Callback<(i64, Option<Outcome>)>,
    /// In a stack: saved cards to merge with the stored contact they look like, listed at the end.
    to_merge: RwSignal<Vec<(i64, i64)>>,
) -> impl IntoView {
    let engine = ed.engine;
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let saving = RwSignal::new(false);
    let failed = move || {
        ed.front.with(|d| d.as_ref().filter(|d| d.status == "failed").map(|d| d.error.clone().unwrap_or_default()))
    };
    // A card already saved is shown read-only (saving it again is refused), with its contact.
    let saved_as = move || ed.front.with(|d| d.as_ref().and_then(|d| d.contact_id));
    let read_only = move || saved_as().is_some();
    let navigate = use_navigate();
    let discard = move |_| {
        error.set(None);
        phase.set(Phase::Choose);
        navigate("/scan", Default::default());
    };
    let rerun = move |_| {
        let (Some(front), back) = (ed.front.get_untracked(), ed.back.get_untracked()) else { return };
        let engine = engine.get_untracked();
        error.set(None);
        phase.set(Phase::Working(td_string!(l, scan.reading_again).into()));
        spawn_local(async move {
            let outcome: Result<(ScanDraft, Option<ScanDraft>), String> = async {
                api::rerun_scan(front.id, engine.clone()).await.map_err(|e| error_text(&e))?;
                if let Some(b) = &back {
                    api::rerun_scan(b.id, engine.clone()).await.map_err(|e| error_text(&e))?;
                }
                let fd = wait_read(front.id, Side::Front, l, phase).await?;
                let bd = match &back {
                    Some(b) => Some(wait_read(b.id, Side::Back, l, phase).await?),
                    None => None,
                };
                Ok((fd, bd))
            }
            .await;
            match outcome {
                Ok((fd, bd)) => ed.load(fd, bd),
                Err(e) => error.set(Some(e)),
            }
            phase.set(Phase::Editing);
        });
    };
    // Save the contact; `merge_with`: then merge it with that stored contact (at once, or in a
    // stack at its end). In a stack, on to the next card instead of the summary.
    let save_then = move |merge_with: Option<i64>| {
        let Some(front) = ed.front.get_untracked() else { return };
        if saving.get_untracked() {
            return;
        }
        let input = SaveScanInput { contact: ed.contact(), back_scan_id: ed.back.get_untracked().map(|b| b.id) };
        saving.set(true);
        error.set(None);
        spawn_local(async move {
            match api::save_scan(front.id, input).await {
                Ok(saved) => {
                    // Before moving on: the next card replaces this editor, and its signals go with it.
                    saving.set(false);
                    let c = &saved.contact;
                    match (position.get_untracked(), merge_with) {
                        (Some(_), m) => {
                            if let Some(other) = m {
                                to_merge.update(|v| v.push((c.id, other)));
                            }
                            let name = if c.full_name.is_empty() { c.company.clone() } else { c.full_name.clone() };
                            go_next.run((front.id, Some(Outcome::Saved { contact_id: c.id, name })));
                        }
                        (None, Some(other)) => {
                            crate::components::hard_navigate(&format!("/duplicates/merge?ids={other},{}", c.id))
                        }
                        (None, None) => phase.set(Phase::Saved(Box::new(saved))),
                    }
                }
                Err(e) => {
                    error.set(Some(error_text(&e)));
                    saving.set(false);
                }
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save_then(None);
    };
    let duplicate_draft = Memo::new(move |_| ed.duplicate_draft());
    let on_merge = Callback::new(move |other: i64| save_then(Some(other)));
    let on_save_anyway = Callback::new(move |_: ()| save_then(None));
    let skip = move |_| {
        if let Some(front) = ed.front.get_untracked() {
            let outcome = if front.contact_id.is_some() { None } else { Some(Outcome::Skipped) };
            go_next.run((front.id, outcome));
        }
    };
    let last_card = move || position.get().is_some_and(|(n, total)| n == total);
    let text_row = move |f: &str| ed.text(f).map(|s| view! { <FieldRow ed=ed field=s list=None/> }.into_any());
    let list_rows = move |list: RwSignal<Vec<Slot>>| {
        view! {
            <For each=move || list.get() key=|s| s.key let:item>
                <FieldRow ed=ed field=item list=Some(list)/>
            </For>
        }
        .into_any()
    };
    let add = move |list: RwSignal<Vec<Slot>>, field: &'static str| {
        let s = ed.new_slot(field);
        list.update(|l| l.push(s));
        if !ed.selected.with_untracked(Vec::is_empty) {
            ed.assign(s, false);
        }
    };
    let images = view! {
            <div class="scan-images">
                {move || failed().map(|e| view! { <div class="error">{t!(i18n, scan.could_not_read)}{e}{t!(i18n, scan.could_not_read_tail)}</div> })}
                {view! { <CardFigure ed=ed side=0/> }.into_any()}
                {move || ed.back.with(Option::is_some).then(|| view! { <CardFigure ed=ed side=1/> }.into_any())}
                <p class="muted small scan-help">{t!(i18n, scan.help_1)}<b>{t!(i18n, scan.assign)}</b>{t!(i18n, scan.help_2)}</p>
            </div>
    }
    .into_any();
    let form = view! {
            <form class="card scan-fields" class:read-only=read_only on:submit=save>
                {move || saved_as().map(|cid| view! {
                    <div class="scan-saved-note" role="status" style="display: flex; flex-wrap: wrap; align-items: center; gap: .6rem; padding-bottom: .8rem; margin-bottom: .9rem; border-bottom: 1px solid var(--line)">
                        <p style="margin: 0; flex: 1 1 14rem">{t!(i18n, scan.already_saved)}</p>
                        <A href=format!("/contacts/{cid}") attr:class="button primary">{t!(i18n, common.open_contact)}</A>
                    </div>
                })}
                <fieldset class="scan-body" disabled=read_only style="min-width: 0; margin: 0">
                <div class="scan-engine" style:display=move || if read_only() { "none" } else { "" }>
                    <span class="muted small">{move || ed.front.with(|d| d.as_ref().map(|d| {
                        let by = fill_in(td_string!(l, scan.read_by), &[("engine", &d.engine.clone().unwrap_or_else(|| "—".into()))]);
                        let took = d
                            .total_ms
                            .map(|ms| fill_in(td_string!(l, scan.in_seconds), &[("seconds", &format!("{:.1}", ms as f64 / 1000.0))]))
                            .unwrap_or_default();
                        format!("{by}{took}")
                    }))}</span>
                    <select aria-label=t_string!(i18n, scan.engine) prop:value=move || engine.get() on:change=move |ev| engine.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, scan.automatic)}</option>
                        <option value="paddle">{t!(i18n, scan.paddle)}</option>
                        <option value="tesseract">{t!(i18n, scan.tesseract)}</option>
                        <option value="google">{t!(i18n, scan.google)}</option>
                    </select>
                    <button type="button" class="small-button" on:click=rerun title=t_string!(i18n, scan.read_again_title)>{t!(i18n, scan.read_again)}</button>
                </div>
                <fieldset>
                    <legend>{t!(i18n, contact.legend_name)}</legend>
                    <div class="scan-grid">{text_row("prefix")}{text_row("first_name")}{text_row("middle_name")}{text_row("last_name")}</div>
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, contact.legend_work)}</legend>
                    <div class="scan-grid">{text_row("company")}{text_row("position")}{text_row("department")}</div>
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, field.phones)}</legend>
                    {list_rows(ed.phones)}
                    <button type="button" class="small-button" on:click=move |_| add(ed.phones, "phone")>{t!(i18n, contact.add_phone)}</button>
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, scan.email_web)}</legend>
                    {list_rows(ed.emails)}
                    <button type="button" class="small-button" on:click=move |_| add(ed.emails, "email")>{t!(i18n, contact.add_email)}</button>
                    {text_row("website")}
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, field.address)}</legend>
                    {text_row("address")}
                </fieldset>
                </fieldset>
                <crate::pages::merge::DuplicateWarning draft=duplicate_draft on_merge=on_merge on_save=on_save_anyway/>
                <div class="form-actions scan-actions">
                    {move || (!read_only()).then(|| view! {
                        <button type="submit" class="primary" disabled=move || saving.get()>
                            {move || if saving.get() {
                                t_string!(i18n, common.saving)
                            } else if position.get().is_none() {
                                t_string!(i18n, scan.save_contact)
                            } else if last_card() {
                                t_string!(i18n, scan.save_finish)
                            } else {
                                t_string!(i18n, scan.save_next)
                            }}
                        </button>
                    })}
                    {move || if position.get().is_some() {
                        view! {
                            <button type="button" class="scan-skip" on:click=skip>
                                {move || if read_only() { t_string!(i18n, scan.next_card) } else { t_string!(i18n, scan.skip) }}
                            </button>
                        }.into_any()
                    } else {
                        let discard = discard.clone();
                        view! {
                            <button type="button" on:click=discard>{move || if read_only() { t_string!(i18n, common.scan_another) } else { t_string!(i18n, scan.discard) }}</button>
                        }.into_any()
                    }}
                </div>
            </form>
    }
    .into_any();
    view! { <div class="scan-editor">{images}{form}</div> }
}

#[component]
fn FieldRow(ed: Editor, field: Slot, list: Option<RwSignal<Vec<Slot>>>) -> impl IntoView {
    let slot = field;
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let label = field_label(l, slot.field).unwrap_or(slot.field);
    let has_selection = move || !ed.selected.with(Vec::is_empty);
    let kinds = matches!(slot.field, "phone" | "email");
    let input_type = match slot.field {
        "email" => "email",
        "phone" => "tel",
        _ => "text",
    };
    let on_input = move |ev| {
        let v = event_target_value(&ev);
        if v.trim().is_empty() {
            slot.blocks.set(Vec::new());
        }
        slot.value.set(v);
    };
    view! {
        <div class="scan-field" data-field=slot.field
            class:linked=move || ed.hovered.get() == Some(slot.key)
            on:mouseenter=move |_| ed.hovered.set(Some(slot.key))
            on:mouseleave=move |_| ed.hovered.set(None)
            on:focusin=move |_| ed.hovered.set(Some(slot.key))
            on:focusout=move |_| ed.hovered.set(None)>
            <div class="scan-field-head">
                <span class="scan-field-label">{label}</span>
                <span class="scan-field-blocks" title=t_string!(i18n, scan.blocks_title)>
                    {move || slot.blocks.get().into_iter().map(|b| view! { <span class="block-tag">{block_label(b)}</span> }).collect_view()}
                </span>
                {move || has_selection().then(|| view! {
                    <button type="button" class="assign" title=t_string!(i18n, scan.assign_title)
                        on:click=move |_| ed.assign(slot, false)>{t!(i18n, scan.assign)}</button>
                    {(!slot.value.get().trim().is_empty()).then(|| view! {
                        <button type="button" class="assign join" title=t_string!(i18n, scan.join_title)
                            on:click=move |_| ed.assign(slot, true)>{t!(i18n, scan.join)}</button>
                    })}
                })}
            </div>
            <div class="scan-field-input">
                {kinds.then(|| view! {
                    <select aria-label=fill_in(td_string!(l, contact.kind_of), &[("what", &label)]) prop:value=move || slot.kind.get() on:change=move |ev| slot.kind.set(event_target_value(&ev))>
                        {CONTACT_KINDS.iter().map(|k| view! { <option value=*k selected=slot.kind.get_untracked() == *k>{kind_label(l, k)}</option> }).collect_view()}
                    </select>
                })}
                {if slot.field == "address" {
                    view! { <textarea name=slot.field aria-label=label rows="2" prop:value=move || slot.value.get() on:input=on_input></textarea> }.into_any()
                } else {
                    view! { <input type=input_type name=slot.field aria-label=label prop:value=move || slot.value.get() on:input=on_input/> }.into_any()
                }}
                {list.map(|l| view! {
                    <button type="button" class="icon" title=t_string!(i18n, contact.remove_this)
                        on:click=move |_| l.update(|v| v.retain(|s| s.key != slot.key))>"✕"</button>
                })}
            </div>
        </div>
    }
    .into_any()
}

/// The photo with every text block outlined (SVG in image pixels, scaled with the image), and the
/// blocks as a list of buttons below it.
#[component]
fn CardFigure(ed: Editor, side: u8) -> impl IntoView {
    let draft = if side == 0 { ed.front } else { ed.back };
    let i18n = use_i18n();
    move || {
        draft.get().map(|d| {
            let (w, h) = (d.width, d.height);
            let font = (w.max(h) as f32 / 55.0).max(10.0);
            let src = format!("/api/v1/scans/{}/image", d.id);
            let title = if side == 0 { t_string!(i18n, scan.front) } else { t_string!(i18n, scan.back_side) };
            let blocks = d.lines.iter().cloned().enumerate().map(|(i, l)| {
                let b: BlockRef = (side, i);
                let points = l.quad.iter().map(|p| format!("{:.0},{:.0}", p[0], p[1])).collect::<Vec<_>>().join(" ");
                let (lx, ly) = l.quad.first().map(|p| (p[0], p[1])).unwrap_or_default();
                view! {
                    <g class="block" data-block=block_label(b)
                        class:selected=move || ed.selected.with(|s| s.contains(&b))
                        class:linked=move || ed.is_linked(b)
                        class:used=move || ed.is_used(b)
                        on:click=move |_| ed.toggle(b)>
                        <polygon points=points vector-effect="non-scaling-stroke"></polygon>
                        <text x=format!("{lx:.0}") y=format!("{:.0}", (ly - font * 0.3).max(font)) font-size=format!("{font:.0}")>{block_label(b)}</text>
                    </g>
                }
                .into_any()
            }).collect_view();
            let list = d.lines.iter().cloned().enumerate().map(|(i, l)| {
                let b: BlockRef = (side, i);
                view! {
                    <li>
                        <button type="button" class="block-chip" data-block=block_label(b)
                            class:selected=move || ed.selected.with(|s| s.contains(&b))
                            class:linked=move || ed.is_linked(b)
                            class:used=move || ed.is_used(b)
                            aria-pressed=move || if ed.selected.with(|s| s.contains(&b)) { "true" } else { "false" }
                            on:click=move |_| ed.toggle(b)>
                            <span class="block-no">{block_label(b)}</span>
                            <span class="block-text">{l.text.clone()}</span>
                        </button>
                    </li>
                }
                .into_any()
            }).collect_view();
            view! {
                <figure class="card scan-figure">
                    <figcaption class="small muted">{title}" · "{count_text!(i18n, d.lines.len(), blocks_one, blocks_few, blocks_many)}</figcaption>
                    <div class="scan-stage" style=format!("aspect-ratio: {} / {}", w.max(1), h.max(1))>
                        <img src=src alt=fill_in(t_string!(i18n, scan.card_alt), &[("side", &title)])/>
                        {(w > 0 && h > 0).then(|| view! {
                            <svg class="scan-overlay" viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" role="group" aria-label=t_string!(i18n, scan.detected_blocks)>
                                {blocks}
                            </svg>
                        })}
                    </div>
                    <ol class="block-list">{list}</ol>
                </figure>
            }
            .into_any()
        })
    }
}

fn field_name(f: &str) -> String {
    let s = f.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[component]
fn SavedSummary(saved: SavedScan, on_again: Callback<()>) -> impl IntoView {
    let c = saved.contact;
    let href = format!("/contacts/{}", c.id);
    let name = if c.full_name.is_empty() { c.company.clone() } else { c.full_name.clone() };
    let changed = saved.fields.iter().filter(|f| f.changed()).count();
    let total = saved.fields.len();
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let summary = if changed == 0 {
        fill_in(t_string!(i18n, scan.all_as_read), &[("total", &total)])
    } else {
        fill_in(t_string!(i18n, scan.corrected), &[("changed", &changed), ("total", &total)])
    };
    let (read, saved_col) = (t_string!(i18n, scan.read), t_string!(i18n, scan.saved_col));
    view! {
        <section class="card scan-saved" role="status">
            <h2>{t!(i18n, scan.saved)}<A href=href.clone()>{name}</A></h2>
            <p class="muted">{summary}</p>
            <table class="scan-compare">
                <thead><tr><th>{t!(i18n, scan.field)}</th><th>{t!(i18n, scan.read_from_card)}</th><th>{saved_col}</th></tr></thead>
                <tbody>
                    {saved.fields.into_iter().map(|f| {
                        let changed = f.changed();
                        view! {
                            <tr class:changed=changed>
                                <th scope="row">{field_label(l, &f.field).map(str::to_string).unwrap_or_else(|| field_name(&f.field))}</th>
                                <td class="read" data-label=read>{if f.read.is_empty() { "—".to_string() } else { f.read.clone() }}</td>
                                <td class="saved" data-label=saved_col>{if f.saved.is_empty() { "—".to_string() } else { f.saved.clone() }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="form-actions">
                <A href=href attr:class="button primary">{t!(i18n, common.open_contact)}</A>
                <button type="button" on:click=move |_| on_again.run(())>{t!(i18n, common.scan_another)}</button>
            </div>
        </section>
    }
}

/// The card images saved with a contact (shown on its page; nothing when it has none).
#[component]
pub fn CardImages(contact_id: i64) -> impl IntoView {
    let cards = Resource::new(move || contact_id, api::contact_cards);
    let i18n = use_i18n();
    view! {
        <Transition fallback=|| ()>
            {move || cards.get().and_then(Result::ok).filter(|c| !c.is_empty()).map(|cards| view! {
                <section class="card card-images">
                    <h2>{t!(i18n, scan.business_card)}</h2>
                    <div class="card-images-row">
                        {cards.into_iter().map(|c| {
                            let side = if c.side == "back" { t_string!(i18n, scan.back_side) } else { t_string!(i18n, scan.front) };
                            let alt = fill_in(t_string!(i18n, scan.bc_alt), &[("side", &side)]);
                            view! {
                                <figure>
                                    <a href=c.url.clone() target="_blank" rel="noopener"><img src=c.url.clone() alt=alt loading="lazy"/></a>
                                    <figcaption class="small muted">{side}</figcaption>
                                </figure>
                            }
                        }).collect_view()}
                    </div>
                </section>
            })}
        </Transition>
    }
}

/// Above the editor in a stack: which card of how many, a bar, and the way back.
#[component]
fn BatchBar(position: Signal<Option<(usize, usize)>>, batch: Memo<Vec<i64>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        position.get().map(|(n, total)| {
            let ids = batch.get();
            let previous = (n > 1).then(|| batch_href(&ids, ids.get(n - 2).copied()));
            let percent = format!("width: {:.1}%", (n - 1) as f64 * 100.0 / total as f64);
            view! {
                <nav class="card scan-batch" aria-label=t_string!(i18n, scan.stack_title)>
                    <strong class="scan-batch-place">{fill_in(t_string!(i18n, scan.card_of), &[("n", &n), ("total", &total)])}</strong>
                    <div class="progress-bar determinate" role="progressbar" aria-valuemin="0" aria-valuemax=total aria-valuenow=n - 1>
                        <span style=percent></span>
                    </div>
                    {previous.map(|href| view! { <A href=href attr:class="button small-button">{t!(i18n, scan.previous_card)}</A> })}
                </nav>
            }
        })
    }
}

/// The end of a stack: what was saved, skipped, and is to be merged.
#[component]
fn BatchDone(
    batch: Memo<Vec<i64>>,
    outcomes: RwSignal<Vec<(i64, Outcome)>>,
    to_merge: RwSignal<Vec<(i64, i64)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let ids = batch.get();
        let done = outcomes.get();
        let total = ids.len();
        let saved: Vec<(i64, String)> = ids
            .iter()
            .filter_map(|id| match done.iter().find(|(d, _)| d == id) {
                Some((_, Outcome::Saved { contact_id, name })) => Some((*contact_id, name.clone())),
                _ => None,
            })
            .collect();
        let skipped: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| matches!(done.iter().find(|(d, _)| d == id), Some((_, Outcome::Skipped))))
            .collect();
        let unseen: Vec<i64> = ids.iter().copied().filter(|id| !done.iter().any(|(d, _)| d == id)).collect();
        let summary = fill_in(
            t_string!(i18n, scan.stack_summary),
            &[("saved", &saved.len()), ("skipped", &skipped.len()), ("total", &total)],
        );
        let merges = to_merge.get();
        let card_link = {
            let ids = ids.clone();
            move |id: i64| {
                let place = ids.iter().position(|x| *x == id).map(|p| p + 1).unwrap_or(0);
                view! { <li><A href=batch_href(&ids, Some(id))>{fill_in(t_string!(i18n, scan.card_n), &[("n", &place)])}</A></li> }
            }
        };
        view! {
            <section class="card scan-batch-done" role="status">
                <h2>{t!(i18n, scan.stack_done)}</h2>
                <p>{summary}</p>
                {(!saved.is_empty()).then(|| view! {
                    <ul class="scan-batch-saved">
                        {saved.into_iter().map(|(cid, name)| view! { <li><A href=format!("/contacts/{cid}")>{name}</A></li> }).collect_view()}
                    </ul>
                })}
                {(!merges.is_empty()).then(|| view! {
                    <h3>{t!(i18n, scan.stack_to_merge)}</h3>
                    <ul class="scan-batch-merge">
                        {merges.into_iter().map(|(new, other)| view! {
                            <li><a href=format!("/duplicates/merge?ids={other},{new}")>{fill_in(t_string!(i18n, scan.merge_pair), &[("new", &new), ("other", &other)])}</a></li>
                        }).collect_view()}
                    </ul>
                })}
                {(!skipped.is_empty()).then(|| view! {
                    <h3>{t!(i18n, scan.stack_skipped)}</h3>
                    <ul class="scan-batch-skipped">{skipped.into_iter().map(card_link.clone()).collect_view()}</ul>
                })}
                {(!unseen.is_empty()).then(|| view! {
                    <h3>{t!(i18n, scan.stack_unseen)}</h3>
                    <ul class="scan-batch-unseen">{unseen.into_iter().map(card_link.clone()).collect_view()}</ul>
                })}
                <div class="form-actions">
                    <A href="/" attr:class="button primary">{t!(i18n, scan.open_contacts)}</A>
                    <A href="/scan" attr:class="button">{t!(i18n, scan.scan_more)}</A>
                </div>
            </section>
        }
    }
}
