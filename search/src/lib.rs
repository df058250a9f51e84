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

use query::{Group, Piece};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AutomatonWeight, BooleanQuery, ConstScoreQuery, DfaWrapper, DisjunctionMaxQuery, EnableScoring, FuzzyTermQuery,
    Occur, Query, TermQuery, Weight,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value, STORED,
};
use tantivy::{DocAddress, DocSet, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, TERMINATED};

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

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_i64_field("id", NumericOptions::default().set_indexed().set_fast().set_stored());
    // The contact as JSON, for highlights only.
    let src = b.add_text_field("src", STORED);
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let text = MatchedField::ALL.map(|f| b.add_text_field(f.name(), words.clone()));
    let email_addr = b.add_text_field("email_addr", words.clone());
    (b.build(), Fields { id, src, text, email_addr })
}

#[derive(Serialize, Deserialize)]
struct Payload {
    last_change_id: i64,
    /// [`FORMAT`] of the code that wrote the index (absent: 0).
    #[serde(default)]
    format: u32,
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

/// Memory the writer may buffer before it writes a segment (shared by its threads).
const WRITER_MEMORY: usize = 96 * 1024 * 1024;

impl Index {
    /// Opens the index in `dir` (creating it if the directory holds none) or, with `None`, a new
    /// index in memory (tests). The directory must exist.
    pub fn open_or_create(dir: Option<&Path>) -> Result<Index> {
        let (schema, fields) = schema();
        // Small doc-store blocks: a hit's stored copy is read by decompressing its block, and
        // the ten hits of a search are in ten different blocks (16 KiB by default).
        let settings = tantivy::IndexSettings { docstore_blocksize: 4096, ..Default::default() };
        let builder = tantivy::Index::builder().schema(schema).settings(settings);
        let index = match dir {
            None => builder.create_in_ram()?,
            Some(d) => builder.open_or_create(tantivy::directory::MmapDirectory::open(d)?)?,
        };
        let writer = Self::new_writer(&index)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let last = Self::payload_of(&index)?;
        Ok(Index {
            index,
            reader,
            writer: Mutex::new(Some(writer)),
            fields,
            pending_change_id: Mutex::new(last),
            id_columns: IdColumns::default(),
        })
    }

    fn payload_of(index: &tantivy::Index) -> Result<i64> {
        Ok(Self::payload(index)?.map_or(0, |p| p.last_change_id))
    }

    fn payload(index: &tantivy::Index) -> Result<Option<Payload>> {
        let metas = index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(|p| serde_json::from_str::<Payload>(p).ok()))
    }

    /// Whether the index was written by this code's [`FORMAT`] (a new, never committed index
    /// is). When not, the service should rebuild it: searches would miss or mis-rank.
    pub fn is_current_format(&self) -> Result<bool> {
        Ok(Self::payload(&self.index)?.is_none_or(|p| p.format == FORMAT))
    }

    fn new_writer(index: &tantivy::Index) -> Result<IndexWriter> {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
        Ok(index.writer_with_num_threads(threads, WRITER_MEMORY)?)
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut g = self.writer.lock().map_err(|_| Error::Poisoned)?;
        f(g.as_mut().ok_or(Error::NoWriter)?)
    }

