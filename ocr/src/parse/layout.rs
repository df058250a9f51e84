//! The card's lines as the parser sees them: one record ([`L`]) per recognised line in the card's own
//! reading frame (kind, extent across, position down, type size), the clean-up of boxes that split or
//! join lines, and the geometry questions the steps ask (same column, next line).

use std::sync::LazyLock;

use regex::Regex;

use super::phones::label_kind;
use super::scripts::fix_mixed_script;
use super::text::{count_digits, count_letters, truncate_chars};
use super::MAX_LINE_CHARS;
use crate::Line;

re!(RE_SPACES, r"\s+");

/// What a line was recognised as; `Text` lines are shared out among name, position, department and company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Email,
    Web,
    Phone,
    Address,
}

/// One line of the card in its reading frame.
#[derive(Debug, Clone)]
pub(super) struct L {
    /// Index of the input line it came from (what [`super::ParsedField::blocks`] records).
    pub(super) idx: usize,
    /// Input lines joined to it (a short fragment on the same row, such as "+49" before a
    /// number, see [`join_row_fragments`]): they are sources of what is read from it too.
    pub(super) joined: Vec<usize>,
    pub(super) text: String,
    /// Left and right ends along the reading direction.
    x0: f32,
    x1: f32,
    /// Position down the card (across the reading direction).
    pub(super) y: f32,
    /// Line height (type size).
    pub(super) h: f32,
    pub(super) kind: Kind,
}

impl L {
    /// The input lines its text came from, in input order.
    pub(super) fn sources(&self) -> Vec<usize> {
        let mut all = self.joined.clone();
        all.push(self.idx);
        all.sort_unstable();
        all.dedup();
        all
    }
}

fn clean_text(s: &str) -> String {
    let s = RE_SPACES.replace_all(s.trim(), " ").to_string();
    let s = s.trim_matches(|c: char| c == '|' || c == '_' || c == '•' || c == '·' || c == '*').trim().to_string();
    fix_mixed_script(&s)
}

/// The card's lines in reading order: each non-empty line cleaned and placed in the card's own
/// reading frame (so a rotated card reads the same as an upright one), sorted down the card; then a
/// box spanning two columns is split and a label boxed apart from its number joined back to it.
pub(super) fn read_lines(lines: &[Line]) -> Vec<L> {
    // Reading frame from the boxes: mean top-edge direction weighted by width.
    let (mut rx, mut ry) = (0f32, 0f32);
    for l in lines {
        rx += l.quad[1].x - l.quad[0].x;
        ry += l.quad[1].y - l.quad[0].y;
    }
    let n = (rx * rx + ry * ry).sqrt();
    let (rx, ry) = if n > 0.0 { (rx / n, ry / n) } else { (1.0, 0.0) };
    let (dx, dy) = (-ry, rx);
    let mut ls: Vec<L> = lines
        .iter()
        .enumerate()
        .filter_map(|(idx, l)| {
            let text = clean_text(truncate_chars(&l.text, MAX_LINE_CHARS));
            if text.is_empty() {
                return None;
            }
            let xs: Vec<f32> = l.quad.iter().map(|p| p.x * rx + p.y * ry).collect();
            let c = l.center();
            Some(L {
                idx,
                joined: Vec::new(),
                text,
                x0: xs.iter().cloned().fold(f32::MAX, f32::min),
                x1: xs.iter().cloned().fold(f32::MIN, f32::max),
                y: c.x * dx + c.y * dy,
                h: l.height(),
                kind: Kind::Text,
            })
        })
        .collect();
    ls.sort_by(|a, b| a.y.total_cmp(&b.y));
    ls = split_mixed_lines(ls);
    ls = join_row_fragments(ls);
    ls
}

/// Indexes of the free-text lines with two or more letters: what the name, position, department
/// and company are chosen from.
pub(super) fn text_lines(ls: &[L]) -> Vec<usize> {
    (0..ls.len()).filter(|&i| ls[i].kind == Kind::Text && count_letters(&ls[i].text) >= 2).collect()
}

/// The next line under line `ni` in its column, if it is free text (the title's place under a name).
pub(super) fn text_line_below(ls: &[L], ni: usize) -> Option<usize> {
    (ni + 1..ls.len())
        .filter(|&i| overlaps(&ls[ni], &ls[i]))
        .min_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y))
        .filter(|&i| ls[i].kind == Kind::Text && ls[i].y - ls[ni].y < 4.0 * ls[ni].h.max(ls[i].h))
}

/// Whether `b` is the next line after `a` in the same column and type size (within `gap` line heights).
pub(super) fn adjacent(a: &L, b: &L, gap: f32) -> bool {
    let (h0, h1) = (a.h.min(b.h), a.h.max(b.h));
    overlaps(a, b) && h1 <= 1.3 * h0 && (b.y - a.y).abs() < gap * h1
}

