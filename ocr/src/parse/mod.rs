//! Card text → contact fields.
//!
//! The parser works on recognised lines with their boxes:
//! 1. the reading frame is taken from the boxes (so a rotated card reads the same as an upright one),
//! 2. contact lines are recognised by pattern: e-mails and URLs (tolerating the usual OCR confusions),
//!    phones with their labels (EN/DE/FR/RU/ES/IT…, plus the Latin look-alikes PP-OCR writes for
//!    Cyrillic labels), addresses (postcodes, street words, house numbers, labels),
//! 3. the remaining text lines are assigned to name / position / department / company by keyword
//!    lists (extendable by [`ParseHints`]), agreement with the e-mail user name and the web domain,
//!    and layout (text height, vertical order, column).
//!
//! Every field records the indexes of the lines it came from.
//!
//! [`parse_card`] (here) runs the steps in order; the rules live in the submodules, by concern:
//! `layout` (the line records, reading frame, split and joined boxes, columns), `scripts`
//! (look-alike letters, transliteration, Latin letters in Cyrillic lines), `text` (word and letter
//! helpers), `email_web`, `phones`, `addresses`, `names`, `companies_titles` (company, department
//! and job title) and `words` (their keyword lists).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Line;

/// What the parser finds on a card: the contact fields, each with the indexes of the lines it
/// came from. The same type the draft editor holds (`card_reading::ScanFields`): one card type from
/// the parser to the editor.
pub use card_reading::ScanFields as ParsedCard;
/// A phone read from a card: kind (`mobile | work | fax | home | other`), the number as printed
/// (cleaned of OCR confusions), its E.164 form and its lines.
pub use card_reading::ScanPhone as ParsedPhone;
/// A field read from a card and the indexes of the lines it came from.
pub use card_reading::ScanValue as ParsedField;

/// Knowledge that improves parsing; the service fills it from what users corrected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseHints {
    /// ISO 3166 region for national numbers when the card gives no clue ("US", "DE", …).
    pub default_region: String,
    /// Company names users saved before: a line equal to (or containing) one is the company.
    pub known_companies: Vec<String>,
    /// Extra job-title words (lower case) beyond the built-in lists.
    pub title_words: Vec<String>,
}

impl Default for ParseHints {
    fn default() -> Self {
        ParseHints { default_region: "US".into(), known_companies: Vec::new(), title_words: Vec::new() }
    }
}

/// [`parse_card`] reads at most this many lines (a card has a few dozen; the rest is ignored).
pub const MAX_PARSE_LINES: usize = 200;
/// ... of at most this many characters each (a card line has well under a hundred).
pub const MAX_LINE_CHARS: usize = 500;
/// ... and keeps at most this many phone numbers.
pub const MAX_PHONES: usize = 16;

fn field(value: impl Into<String>, blocks: Vec<usize>) -> Option<ParsedField> {
    let value = value.into();
    let value = value.trim();
    if value.is_empty() {
        None
    } else {
        Some(ParsedField { value: value.to_string(), blocks })
    }
}

/// `re!(vis NAME, pattern)`: a regex compiled on first use (defined before the submodules so they can use it).
macro_rules! re {
    ($vis:vis $name:ident, $pat:expr) => {
        $vis static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).unwrap());
    };
}

mod addresses;
mod companies_titles;
mod email_web;
mod layout;
mod names;
mod phones;
mod scripts;
mod text;
mod words;

use addresses::{add_address, is_address, mark_street_lines};
use companies_titles::{add_company, add_department, add_position, best_company_line, company_line, department_lines};
use email_web::{add_emails, add_website, card_domains, email_in_line, email_users, web_in_line};
use layout::{read_lines, text_line_below, text_lines, Kind, L};
use names::{join_name_fragments, pick_name_line, split_name};
use phones::{add_phones, is_phone_line};
use scripts::latinize;

pub(crate) use companies_titles::is_builtin_title_word;

