//! Duplicate detection for cardcrm contacts. Pure: no database, no I/O besides the JSON-lines helper.
//!
//! Pipeline: [`normalize()`] each contact → [`blocking_keys`] (each key an equality lookup; only
//! contacts sharing a key are ever compared) → [`score`] (explainable per-field evidence, weights in
//! [`Settings`]) → threshold → [`clusters`] for groups → [`merge_plan`] for the survivor's values.
//!
//! * Batch: [`find_pairs`] / [`run_pairs_jsonl`] (`cardcrm dedup pairs`).
//! * Check-on-create: `normalize(draft)`, look rows up by `blocking_keys(draft)`, then [`candidates`].

pub mod blocking;
mod cluster;
mod jsonl;
pub mod merge_plan;
pub mod normalize;
mod scoring;

pub use blocking::{blocking_keys, candidate_pairs, BlockStats, KEYS_VERSION};
pub use cluster::clusters;
pub use jsonl::{parse_contacts_jsonl, run_pairs_jsonl, Stats};
pub use scoring::{comparison_levels, score};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A contact as the CRM (or `gen_contacts.py`) supplies it. Every field is optional in JSON;
/// unknown fields (`cluster`, `locale`, …) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub id: i64,
    #[serde(deserialize_with = "null_as_default")]
    pub first_name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub middle_name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub last_name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub full_name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub company: String,
    #[serde(deserialize_with = "null_as_default")]
    pub position: String,
    #[serde(deserialize_with = "null_as_default")]
    pub emails: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub phones: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub website: String,
    #[serde(deserialize_with = "null_as_default")]
    pub address: String,
}

/// `null` in JSON reads as the empty value.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Weights of the evidence each comparison level contributes, in log-odds units: the natural log
/// of the likelihood ratio m/u, where m is the share of true duplicate pairs and u the share of
/// other candidate pairs (pairs sharing a blocking key) that fall on that level — Fellegi–Sunter,
/// as Splink does it. A comparison where one side lacks the field contributes nothing.
///
/// The defaults were learnt, not tuned by hand: `cargo run --release -p dedup --example
/// learn_weights -- <labelled JSON-lines files> --rust` counts the levels over the pairs
/// check-on-create would score in labelled sets (m and u with add-one smoothing, prior = log-odds
/// of a duplicate among them) and prints the body of `default()` below, which is pasted unchanged.
/// Sets: FEBRL dataset1 and dataset2 (`scripts/eval-febrl.py`), `gen_contacts.py --count 20000
/// --seed 1` and `scripts/import-dups-jsonl.py --count 20000 --seed 7`; the command and the
/// held-out results are in BENCHMARKS.md ("Names and postal addresses (FEBRL), learnt weights").
/// `name_similar_jw` is a similarity threshold, not learnt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    /// Prior log-odds that a candidate pair (one sharing a blocking key) is a duplicate.
    pub prior: f32,
    /// First and last name agree exactly (after transliteration, nicknames, OCR folds).
    pub name_exact: f32,
    /// Both parts agree closely (Jaro-Winkler ≥ `name_similar_jw`, or an initial that fits).
    pub name_similar: f32,
    /// Both parts agree loosely (Jaro-Winkler ≥ 0.8): typos in both.
    pub name_fuzzy: f32,
    /// Same surname (closely), different first name: relatives, namesakes' colleagues.
    pub first_name_diff: f32,
    /// Same first name (closely), different surname.
    pub last_name_diff: f32,
    /// Neither part agrees.
    pub name_diff: f32,
    /// One side has only one name part: the part both have agrees closely / does not.
    pub one_part_match: f32,
    pub one_part_diff: f32,
    /// Added when the name is the only thing both contacts have to compare (no phone, e-mail,
    /// company, position or address on both sides): how often such a pair is a namesake.
    pub name_only: f32,
    /// Both have a middle name/patronymic and they differ.
    pub middle_name_diff: f32,
    /// Jaro-Winkler similarity from which two name parts count as "similar" (not a log-odds).
    pub name_similar_jw: f32,
    /// One e-mail address in common (OCR-folded key).
    pub email_match: f32,
    /// Both have e-mails and none is in common. Similar-looking addresses (`first.last@` vs
    /// `first.last2@`) get no credit: the user part largely repeats the name, already counted.
    pub email_diff: f32,
    /// Same number (E.164, or the same ≥9 trailing digits when one side was written nationally).
    pub phone_match: f32,
    /// Only the last 7 digits agree.
    pub phone_last7: f32,
    pub phone_diff: f32,
    /// Both have phones, none shared, but an e-mail address agrees and both name parts do: the person
    /// kept an address and changed numbers (a new job's desk phone, a new mobile). A changed-jobs
    /// weight, bounded by hand (see `default()`); without an agreeing e-mail `phone_diff` counts.
    pub phone_moved: f32,
    pub company_exact: f32,
    pub company_similar: f32,
    pub company_diff: f32,
    /// Same organisation domain (e-mail or web site), used only when a company name is missing.
    pub domain_match: f32,
    /// Both have organisation domains, none shared (only when a company name is missing).
    pub domain_diff: f32,
    pub position_match: f32,
    pub position_diff: f32,
    /// House numbers (parsed from the address) agree / differ.
    pub house_number_match: f32,
    pub house_number_diff: f32,
    /// Street names: equal, Jaro-Winkler ≥ 0.9, ≥ 0.75, lower.
    pub street_exact: f32,
    pub street_similar: f32,
    pub street_fuzzy: f32,
    pub street_diff: f32,
    /// Place names (suburb, town, building): the same set; every word of the shorter side found
    /// (Jaro-Winkler ≥ 0.9); some word found; none.
    pub locality_exact: f32,
    pub locality_similar: f32,
    pub locality_partial: f32,
    pub locality_diff: f32,
    /// Postcodes: equal; one digit changed or two swapped; different.
    pub postcode_match: f32,
    pub postcode_similar: f32,
    pub postcode_diff: f32,
}