/// "Т8" | "(812) 514-38-50": a label (and trunk digit) boxed apart from the number right of it on
/// the same row is put back in front of it.
fn join_row_fragments(mut ls: Vec<L>) -> Vec<L> {
    let mut i = 0;
    while i < ls.len() {
        let a = &ls[i];
        let short = a.text.chars().count() <= 4 && a.text.chars().any(|c| c.is_alphanumeric());
        let j = short
            .then(|| {
                (0..ls.len()).find(|&j| {
                    let b = &ls[j];
                    j != i
                        && (b.y - a.y).abs() < 0.6 * a.h.max(b.h)
                        && b.x0 >= a.x1 - 0.5 * a.h
                        && b.x0 - a.x1 < 3.0 * a.h.max(b.h)
                        && b.text.starts_with(|c: char| c.is_ascii_digit() || c == '(' || c == '+')
                        && count_digits(&b.text) >= 6
                })
            })
            .flatten();
        if let Some(j) = j {
            let (text, x0) = (format!("{} {}", ls[i].text, ls[j].text), ls[i].x0);
            let mut sources = std::mem::take(&mut ls[i].joined);
            sources.push(ls[i].idx);
            ls[j].text = text;
            ls[j].x0 = x0;
            ls[j].joined.extend(sources);
            ls.remove(i);
        } else {
            i += 1;
        }
    }
    ls
}

/// A detector box can span two columns ("Sales manager      jo@x.com"): split off free text that
/// precedes an e-mail or web address (keeping labels such as "E-mail:" with the address).
fn split_mixed_lines(ls: Vec<L>) -> Vec<L> {
    let mut out = Vec::with_capacity(ls.len());
    for l in ls {
        let words: Vec<&str> = l.text.split_whitespace().collect();
        let pos = words.iter().position(|w| {
            w.contains('@') || w.to_lowercase().starts_with("www.") || w.to_lowercase().starts_with("http")
        });
        // "h.williams @x.com": the word before a detached "@…" is the address's user name.
        let pos = pos.map(|p| if p >= 1 && words[p].starts_with('@') { p - 1 } else { p });
        // "Sebastiano Schuchhardt Mobi: +49 15 …": a name and a labelled number in one box.
        let phone_at = words.iter().enumerate().skip(2).position(|(k, w)| {
            w.ends_with(':')
                && label_kind(w).is_some()
                && words.get(k + 1).is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '('))
                && words[..k].iter().all(|h| count_digits(h) == 0)
        });
        if let (None, Some(k)) = (pos, phone_at.map(|k| k + 2)) {
            let head_text = words[..k].join(" ");
            if count_letters(&head_text) >= 3 {
                let frac = head_text.chars().count() as f32 / l.text.chars().count().max(1) as f32;
                let split_x = l.x0 + (l.x1 - l.x0) * frac;
                let tail_text = words[k..].join(" ");
                out.push(L { text: head_text, x1: split_x, ..l.clone() });
                out.push(L { text: tail_text, x0: split_x, ..l });
                continue;
            }
        }
        match pos {
            Some(p) if p >= 1 => {
                let mut head: Vec<&str> = words[..p].to_vec();
                // Trailing label words stay with the address.
                while let Some(w) = head.last() {
                    let lw = w.to_lowercase();
                    let lw = lw.trim_end_matches([':', '.']);
                    if [
                        "e-mail",
                        "email",
                        "mail",
                        "e",
                        "web",
                        "www",
                        "url",
                        "site",
                        "internet",
                        "сайт",
                        "почта",
                        "courriel",
                        "correo",
                    ]
                    .contains(&lw)
                    {
                        head.pop();
                    } else {
                        break;
                    }
                }
                if head.iter().map(|w| count_letters(w)).sum::<usize>() >= 3 {
                    let head_text = head.join(" ");
                    let frac = head_text.chars().count() as f32 / l.text.chars().count().max(1) as f32;
                    let split_x = l.x0 + (l.x1 - l.x0) * frac;
                    let tail_text = words[head.len()..].join(" ");
                    out.push(L { text: head_text, x1: split_x, ..l.clone() });
                    out.push(L { text: tail_text, x0: split_x, ..l });
                    continue;
                }
                out.push(l);
            }
            _ => out.push(l),
        }
    }
    out
}

pub(super) fn overlaps(a: &L, b: &L) -> bool {
    let ov = a.x1.min(b.x1) - a.x0.max(b.x0);
    ov > 0.0 || (a.x0 - b.x0).abs() < a.h.max(b.h)
}