    fn document(&self, c: &ContactDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, c.id);
        doc.add_text(f.src, serde_json::to_string(c).unwrap_or_default());
        let mut add_words = |field: MatchedField, text: &str| {
            for (_, w) in text::words(text) {
                for form in text::word_forms(w) {
                    doc.add_text(f.of(field), form);
                }
            }
        };
        add_words(MatchedField::Names, &c.names);
        add_words(MatchedField::Company, &c.company);
        add_words(MatchedField::Position, &c.position);
        add_words(MatchedField::Address, &c.address);
        add_words(MatchedField::Notes, &c.notes);
        for e in &c.emails {
            add_words(MatchedField::Email, e);
        }
        for e in &c.emails {
            let lower = e.trim().to_lowercase();
            if let Some((local, _)) = lower.split_once('@') {
                doc.add_text(f.email_addr, text::cap(local));
            }
            doc.add_text(f.email_addr, text::cap(&lower));
        }
        // Phone numbers: every suffix of the digits of 3 or more digits, so a prefix query on
        // them finds a digit run anywhere in the number (n-grams would bound the run's length
        // or need a verification step; suffixes are at most ~15 short terms per number).
        for p in &c.phones {
            let d = text::digits(p);
            let d = &d[..d.len().min(text::MAX_WORD_CHARS)];
            for start in 0..d.len().saturating_sub(2) {
                doc.add_text(f.of(MatchedField::Phone), &d[start..]);
            }
        }
        doc
    }

    /// Adds the contacts, replacing any indexed under the same ids (seen after [`commit`]).
    ///
    /// [`commit`]: Index::commit
    pub fn upsert(&self, contacts: &[ContactDoc]) -> Result<()> {
        self.with_writer(|w| {
            for c in contacts {
                w.delete_term(Term::from_field_i64(self.fields.id, c.id));
                w.add_document(self.document(c))?;
            }
            Ok(())
        })
    }

    /// Removes the contacts with these ids (seen after [`Index::commit`]).
    pub fn delete(&self, ids: &[i64]) -> Result<()> {
        self.with_writer(|w| {
            for &id in ids {
                w.delete_term(Term::from_field_i64(self.fields.id, id));
            }
            Ok(())
        })
    }

    /// Removes every contact (a rebuild starts with this; seen after [`Index::commit`]).
    pub fn clear(&self) -> Result<()> {
        self.with_writer(|w| Ok(w.delete_all_documents().map(|_| ())?))
    }

    /// Sets the change-log id the next commit records: the index holds every change up to it.
    pub fn set_last_change_id(&self, id: i64) {
        if let Ok(mut p) = self.pending_change_id.lock() {
            *p = id;
        }
    }

    /// The change-log id recorded by the last commit (0 for a new index).
    pub fn last_change_id(&self) -> Result<i64> {
        Self::payload_of(&self.index)
    }

    /// Makes the changes so far durable and visible to searches, with the watermark.
    pub fn commit(&self) -> Result<()> {
        let last = *self.pending_change_id.lock().map_err(|_| Error::Poisoned)?;
        self.with_writer(|w| {
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(
                &serde_json::to_string(&Payload { last_change_id: last, format: FORMAT }).unwrap_or_default(),
            );
            prepared.commit()?;
            Ok(())
        })?;
        self.reload()
    }

    /// Merges all segments into one and waits (after a bulk build; searches read fewer term
    /// dictionaries). Ordinary updates leave merging to tantivy's background merge policy.
    pub fn optimize(&self) -> Result<()> {
        let mut slot = self.writer.lock().map_err(|_| Error::Poisoned)?;
        // Background merges must finish first: merging segments they are consuming fails.
        // (a writer is put back whatever fails, so writes go on)
        let waited = match slot.take() {
            Some(w) => w.wait_merging_threads(),
            None => Ok(()),
        };
        *slot = Some(Self::new_writer(&self.index)?);
        waited?;
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            if let Some(w) = slot.as_mut() {
                w.merge(&ids).wait()?;
            }
        }
        drop(slot);
        self.reload()
    }

    fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        let live: HashSet<_> = self.reader.searcher().segment_readers().iter().map(|s| s.segment_id()).collect();
        if let Ok(mut m) = self.id_columns.lock() {
            m.retain(|id, _| live.contains(id));
        }
        Ok(())
    }

    /// Contacts visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// At most `limit` (≤ [`MAX_LIMIT`]) contacts matching every word of `q`: those matched
    /// without typos first (exact and prefix), then those needing a typo; within each, by score
    /// (match kind, then field), then newest (highest id) first.
    pub fn search(&self, q: &str, limit: usize) -> Result<Vec<Hit>> {
        let groups = query::parse(q);
        let searcher = self.reader.searcher();
        let (found, no_typo) = self.find(&searcher, &groups, limit)?;
        let mut hits = Vec::with_capacity(found.len());
        for (i, (score, addr, _)) in found.into_iter().enumerate() {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let Some(src) = doc.get_first(self.fields.src).and_then(|v| v.as_str()) else { continue };
            let Ok(c) = serde_json::from_str::<ContactDoc>(src) else { continue };
            let (matched_field, kind, highlight) = highlight(&c, &groups, i >= no_typo);
            hits.push(Hit { id: c.id, score, matched_field, kind, highlight });
        }
        Ok(hits)
    }

    /// The ids of [`Index::search`]'s hits, in its order, without reading the stored contacts
    /// (for a caller that reads the rows itself: the id is a fast field).
    pub fn search_ids(&self, q: &str, limit: usize) -> Result<Vec<i64>> {
        let groups = query::parse(q);
        let searcher = self.reader.searcher();
        Ok(self.find(&searcher, &groups, limit)?.0.into_iter().map(|(_, _, id)| id).collect())
    }

    /// The matches (score, address, id) best first, and how many of them matched without typos.
    #[allow(clippy::type_complexity)]
    fn find(
        &self,
        searcher: &tantivy::Searcher,
        groups: &[Group],
        limit: usize,
    ) -> Result<(Vec<(f32, DocAddress, i64)>, usize)> {
        let limit = limit.min(MAX_LIMIT);
        if limit == 0 || groups.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let mut found: Vec<(f32, DocAddress, i64)> = Vec::with_capacity(limit);
        let has_typos =
            groups.iter().flat_map(|g| &g.pieces).any(|p| matches!(p, Piece::Word { typo_distance: 1.., .. }));
        let no_typo;
        match groups {
            // One word (most searches): its ways of matching tried best first, so a common word
            // or short prefix reads only as many matches as it takes to fill the limit.
            [Group { whole: None, pieces }] if pieces.len() == 1 => {
                let mut seen = HashSet::new();
                self.tiered(
                    searcher,
                    self.tiers(&pieces[0], Mode::NoTypos)?,
                    NO_TYPO_BONUS,
                    limit,
                    &mut seen,
                    &mut found,
                )?;
                no_typo = found.len();
                if found.len() < limit && has_typos {
                    self.tiered(searcher, self.tiers(&pieces[0], Mode::TyposOnly)?, 0.0, limit, &mut seen, &mut found)?;
                }
            }
            _ => {
                let first = self.build(groups, false)?;
                for ((score, id), addr) in searcher.search(&first, &top(limit, &self.id_columns))? {
                    found.push((score + NO_TYPO_BONUS, addr, id));
                }
                no_typo = found.len();
                if found.len() < limit && has_typos {
                    let second = self.build(groups, true)?;
                    for ((score, id), addr) in searcher.search(&second, &top(limit, &self.id_columns))? {
                        if found.len() >= limit {
                            break;
                        }
                        if !found[..no_typo].iter().any(|(_, a, _)| *a == addr) {
                            found.push((score, addr, id));
                        }
                    }
                }
            }
        }
        Ok((found, no_typo))
    }

    /// Every group must match; a group matches by its whole e-mail-like word or by all its
    /// pieces; a piece by its best (kind, field).
    fn build(&self, groups: &[Group], typos: bool) -> Result<BooleanQuery> {
        // A one-word query's exact and prefix matches were all found by the first step (it
        // found fewer than the limit), so the typo step looks for typos only.
        let mode = match (typos, groups) {
            (false, _) => Mode::NoTypos,
            (true, [g]) if g.whole.is_none() && g.pieces.len() == 1 => Mode::TyposOnly,
            (true, _) => Mode::All,
        };
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for g in groups {
            let mut pieces: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for p in &g.pieces {
                pieces.push((Occur::Must, Box::new(self.piece_query(p, mode)?)));
            }
            let all_pieces: Box<dyn Query> = if pieces.len() == 1 {
                pieces.pop().map(|(_, q)| q).unwrap_or_else(|| Box::new(BooleanQuery::new(vec![])))
            } else {
                Box::new(BooleanQuery::new(pieces))
            };
            let group: Box<dyn Query> = match &g.whole {
                None => all_pieces,
                Some(whole) => {
                    let field = self.fields.email_addr;
                    let boost = MatchedField::Email.boost();
                    let term = Term::from_field_text(field, whole);
                    let exact = ConstScoreQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)),
                        EXACT + boost,
                    );
                    let prefix =
                        ConstScoreQuery::new(Box::new(FuzzyTermQuery::new_prefix(term, 0, false)), PREFIX + boost);
                    Box::new(DisjunctionMaxQuery::new(vec![Box::new(exact), Box::new(prefix), all_pieces]))
                }
            };
            must.push((Occur::Must, group));
        }
        Ok(BooleanQuery::new(must))
    }

    /// The ways one piece matches, grouped by score, best first: each group is one query (a
    /// union), each contact counted once.
    fn tiers(&self, p: &Piece, mode: Mode) -> Result<Vec<(f32, Box<dyn Query>)>> {
        let mut by_score: Vec<(f32, Vec<Box<dyn Query>>)> = Vec::new();
        for (score, q) in self.alternatives(p, mode)? {
            match by_score.iter_mut().find(|(s, _)| *s == score) {
                Some((_, qs)) => qs.push(q),
                None => by_score.push((score, vec![q])),
            }
        }
        by_score.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(by_score
            .into_iter()
            .map(|(score, mut qs)| {
                let q: Box<dyn Query> = if qs.len() == 1 {
                    qs.pop().unwrap_or_else(|| Box::new(BooleanQuery::new(vec![])))
                } else {
                    Box::new(BooleanQuery::new(qs.into_iter().map(|q| (Occur::Should, q)).collect()))
                };
                (score, q)
            })
            .collect())
    }

    /// Adds to `out` (up to `limit`) the contacts of each tier in turn, newest first within a
    /// tier, skipping those already `seen`. A tier with more matches than places left is the
    /// last one read: every contact it holds scores above all later tiers.
    fn tiered(
        &self,
        searcher: &tantivy::Searcher,
        tiers: Vec<(f32, Box<dyn Query>)>,
        bonus: f32,
        limit: usize,
        seen: &mut HashSet<DocAddress>,
        out: &mut Vec<(f32, DocAddress, i64)>,
    ) -> Result<()> {
        for (score, q) in tiers {
            let want = limit.saturating_sub(out.len());
            if want == 0 {
                break;
            }
            // the `want` highest ids of the tier (a min-heap on id)
            let mut heap: BinaryHeap<Reverse<(i64, DocAddress)>> = BinaryHeap::with_capacity(want + 1);
            let weight = q.weight(EnableScoring::disabled_from_searcher(searcher))?;
            for (ord, seg) in searcher.segment_readers().iter().enumerate() {
                let ids = id_column(&self.id_columns, seg)?;
                let alive = seg.alive_bitset();
                let mut docs = weight.scorer(seg, 1.0)?;
                let mut doc = docs.doc();
                while doc != TERMINATED {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        let id = ids.get_val(doc);
                        let full = heap.len() >= want;
                        if !full || heap.peek().is_some_and(|Reverse((min, _))| id > *min) {
                            let addr = DocAddress::new(ord as u32, doc);
                            if !seen.contains(&addr) {
                                heap.push(Reverse((id, addr)));
                                if full {
                                    heap.pop();
                                }
                            }
                        }
                    }
                    doc = docs.advance();
                }
            }
            for Reverse((id, addr)) in heap.into_sorted_vec() {
                seen.insert(addr);
                out.push((score + bonus, addr, id));
            }
        }
        Ok(())
    }

    fn piece_query(&self, p: &Piece, mode: Mode) -> Result<DisjunctionMaxQuery> {
        Ok(DisjunctionMaxQuery::new(self.alternatives(p, mode)?.into_iter().map(|(_, q)| q).collect()))
    }

    /// Each way `p` can match, with its score (a const-score query).
    fn alternatives(&self, p: &Piece, mode: Mode) -> Result<Vec<(f32, Box<dyn Query>)>> {
        let mut alts: Vec<(f32, Box<dyn Query>)> = Vec::new();
        let text_fields = MatchedField::ALL.into_iter().filter(|f| *f != MatchedField::Phone);
        let exact = |field: Field, form: &str, score: f32| -> (f32, Box<dyn Query>) {
            (
                score,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(Term::from_field_text(field, form), IndexRecordOption::Basic)),
                    score,
                )),
            )
        };
        let auto = |field: Field, dfa: &Arc<DfaWrapper>, score: f32| -> (f32, Box<dyn Query>) {
            (score, Box::new(ConstScoreQuery::new(Box::new(Auto { field, dfa: dfa.clone() }), score)))
        };
        match p {
            Piece::Digits(d) => {
                let field = self.fields.of(MatchedField::Phone);
                let q = FuzzyTermQuery::new_prefix(Term::from_field_text(field, d), 0, false);
                let score = EXACT + MatchedField::Phone.boost();
                alts.push((score, Box::new(ConstScoreQuery::new(Box::new(q), score))));
                for f in text_fields {
                    alts.push(exact(self.fields.of(f), d, EXACT + f.boost()));
                }
            }
            Piece::Word { forms, prefix, typo_distance } => {
                if mode != Mode::TyposOnly {
                    for form in forms {
                        // one automaton per spelling, shared by every field
                        let probe = Term::from_field_text(self.fields.of(MatchedField::Names), form);
                        let prefix_dfa = if *prefix {
                            Some(Arc::new(FuzzyTermQuery::new_prefix(probe, 0, false).automaton()?))
                        } else {
                            None
                        };
                        for f in text_fields.clone() {
                            let field = self.fields.of(f);
                            alts.push(exact(field, form, EXACT + f.boost()));
                            if let Some(dfa) = &prefix_dfa {
                                alts.push(auto(field, dfa, PREFIX + f.boost()));
                            }
                        }
                    }
                }
                // Typos: in every spelling (a Cyrillic word's swapped letters are one edit in
                // Cyrillic but may be two in Latin: "муихна" for "мухина"), in names, company and
                // e-mail only, whose words are what people mistype in a search box; walking the
                // larger vocabularies of positions, addresses and notes cost the most. When two
                // edits are allowed, one edit ranks first (among many "hernandez" two edits
                // away, the "hcrnandez" one edit away is the likelier).
                if mode != Mode::NoTypos && *typo_distance > 0 {
                    for form in forms {
                        // (the separate one-edit walk only where it decides the order: one word)
                        let least = if mode == Mode::TyposOnly { 1 } else { *typo_distance };
                        for d in (least..=*typo_distance).rev() {
                            let probe = Term::from_field_text(self.fields.of(MatchedField::Names), form);
                            let dfa = Arc::new(FuzzyTermQuery::new(probe, d, true).automaton()?);
                            let closer = if d < *typo_distance { CLOSER_TYPO } else { 0.0 };
                            for f in TYPO_FIELDS {
                                alts.push(auto(self.fields.of(f), &dfa, TYPO + closer + f.boost()));
                            }
                        }
                    }
                }
            }
        }
        Ok(alts)
    }
}