impl Default for Weights {
    /// Output of `examples/learn_weights.rs` (see the type's documentation), except the six
    /// "changed jobs" weights (`company_similar`, `company_diff`, `position_diff`, `domain_diff`,
    /// `email_diff`, `phone_moved`): in every labelled set the learner saw, a person's second record
    /// never changes employer, title or work address, so it learnt that any such change rules a
    /// duplicate out (−3 to −8.4). People in a CRM do change jobs and get promoted while keeping
    /// their mobile number or their e-mail address; those six are bounded by hand to weak evidence
    /// (−3 … 0) until there is labelled data with job changes. FEBRL has no such fields (and no
    /// e-mail); the generator sets still score F1 1.000.
    fn default() -> Self {
        Weights {
            prior: -1.97,
            name_exact: 3.49,
            name_similar: 2.15,
            name_fuzzy: -1.11,
            first_name_diff: -2.77,
            last_name_diff: 0.00,
            name_diff: -4.86,
            one_part_match: 5.05,
            one_part_diff: 0.00,
            name_only: -2.24,
            middle_name_diff: -4.54,
            name_similar_jw: 0.90,
            email_match: 7.98,
            email_diff: -3.0,
            phone_match: 10.46,
            phone_last7: -1.52,
            phone_diff: -6.76,
            phone_moved: -2.0,
            company_exact: 1.48,
            company_similar: 0.0,
            company_diff: -2.0,
            domain_match: 0.53,
            domain_diff: -2.0,
            position_match: 4.94,
            position_diff: -1.0,
            house_number_match: 5.09,
            house_number_diff: -1.91,
            street_exact: 5.22,
            street_similar: 5.22,
            street_fuzzy: -0.75,
            street_diff: -3.48,
            locality_exact: 6.53,
            locality_similar: 6.00,
            locality_partial: 2.27,
            locality_diff: -3.58,
            postcode_match: 4.76,
            postcode_similar: 4.34,
            postcode_diff: -3.46,
        }
    }
}