/// Parse recognised lines into contact fields.
///
/// The work is bounded whatever the input: at most [`MAX_PARSE_LINES`] lines of at most
/// [`MAX_LINE_CHARS`] characters are read, and at most [`MAX_PHONES`] numbers kept.
///
/// The steps, in order (each step's own documentation says what it decides):
/// 1. the lines in the card's reading frame (`layout.rs`);
/// 2. contact lines: e-mail, web, phone and address lines by pattern, then the e-mail addresses
///    and the website (`email_web.rs`);
/// 3. what the e-mail and web addresses say: user names and the card's own domains;
/// 4. the name line, chosen before the address grows so that it and the line under it stay out of
///    the address (`names.rs`), then the address (`addresses.rs`) and the phones (`phones.rs`);
/// 5. the remaining free-text lines: name split, company candidate, position, department and
///    company (`companies_titles.rs`).
pub fn parse_card(lines: &[Line], hints: &ParseHints) -> ParsedCard {
    let mut card = ParsedCard::default();
    let lines = &lines[..lines.len().min(MAX_PARSE_LINES)];
    if lines.is_empty() {
        return card;
    }
    let mut ls = read_lines(lines);

    // --- contact lines -------------------------------------------------------------------------
    let (emails, webs) = classify_contact_lines(&mut ls);
    mark_street_lines(&mut ls);
    add_emails(&mut card, &emails, &webs, &ls);
    add_website(&mut card, &webs);

    // --- what the e-mail and web addresses say about the name and company -------------------------
    let users = email_users(&card);
    let domains = card_domains(&card);
    join_name_fragments(&mut ls, &users);

    // --- name, then address and phones -----------------------------------------------------------
    let text_idx = text_lines(&ls);
    let dept = department_lines(&ls, &text_idx);
    let name_i = pick_name_line(&ls, &text_idx, &dept, hints, &users, &domains);
    let keep: Vec<usize> = name_i.into_iter().chain(name_i.and_then(|ni| text_line_below(&ls, ni))).collect();
    add_address(&mut card, &mut ls, hints, &users, &domains, &keep);
    add_phones(&mut card, &ls, hints);

    // --- position / department / company ---------------------------------------------------------
    let text_idx: Vec<usize> = text_idx.into_iter().filter(|&i| ls[i].kind == Kind::Text).collect();
    if text_idx.is_empty() {
        return card;
    }
    let mut ft = FreeText { ls: &ls, lines: text_idx, dept, used: HashSet::new() };
    if let Some(i) = name_i {
        ft.used.insert(i);
        split_name(&ls[i].text, &[ls[i].idx], &users, &mut card);
    }
    let best_comp = best_company_line(&ft, hints, &domains);
    // Strong company evidence wins; weak evidence ("and" in a job title) may yield to the position rule.
    let strong_comp = best_comp.filter(|(_, s)| *s >= 2.0).map(|(i, _)| i);
    if let Some(i) = strong_comp {
        ft.used.insert(i);
    }
    add_position(&mut card, &mut ft, name_i, best_comp, hints);
    add_department(&mut card, &mut ft);
    if let Some(i) = company_line(&ft, strong_comp, best_comp) {
        add_company(&mut card, &mut ft, i, hints, &domains);
    }
    card
}

/// An e-mail address found on a line: (address, line index, the line's text).
type FoundEmail = (String, usize, String);
/// A web address found on a line: (address, line index).
type FoundWeb = (String, usize);

/// Each line's kind, the first that fits in this order: e-mail, web address, phone, address, else
/// free text. Returns the e-mail and web addresses found, in reading order.
fn classify_contact_lines(ls: &mut [L]) -> (Vec<FoundEmail>, Vec<FoundWeb>) {
    let mut emails: Vec<FoundEmail> = Vec::new();
    let mut webs: Vec<FoundWeb> = Vec::new();
    for l in ls.iter_mut() {
        let lat = latinize(&l.text);
        if let Some(e) = email_in_line(&lat) {
            emails.push((e, l.idx, l.text.clone()));
            l.kind = Kind::Email;
            continue;
        }
        if let Some(w) = web_in_line(&lat) {
            webs.push((w, l.idx));
            l.kind = Kind::Web;
            continue;
        }
        if is_phone_line(&l.text) {
            l.kind = Kind::Phone;
            continue;
        }
        if is_address(&l.text) {
            l.kind = Kind::Address;
        }
    }
    (emails, webs)
}

/// The working state of the last steps, which share out the free-text lines among name, company,
/// position and department.
struct FreeText<'a> {
    /// All lines of the card.
    ls: &'a [L],
    /// Indexes into `ls` of the lines still free text after the address grew.
    lines: Vec<usize>,
    /// The department lines (by keyword, chosen before the name).
    dept: Vec<usize>,
    /// Lines already given to a field.
    used: HashSet<usize>,
}

#[cfg(test)]
mod tests;
