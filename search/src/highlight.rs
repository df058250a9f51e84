//! Highlights: the query's pieces matched again against a hit's stored text, in the index's spellings.

use crate::query::{Group, Piece};
use crate::{text, ContactDoc, Highlight, MatchKind, MatchedField, EXACT, SNIPPET_CHARS, TYPO_FIELDS};

/// How `p` matches the word `w` (the best kind), and how many chars of it matched.
fn match_word(p: &Piece, w: &str, typos: bool) -> Option<(MatchKind, Option<usize>)> {
    let forms = text::word_forms(w);
    let mut best: Option<(MatchKind, Option<usize>)> = None;
    let mut consider = |k: MatchKind, n: Option<usize>| {
        if best.is_none_or(|(b, _)| k < b) {
            best = Some((k, n));
        }
    };
    match p {
        Piece::Digits(d) => {
            if forms.iter().any(|f| f == d) {
                consider(MatchKind::Exact, None);
            }
        }
        Piece::Word { forms: qf, prefix, typo_distance } => {
            for (i, f) in forms.iter().enumerate() {
                for q in qf {
                    if f == q {
                        consider(MatchKind::Exact, None);
                    } else if *prefix && f.starts_with(q.as_str()) {
                        // the prefix's length in the word as written, when this is its own spelling
                        consider(MatchKind::Prefix, (i == 0).then(|| q.chars().count()));
                    } else if typos && *typo_distance > 0 && strsim::osa_distance(f, q) <= *typo_distance as usize {
                        consider(MatchKind::Typo, None);
                    }
                }
            }
        }
    }
    best
}

/// Byte range of `w` (at `start` in its text) that a match covers.
fn span(start: usize, w: &str, chars: Option<usize>) -> (usize, usize) {
    let len = match chars.and_then(|n| w.char_indices().nth(n)) {
        Some((i, _)) => i,
        None => w.len(),
    };
    (start, start + len)
}

struct Best {
    score: f32,
    kind: MatchKind,
    field: MatchedField,
    value: usize,
}

pub(crate) fn highlight(c: &ContactDoc, groups: &[Group], typos: bool) -> (MatchedField, MatchKind, Highlight) {
    let values: Vec<(MatchedField, &str)> = [
        (MatchedField::Names, c.names.as_str()),
        (MatchedField::Company, c.company.as_str()),
        (MatchedField::Position, c.position.as_str()),
        (MatchedField::Address, c.address.as_str()),
        (MatchedField::Notes, c.notes.as_str()),
    ]
    .into_iter()
    .chain(c.emails.iter().map(|e| (MatchedField::Email, e.as_str())))
    .chain(c.phones.iter().map(|p| (MatchedField::Phone, p.as_str())))
    .collect();
    // for each value, the spans every piece matched in it; per piece its best value
    let mut spans: Vec<Vec<(usize, usize)>> = vec![Vec::new(); values.len()];
    let mut best_overall: Option<Best> = None;
    let mut worst_kind = MatchKind::Exact;
    let consider = |b: Best, best: &mut Option<Best>| {
        if best.as_ref().is_none_or(|x| b.score > x.score) {
            *best = Some(b);
        }
    };
    for g in groups {
        let mut group_best: Option<Best> = None;
        if let Some(whole) = &g.whole {
            for (vi, (f, v)) in values.iter().enumerate() {
                if *f != MatchedField::Email {
                    continue;
                }
                let lower = v.trim().to_lowercase();
                let lead = v.len() - v.trim_start().len();
                let kind = if lower == *whole || lower.split_once('@').is_some_and(|(l, _)| l == whole) {
                    MatchKind::Exact
                } else if lower.starts_with(whole.as_str()) {
                    MatchKind::Prefix
                } else {
                    continue;
                };
                let n = whole.chars().count();
                let end = v.trim_start().char_indices().nth(n).map_or(v.len(), |(i, _)| lead + i);
                spans[vi].push((lead, end));
                consider(Best { score: kind.weight() + f.boost(), kind, field: *f, value: vi }, &mut group_best);
            }
        }
        // an e-mail-like word that matched an address as a whole is shown there
        let whole_matched = group_best.is_some();
        if let Some(b) = &group_best {
            worst_kind = worst_kind.max(b.kind);
        }
        for p in g.pieces.iter().filter(|_| !whole_matched) {
            let mut piece_best: Option<Best> = None;
            for (vi, (f, v)) in values.iter().enumerate() {
                if *f == MatchedField::Phone {
                    if let Piece::Digits(d) = p {
                        let digits = text::digits(v);
                        if let Some(at) = digits.find(d.as_str()) {
                            // map digit positions back onto the written number
                            let pos: Vec<usize> =
                                v.char_indices().filter(|(_, ch)| ch.is_ascii_digit()).map(|(i, _)| i).collect();
                            spans[vi].push((pos[at], pos[at + d.len() - 1] + 1));
                            consider(
                                Best { score: EXACT + f.boost(), kind: MatchKind::Exact, field: *f, value: vi },
                                &mut piece_best,
                            );
                        }
                    }
                    continue;
                }
                let typos_here = typos && TYPO_FIELDS.contains(f);
                for (start, w) in text::words(v) {
                    if let Some((kind, chars)) = match_word(p, w, typos_here) {
                        spans[vi].push(span(start, w, chars));
                        consider(
                            Best { score: kind.weight() + f.boost(), kind, field: *f, value: vi },
                            &mut piece_best,
                        );
                    }
                }
            }
            if let Some(b) = &piece_best {
                worst_kind = worst_kind.max(b.kind);
            }
            if let Some(b) = piece_best {
                consider(b, &mut group_best);
            }
        }
        if let Some(b) = group_best {
            consider(b, &mut best_overall);
        }
    }
    let Some(best) = best_overall else {
        return (
            MatchedField::Names,
            if typos { MatchKind::Typo } else { MatchKind::Exact },
            Highlight { text: c.names.clone(), spans: vec![] },
        );
    };
    let mut s = std::mem::take(&mut spans[best.value]);
    s.sort_unstable();
    s.dedup();
    // overlapping spans merged
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in s {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let text = values[best.value].1;
    (best.field, worst_kind, snippet(text, merged))
}

/// Long values cut to about [`SNIPPET_CHARS`] chars around the first span.
fn snippet(text: &str, spans: Vec<(usize, usize)>) -> Highlight {
    if text.chars().count() <= SNIPPET_CHARS {
        return Highlight { text: text.to_string(), spans };
    }
    let first = spans.first().map_or(0, |s| s.0);
    let from = text[..first].char_indices().rev().nth(SNIPPET_CHARS / 4).map_or(0, |(i, _)| i);
    let to = text[from..].char_indices().nth(SNIPPET_CHARS).map_or(text.len(), |(i, _)| from + i);
    let spans = spans.into_iter().filter(|&(a, b)| a >= from && b <= to).map(|(a, b)| (a - from, b - from)).collect();
    Highlight { text: text[from..to].to_string(), spans }
}