/// Matching settings (kept in the CRM's settings table, serialisable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Region for phones written without a country code (ISO 3166 alpha-2).
    pub default_region: String,
    /// A pair is reported when its score (0..1, a match probability) is ≥ this. The default
    /// sits just above 0.5 so that a pair whose evidence exactly cancels out (the weights are
    /// multiples of 0.5) is not reported.
    pub threshold: f32,
    /// Check-on-create shows candidates with a score ≥ this ("looks like …").
    pub candidate_threshold: f32,
    /// Batch mode skips blocks with more members than this (a block of n makes n·(n−1)/2 pairs).
    pub max_block: usize,
    /// Stricter cap for the weak keys: surname + initial (`n:`), company + first name (`c:`), and
    /// the name / street + address keys `sp:`, `ns:`, `sh:`.
    pub max_block_weak: usize,
    /// Check-on-create: fetch at most this many rows per key (a `LIMIT` on each indexed lookup);
    /// weak keys such as `d:` (a big company's domain) can match thousands of rows.
    pub lookup_limit: usize,
    /// The same for the weak keys (`n:`, `c:`, `d:`, `sp:`, `ns:`, `sh:`), whose blocks are mostly
    /// other people.
    pub lookup_limit_weak: usize,
    /// Key kinds batch mode blocks on (prefixes of [`blocking_keys`]): `e` e-mail, `p7` last 7
    /// phone digits (implies `p`), `t` first+last name, `w` name+organisation domain,
    /// `n` surname+initial, `c` company+first name, `d` domain, and the name + address / company
    /// kinds `sp nh cs ns sh` (see [`blocking`]). Check-on-create always looks up all keys.
    pub batch_keys: Vec<String>,
    pub weights: Weights,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_region: "US".into(),
            threshold: 0.55,
            candidate_threshold: 0.3,
            max_block: 64,
            max_block_weak: 16,
            lookup_limit: 200,
            lookup_limit_weak: 25,
            batch_keys: ["e", "p7", "t", "w", "sp", "nh", "cs", "ns", "sh"].iter().map(|k| k.to_string()).collect(),
            weights: Weights::default(),
        }
    }
}

/// A contact reduced to matching keys. All strings are ASCII lower case; names and e-mails are
/// additionally *folded* (OCR confusions, transliteration variants, nicknames) and are opaque keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Normalized {
    pub id: i64,
    /// First-name key (nickname resolved, folded).
    pub first: String,
    /// Middle name / patronymic key(s), space separated.
    pub middle: String,
    /// Surname key (folded; several tokens concatenated).
    pub last: String,
    /// The split into first/last came from a free-text full name, so the order is uncertain.
    pub name_order_uncertain: bool,
    /// E-mail keys ([`normalize::email_key`]).
    pub emails: Vec<String>,
    /// Phones: E.164 (`+…`) when it could be parsed, otherwise the bare digits as written.
    pub phones: Vec<String>,
    /// [`normalize::company`].
    pub company: String,
    /// Organisation domains from e-mails and the web site (free-mail providers excluded).
    pub domains: Vec<String>,
    pub position: String,
    /// The address parsed ([`normalize::parse_address`]): house number, street name (folded, type
    /// word dropped), other place names (folded), postcode. Empty when not found.
    #[serde(default)]
    pub addr_number: String,
    #[serde(default)]
    pub addr_street: String,
    /// Another reading of the street when the layout was ambiguous (usually empty).
    #[serde(default)]
    pub addr_street_alt: String,
    #[serde(default)]
    pub addr_locality: String,
    #[serde(default)]
    pub addr_postcode: String,
}

impl Normalized {
    /// Digits of each phone (E.164 without `+`, or as written).
    pub fn phone_digits(&self) -> impl Iterator<Item = &str> {
        self.phones.iter().map(|p| p.trim_start_matches('+'))
    }
    pub fn has_name(&self) -> bool {
        !self.first.is_empty() || !self.last.is_empty()
    }
}

/// Per-field evidence behind a score. `score` is the field's similarity (0..1; 1 = agree),
/// `weight` the log-odds it added to the total (negative = evidence against).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldScore {
    pub field: String,
    pub score: f32,
    pub weight: f32,
}

/// Result of comparing two contacts: `score` is a match probability 0..1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub score: f32,
    pub match_fields: Vec<FieldScore>,
}

/// A duplicate pair, `a < b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub a: i64,
    pub b: i64,
    pub score: f32,
}

/// Errors of the batch helpers.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("merge: {0}")]
    Merge(String),
}

/// Read access to a contact's fields, so the JSON-lines path can normalise borrowed text
/// without building a [`ContactInput`].
pub trait ContactFields {
    fn id(&self) -> i64;
    fn first_name(&self) -> &str;
    fn middle_name(&self) -> &str;
    fn last_name(&self) -> &str;
    fn full_name(&self) -> &str;
    fn company(&self) -> &str;
    fn position(&self) -> &str;
    fn website(&self) -> &str;
    fn address(&self) -> &str;
    fn emails(&self) -> impl Iterator<Item = &str>;
    fn phones(&self) -> impl Iterator<Item = &str>;
}

