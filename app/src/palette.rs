//! The keyboard search overlay: Ctrl+K (⌘K on a Mac) or `/` on any signed-in page, or the
//! search button in the top bar. One box finds contacts (the search box's service: typos,
//! prefixes, Cyrillic typed in Latin letters) and the pages and actions of the app; the arrow
//! keys move, Enter opens, Escape closes.

use crate::api;
use crate::lang::{t, t_string, use_i18n, I18n};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use service::dto::SearchHit;
use std::time::Duration;

/// Contacts shown at most (the search box's own limit).
const CONTACTS: usize = 8;
/// How long typing pauses before the contacts are searched.
const PAUSE: Duration = Duration::from_millis(120);

/// One line of the list: where Enter takes the person.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    href: String,
    title: String,
    /// Shown under the title (a contact's company, e-mail …).
    detail: String,
    /// Matched but not shown (a page's other names: "camera" finds "Scan a card").
    words: &'static str,
    contact: bool,
}

/// The app's pages and actions, in the current language (the administration for admins only).
fn places(i18n: I18n, admin: bool) -> Vec<Entry> {
    let place = |href: &str, title: String, words: &'static str| Entry {
        href: href.to_string(),
        title,
        detail: String::new(),
        words,
        contact: false,
    };
    let mut all = vec![
        place("/", t_string!(i18n, nav.contacts).to_string(), "list home"),
        place(
            "/contacts/new",
            t_string!(i18n, contacts.new_contact).trim_start_matches("+ ").to_string(),
            "add create",
        ),
        place("/scan", t_string!(i18n, nav.scan).to_string(), "photo camera ocr"),
        place("/duplicates", t_string!(i18n, nav.duplicates).to_string(), "merge"),
        place("/labels", t_string!(i18n, nav.labels).to_string(), "tags groups"),
        place("/imports", t_string!(i18n, nav.imports).to_string(), "import export csv vcard excel"),
        place("/trash", t_string!(i18n, nav.trash).to_string(), "deleted restore"),
        place("/profile", t_string!(i18n, palette.profile).to_string(), "account password app passwords"),
    ];
    if admin {
        all.push(place("/admin/users", t_string!(i18n, nav.admin).to_string(), "users settings audit status"));
    }
    all
}

