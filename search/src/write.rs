//! Opening the index and writing to it: the schema, the documents, commits and merges.

use crate::{text, ContactDoc, Error, Fields, IdColumns, Index, MatchedField, Result, FORMAT};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use tantivy::schema::{IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED};
use tantivy::{IndexWriter, ReloadPolicy, TantivyDocument, Term};

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
}