impl ContactFields for ContactInput {
    fn id(&self) -> i64 {
        self.id
    }
    fn first_name(&self) -> &str {
        &self.first_name
    }
    fn middle_name(&self) -> &str {
        &self.middle_name
    }
    fn last_name(&self) -> &str {
        &self.last_name
    }
    fn full_name(&self) -> &str {
        &self.full_name
    }
    fn company(&self) -> &str {
        &self.company
    }
    fn position(&self) -> &str {
        &self.position
    }
    fn website(&self) -> &str {
        &self.website
    }
    fn address(&self) -> &str {
        &self.address
    }
    fn emails(&self) -> impl Iterator<Item = &str> {
        self.emails.iter().map(|x| x.as_str())
    }
    fn phones(&self) -> impl Iterator<Item = &str> {
        self.phones.iter().map(|x| x.as_str())
    }
}

/// Reduce a contact to matching keys.
pub fn normalize(c: &ContactInput, s: &Settings) -> Normalized {
    normalize_fields(c, s)
}

pub(crate) fn normalize_fields(c: &impl ContactFields, s: &Settings) -> Normalized {
    use normalize as nz;
    let mut n = Normalized { id: c.id(), ..Default::default() };

    // --- names (folded keys; nicknames resolved on the first name)
    let mut first_toks = nz::folded_tokens(c.first_name()).into_iter();
    let last = nz::folded_concat(c.last_name());
    let mut middle: Vec<String> = nz::folded_tokens(c.middle_name());
    if first_toks.len() > 0 || !last.is_empty() {
        if let Some(f) = first_toks.next() {
            n.first = nz::resolve_nick(f);
            middle.extend(first_toks);
        }
        n.last = last;
        if n.first.is_empty() || n.last.is_empty() {
            // one part only: take the other from the full name when it has more
            let full = nz::folded_tokens(c.full_name());
            if full.len() >= 2 {
                let known = if n.first.is_empty() { n.last.clone() } else { n.first.clone() };
                let others: Vec<&String> =
                    full.iter().filter(|t| **t != known && nz::resolve_nick((*t).clone()) != known).collect();
                if n.first.is_empty() {
                    if let Some(t) = others.first() {
                        n.first = nz::resolve_nick((*t).clone());
                    }
                } else if let Some(t) = others.last() {
                    n.last = (*t).clone();
                }
            }
        }
    } else {
        let raw = c.full_name().trim();
        if let Some((l, f)) = raw.split_once(',') {
            // "Petrova, Anna"
            let f = nz::folded_tokens(f);
            if let Some(t) = f.first() {
                n.first = nz::resolve_nick(t.clone());
                middle.extend(f[1..].iter().cloned());
            }
            n.last = nz::folded_tokens(l).concat();
        } else {
            let toks = nz::folded_tokens(raw);
            match toks.len() {
                0 => {}
                1 => n.last = toks[0].clone(),
                k => {
                    n.first = nz::resolve_nick(toks[0].clone());
                    n.last = toks[k - 1].clone();
                    middle.extend(toks[1..k - 1].iter().cloned());
                    n.name_order_uncertain = true;
                }
            }
        }
    }
    n.middle = middle.join(" ");

    // --- e-mails (exact capacities: a million contacts' Vecs add up)
    let n_emails = c.emails().count();
    n.emails.reserve_exact(n_emails);
    n.domains.reserve_exact(n_emails + 1);
    n.phones.reserve_exact(c.phones().count());
    for e in c.emails() {
        if let Some(clean) = nz::email(e) {
            if let Some(k) = nz::email_key_of_clean(&clean) {
                push_unique(&mut n.emails, k);
            }
            if let Some(d) = nz::email_domain(&clean) {
                push_unique(&mut n.domains, d);
            }
        }
    }
    if let Some(d) = nz::website_domain(c.website()) {
        push_unique(&mut n.domains, d);
    }

    // --- phones
    for p in c.phones() {
        let v = match nz::phone_e164(p, &s.default_region) {
            Some(e) => e,
            None => {
                let d = nz::phone_digits(p);
                if d.len() < 7 {
                    continue;
                }
                d
            }
        };
        push_unique(&mut n.phones, v);
    }

    n.company = nz::company(c.company());
    n.position = nz::position(c.position());
    if !c.address().is_empty() {
        let p = nz::parse_address(c.address());
        n.addr_number = p.number;
        n.addr_street = p.street;
        n.addr_street_alt = p.street_alt;
        n.addr_locality = p.locality;
        n.addr_postcode = p.postcode;
    }
    n
}

