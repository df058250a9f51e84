//! Querying: the query words turned into tantivy queries, scored and ranked by tier.

use crate::highlight::highlight;
use crate::query::{self, Group, Piece};
use crate::{
    id_column, ContactDoc, Hit, IdColumns, Index, MatchedField, Result, CLOSER_TYPO, EXACT, MAX_LIMIT, NO_TYPO_BONUS,
    PREFIX, TYPO, TYPO_FIELDS,
};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AutomatonWeight, BooleanQuery, ConstScoreQuery, DfaWrapper, DisjunctionMaxQuery, EnableScoring, FuzzyTermQuery,
    Occur, Query, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, TantivyDocument, Term, TERMINATED};

impl Index {
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
