//! What is shown after saving: the saved card's summary, a stack's place and its end, and the
//! card images on a contact's page.

use super::*;

#[component]
pub(super) fn SavedSummary(saved: SavedScan, on_again: Callback<()>) -> impl IntoView {
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
pub(super) fn BatchBar(position: Signal<Option<(usize, usize)>>, batch: Memo<Vec<i64>>) -> impl IntoView {
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
pub(super) fn BatchDone(
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