fn push_unique(v: &mut Vec<String>, x: String) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Normalise many contacts on all cores.
pub fn normalize_all(contacts: &[ContactInput], s: &Settings) -> Vec<Normalized> {
    contacts.par_iter().map(|c| normalize(c, s)).collect()
}

/// Batch duplicate detection: block → score → threshold. Pairs sorted by `(a, b)`, `a < b`.
pub fn find_pairs(contacts: &[ContactInput], s: &Settings) -> Vec<Pair> {
    let norm = normalize_all(contacts, s);
    find_pairs_normalized(&norm, s).0
}

/// [`find_pairs`] over already normalised contacts, with blocking statistics.
pub fn find_pairs_normalized(norm: &[Normalized], s: &Settings) -> (Vec<Pair>, BlockStats) {
    let (cands, stats) = candidate_pairs(norm, s);
    (score_candidates(norm, &cands, s), stats)
}

/// Progress of a long batch run, for a background scan's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    /// "normalize", "block", "score" or "done".
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
}

/// [`find_pairs`] reporting progress (called from worker threads, often: keep it cheap).
pub fn find_pairs_with_progress(
    contacts: &[ContactInput],
    s: &Settings,
    progress: &(dyn Fn(Progress) + Sync),
) -> (Vec<Pair>, BlockStats) {
    const STEP: usize = 1 << 16;
    let total = contacts.len();
    let mut norm = Vec::with_capacity(total);
    for (k, chunk) in contacts.chunks(STEP).enumerate() {
        norm.extend(normalize_all(chunk, s));
        progress(Progress { phase: "normalize", done: (k * STEP + chunk.len()).min(total), total });
    }
    progress(Progress { phase: "block", done: 0, total: 1 });
    let (cands, stats) = candidate_pairs(&norm, s);
    progress(Progress { phase: "block", done: 1, total: 1 });
    let mut pairs = Vec::new();
    for (k, chunk) in cands.chunks(STEP).enumerate() {
        pairs.extend(score_candidates(&norm, chunk, s));
        progress(Progress { phase: "score", done: (k * STEP + chunk.len()).min(cands.len()), total: cands.len() });
    }
    pairs.sort_unstable_by_key(|p| (p.a, p.b));
    pairs.dedup_by(|p, q| p.a == q.a && p.b == q.b);
    progress(Progress { phase: "done", done: pairs.len(), total: pairs.len() });
    (pairs, stats)
}

/// Score candidate pairs (indices into `norm`) and keep those at or above the threshold.
pub fn score_candidates(norm: &[Normalized], cands: &[(u32, u32)], s: &Settings) -> Vec<Pair> {
    let mut pairs: Vec<Pair> = cands
        .par_iter()
        .filter_map(|&(i, j)| {
            let (x, y) = (&norm[i as usize], &norm[j as usize]);
            let sc = scoring::score_value(x, y, s, s.threshold);
            if sc >= s.threshold && x.id != y.id {
                let (a, b) = if x.id < y.id { (x.id, y.id) } else { (y.id, x.id) };
                Some(Pair { a, b, score: sc })
            } else {
                None
            }
        })
        .collect();
    pairs.par_sort_unstable_by(|p, q| (p.a, p.b).cmp(&(q.a, q.b)));
    pairs.dedup_by(|p, q| p.a == q.a && p.b == q.b);
    pairs
}

/// Check-on-create: score a draft against rows fetched by its blocking keys. Returns those with a
/// score ≥ `candidate_threshold`, best first (the draft's own id is skipped).
pub fn candidates<'a>(
    draft: &Normalized,
    existing: impl IntoIterator<Item = &'a Normalized>,
    s: &Settings,
) -> Vec<(i64, Match)> {
    let mut out: Vec<(i64, Match)> = Vec::new();
    let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for e in existing {
        if e.id == draft.id && draft.id != 0 {
            continue;
        }
        if !seen.insert(e.id) {
            continue;
        }
        if scoring::score_value(draft, e, s, s.candidate_threshold) < s.candidate_threshold {
            continue;
        }
        out.push((e.id, score(draft, e, s)));
    }
    out.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
    out
}
