//! Embedded contact search for cardcrm: a tantivy index of contacts with exact, prefix
//! (as-you-type) and typo matching, Cyrillic typed in Latin and back, phone digits anywhere in a
//! number and e-mail local parts. No database: the service feeds it [`ContactDoc`]s and follows
//! its change log with the watermark ([`Index::last_change_id`]). See README.md.
//!
//! Every indexed field is a list of whole words (tantivy's `raw` tokenizer, one value per word),
//! tokenised here by [`text::words`] and [`text::word_forms`], which the query and the
//! highlighter use too, so what is indexed, searched and highlighted always agrees.

pub mod query;
pub mod text;

mod find;
mod highlight;
mod write;

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::schema::Field;
use tantivy::{IndexReader, IndexWriter};

/// One contact as the index sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactDoc {
    pub id: i64,
    /// Full name, first, last and middle names, in any order (all are searched as names).
    pub names: String,
    pub company: String,
    pub position: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub notes: String,
    pub address: String,
}

/// The field a hit matched best in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedField {
    Names,
    Company,
    Email,
    Phone,
    Position,
    Address,
    Notes,
}

impl MatchedField {
    pub const ALL: [MatchedField; 7] = [
        MatchedField::Names,
        MatchedField::Company,
        MatchedField::Email,
        MatchedField::Phone,
        MatchedField::Position,
        MatchedField::Address,
        MatchedField::Notes,
    ];

    /// Names > company > e-mail/phone > position/address > notes.
    pub fn boost(self) -> f32 {
        match self {
            MatchedField::Names => 5.0,
            MatchedField::Company => 4.0,
            MatchedField::Email | MatchedField::Phone => 3.0,
            MatchedField::Position | MatchedField::Address => 2.0,
            MatchedField::Notes => 1.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            MatchedField::Names => "names",
            MatchedField::Company => "company",
            MatchedField::Email => "email",
            MatchedField::Phone => "phone",
            MatchedField::Position => "position",
            MatchedField::Address => "address",
            MatchedField::Notes => "notes",
        }
    }
}

/// How a hit matched: the weakest way any query word matched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Exact,
    Prefix,
    Typo,
}

impl MatchKind {
    fn weight(self) -> f32 {
        match self {
            MatchKind::Exact => EXACT,
            MatchKind::Prefix => PREFIX,
            MatchKind::Typo => TYPO,
        }
    }
}

// A word's score is its match kind's weight plus the field's boost, the best over all fields
// (a disjunction max); a hit's score is the sum over the query words. The kinds are far apart,
// so within one word the kind decides and the field breaks ties.
const EXACT: f32 = 100.0;
const PREFIX: f32 = 50.0;
const TYPO: f32 = 10.0;
/// Added to a one-edit typo's score where two edits are allowed (long words).
const CLOSER_TYPO: f32 = 0.5;
/// Added to the scores of hits found without typos, so scores fall in result order: those hits
/// come first whatever their score (the most a query without them can score is 8 × 105).
const NO_TYPO_BONUS: f32 = 1000.0;
/// Fields a typo is looked for in.
const TYPO_FIELDS: [MatchedField; 3] = [MatchedField::Names, MatchedField::Company, MatchedField::Email];

/// Most hits one search returns.
pub const MAX_LIMIT: usize = 100;
/// Most chars of a long field (notes, address) shown around the first highlighted word.
const SNIPPET_CHARS: usize = 80;

/// The text of the matched field value and the byte ranges in it that matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    pub text: String,
    pub spans: Vec<(usize, usize)>,
}

impl Highlight {
    /// The text with each span wrapped in `open`/`close` (for tests and plain-text displays).
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut at = 0;
        for &(s, e) in &self.spans {
            out.push_str(&self.text[at..s]);
            out.push_str(open);
            out.push_str(&self.text[s..e]);
            out.push_str(close);
            at = e;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
    pub matched_field: MatchedField,
    pub kind: MatchKind,
    pub highlight: Highlight,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index: the writer lock was poisoned by a panic")]
    Poisoned,
    #[error("search index: no writer (a merge failed half-way; reopen the index)")]
    NoWriter,
}

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    src: Field,
    text: [Field; 7],
    /// Whole addresses and local parts: matched only by an e-mail-like query word, kept out
    /// of `email` (the words of addresses), whose dictionary the prefix and typo automata walk
    /// for every query word (1M long unique terms made that the costliest walk).
    email_addr: Field,
}

impl Fields {
    fn of(&self, f: MatchedField) -> Field {
        self.text[f as usize]
    }
}

/// Version of what the index holds beyond its schema (the words and spellings indexed, the
/// phone suffixes): bump it when [`text`] or `Index::document` change, so instances rebuild.
pub const FORMAT: u32 = 1;

/// The search index: one writer (behind a lock) and a reader refreshed by every commit.
pub struct Index {
    index: tantivy::Index,
    reader: IndexReader,
    /// `None` only while [`Index::optimize`] swaps it (or after that failed half-way).
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    /// The watermark the next commit stores.
    pending_change_id: Mutex<i64>,
    /// Each segment's id column, opened once (opening it decodes the column's block index,
    /// which was 7 % of the search CPU at 1M contacts when done per search).
    id_columns: IdColumns,
}

type IdColumn = Arc<dyn tantivy::columnar::ColumnValues<i64>>;
type IdColumns = Arc<Mutex<HashMap<tantivy::index::SegmentId, IdColumn>>>;

fn id_column(cache: &IdColumns, seg: &tantivy::SegmentReader) -> tantivy::Result<IdColumn> {
    if let Some(c) = cache.lock().ok().and_then(|m| m.get(&seg.segment_id()).cloned()) {
        return Ok(c);
    }
    let c = seg.fast_fields().i64("id")?.first_or_default_col(0);
    if let Ok(mut m) = cache.lock() {
        m.insert(seg.segment_id(), c.clone());
    }
    Ok(c)
}