/// Pages whose name (or hidden words) contain every typed word; all of them for an empty query.
fn matching_places(all: &[Entry], q: &str) -> Vec<Entry> {
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    all.iter()
        .filter(|e| {
            let hay = format!("{} {}", e.title.to_lowercase(), e.words);
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .cloned()
        .collect()
}

fn contact_entry(h: &SearchHit) -> Entry {
    let detail = [Some(&h.company), Some(&h.position), h.email.as_ref(), h.phone.as_ref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    Entry { href: format!("/contacts/{}", h.id), title: h.full_name.clone(), detail, words: "", contact: true }
}

/// Whether a key press belongs to a text field (where `/` is typed, not a shortcut).
fn typing_in_a_field(ev: &leptos::ev::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    matches!(el.tag_name().to_ascii_lowercase().as_str(), "input" | "textarea" | "select")
        || el.get_attribute("contenteditable").is_some_and(|v| v != "false")
}

/// The overlay, closed until called; `open` is shared with the top bar's search button.
#[component]
pub fn CommandPalette(open: RwSignal<bool>, admin: bool) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let query = RwSignal::new(String::new());
    let hits: RwSignal<Vec<SearchHit>> = RwSignal::new(Vec::new());
    let searching = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    let input = NodeRef::<leptos::html::Input>::new();
    let all_places = StoredValue::new(places(i18n, admin));

    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        let chord = (ev.ctrl_key() || ev.meta_key()) && !ev.alt_key() && key.eq_ignore_ascii_case("k");
        let slash = key == "/" && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() && !typing_in_a_field(&ev);
        if chord || (slash && !open.get_untracked()) {
            ev.prevent_default();
            open.update(|o| *o = !*o || slash);
        }
    });
    on_cleanup(move || handle.remove());

    // Opened: an empty box; the focus in it once it is on the page. Closed: nothing left behind.
    Effect::new(move |_| {
        if !open.get() {
            query.set(String::new());
            hits.set(Vec::new());
            active.set(0);
        }
    });
    Effect::new(move |_| {
        if let (true, Some(el)) = (open.get(), input.get()) {
            let _ = el.focus();
        }
    });

    // Contacts for the words typed, after a short pause; an answer for older words is dropped.
    Effect::new(move |_| {
        let q = query.get();
        active.set(0);
        if q.trim().is_empty() {
            hits.set(Vec::new());
            searching.set(false);
            return;
        }
        searching.set(true);
        set_timeout(
            move || {
                if query.get_untracked() != q {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = api::search_contacts(q.clone()).await.unwrap_or_default();
                    if query.get_untracked() == q {
                        hits.set(found.into_iter().take(CONTACTS).collect());
                        searching.set(false);
                    }
                });
            },
            PAUSE,
        );
    });

    let entries = Memo::new(move |_| {
        let q = query.get();
        let mut list: Vec<Entry> = hits.get().iter().map(contact_entry).collect();
        list.extend(all_places.with_value(|all| matching_places(all, &q)));
        list
    });

    // Where to go: set by Enter or a click, followed here (the router's navigate stays in one
    // place, outside the event handlers).
    let target: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(href) = target.get() {
            open.set(false);
            navigate(&href, Default::default());
        }
    });
    let go = move |e: &Entry| target.set(Some(e.href.clone()));

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = entries.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + n - 1) % n);
            }
            "Enter" => {
                ev.prevent_default();
                let chosen = entries.with_untracked(|l| l.get(active.get_untracked()).cloned());
                if let Some(e) = chosen {
                    go(&e);
                }
            }
            "Escape" => {
                ev.prevent_default();
                open.set(false);
            }
            _ => {}
        }
    };

    view! {
        <Show when=move || open.get()>
        <div class="palette-backdrop" on:click=move |_| open.set(false)>
            <div class="palette" role="dialog" aria-modal="true" aria-label=move || t_string!(i18n, palette.title)
                on:click=|ev| ev.stop_propagation()>
                <input
                    node_ref=input
                    type="search"
                    class="palette-input"
                    role="combobox"
                    aria-expanded="true"
                    aria-controls="palette-list"
                    aria-activedescendant=move || format!("palette-item-{}", active.get())
                    autocomplete="off"
                    placeholder=move || t_string!(i18n, palette.placeholder)
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=on_key
                />
                <ul id="palette-list" class="palette-list" role="listbox">
                    {move || {
                        let list = entries.get();
                        let first_place = list.iter().position(|e| !e.contact);
                        list.into_iter()
                            .enumerate()
                            .map(|(i, e)| {
                                let heading = if i == 0 && e.contact {
                                    Some(t_string!(i18n, palette.contacts))
                                } else if Some(i) == first_place {
                                    Some(t_string!(i18n, palette.pages))
                                } else {
                                    None
                                };
                                let chosen = e.clone();
                                view! {
                                    {heading.map(|h| view! { <li class="palette-heading" role="presentation">{h}</li> })}
                                    <li
                                        id=format!("palette-item-{i}")
                                        role="option"
                                        class="palette-item"
                                        class:active=move || active.get() == i
                                        aria-selected=move || (active.get() == i).to_string()
                                        on:mousemove=move |_| if active.get_untracked() != i { active.set(i) }
                                        on:click=move |_| go(&chosen)
                                    >
                                        <span class="palette-title">{e.title.clone()}</span>
                                        {(!e.detail.is_empty()).then(|| view! { <span class="palette-detail">{e.detail.clone()}</span> })}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                    {move || (entries.with(Vec::is_empty) && !searching.get()).then(|| view! {
                        <li class="palette-empty" role="presentation">{t!(i18n, palette.nothing)}</li>
                    })}
                </ul>
                <p class="palette-hint small muted">{t!(i18n, palette.hint)}</p>
            </div>
        </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(href: &str, title: &str, words: &'static str) -> Entry {
        Entry { href: href.into(), title: title.into(), detail: String::new(), words, contact: false }
    }

    #[test]
    fn pages_match_their_name_or_hidden_words() {
        let all = vec![entry("/scan", "Scan a card", "photo camera"), entry("/trash", "Trash", "deleted restore")];
        let hrefs = |q: &str| matching_places(&all, q).into_iter().map(|e| e.href).collect::<Vec<_>>();
        assert_eq!(hrefs(""), vec!["/scan", "/trash"]);
        assert_eq!(hrefs("SCAN"), vec!["/scan"]);
        assert_eq!(hrefs("camera"), vec!["/scan"]);
        assert_eq!(hrefs("rest"), vec!["/trash"]);
        assert!(hrefs("scan trash").is_empty());
        // the hidden words are not shown
        assert!(matching_places(&all, "photo").iter().all(|e| e.detail.is_empty()));
    }

    #[test]
    fn a_contact_shows_two_of_its_details() {
        let h = SearchHit {
            id: 7,
            full_name: "Anna Petrova".into(),
            company: "Acme".into(),
            position: String::new(),
            phone: Some("+7 916".into()),
            email: Some("anna@acme.test".into()),
        };
        let e = contact_entry(&h);
        assert_eq!(e.href, "/contacts/7");
        assert_eq!(e.detail, "Acme · anna@acme.test");
    }
}
