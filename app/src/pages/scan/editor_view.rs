//! The editor on the page: the photo with its blocks outlined, the field rows, save and the
//! way on in a stack ([`ScanEditor`]).

use super::*;

#[component]
pub(super) fn ScanEditor(
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
    // Read on this device: no server scan to read again; the photos go only if the person keeps them.
    let on_device = move || ed.front.with(|d| d.as_ref().is_some_and(super::device::is_device));
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
        let local = if super::device::is_device(&front) { ed.local.get_value() } else { None };
        let contact = ed.contact();
        let input = SaveScanInput { contact: contact.clone(), back_scan_id: ed.back.get_untracked().map(|b| b.id) };
        let keep_photos = ed.keep_photos.get_untracked();
        saving.set(true);
        error.set(None);
        spawn_local(async move {
            // A card read on this device goes with its readings (and the photos, if kept); without
            // a connection the service worker keeps it and sends it later.
            let answer = match &local {
                Some(card) => match super::device::save(contact, card, keep_photos, l).await {
                    Ok(super::device::DeviceSaved::Saved(saved)) => Ok(*saved),
                    Ok(super::device::DeviceSaved::Queued) => {
                        saving.set(false);
                        phase.set(Phase::SavedOffline);
                        return;
                    }
                    Err(e) => Err(e),
                },
                None => api::save_scan(front.id, input).await.map_err(|e| error_text(&e)),
            };
            match answer {
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
                    error.set(Some(e));
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
                {move || on_device().then(|| view! {
                    <div class="scan-engine scan-device">
                        <span class="muted small">{move || ed.front.with(|d| d.as_ref().map(|d| {
                            let took = d
                                .total_ms
                                .map(|ms| fill_in(td_string!(l, scan.in_seconds), &[("seconds", &format!("{:.1}", ms as f64 / 1000.0))]))
                                .unwrap_or_default();
                            format!("{}{took}", td_string!(l, scan.read_on_device))
                        }))}</span>
                        <label class="check keep-photo small">
                            <input type="checkbox" name="keep_photo" prop:checked=move || ed.keep_photos.get()
                                on:change=move |ev| ed.keep_photos.set(event_target_checked(&ev))/>
                            {t!(i18n, scan.keep_photo)}
                        </label>
                    </div>
                })}
                <div class="scan-engine" style:display=move || if read_only() || on_device() { "none" } else { "" }>
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
pub(super) fn FieldRow(ed: Editor, field: Slot, list: Option<RwSignal<Vec<Slot>>>) -> impl IntoView {
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
pub(super) fn CardFigure(ed: Editor, side: u8) -> impl IntoView {
    let draft = if side == 0 { ed.front } else { ed.back };
    let i18n = use_i18n();
    move || {
        draft.get().map(|d| {
            let (w, h) = (d.width, d.height);
            let font = (w.max(h) as f32 / 55.0).max(10.0);
            let src = ed.image_src(&d, side);
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

pub(super) fn field_name(f: &str) -> String {
    let s = f.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