/// Fields a typo is looked for in.
const TYPO_FIELDS: [MatchedField; 3] = [MatchedField::Names, MatchedField::Company, MatchedField::Email];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    NoTypos,
    All,
    TyposOnly,
}

fn top(limit: usize, cache: &IdColumns) -> impl tantivy::collector::Collector<Fruit = Vec<((f32, i64), DocAddress)>> {
    let cache = cache.clone();
    TopDocs::with_limit(limit).tweak_score(move |segment: &tantivy::SegmentReader| {
        let ids = id_column(&cache, segment).ok();
        move |doc: tantivy::DocId, score: tantivy::Score| (score, ids.as_ref().map(|c| c.get_val(doc)).unwrap_or(0))
    })
}

/// A prebuilt automaton (prefix or Levenshtein) over one field's terms.
#[derive(Clone)]
struct Auto {
    field: Field,
    dfa: Arc<DfaWrapper>,
}

impl std::fmt::Debug for Auto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Automaton({:?})", self.field)
    }
}

impl Query for Auto {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(self.field, self.dfa.clone())))
    }
}

// ---------------------------------------------------------------------------------------------
// Highlights: the query's pieces matched again against the hit's stored text, with the same
// words and spellings the index holds.

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

fn highlight(c: &ContactDoc, groups: &[Group], typos: bool) -> (MatchedField, MatchKind, Highlight) {
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
