//! Blocking: only contacts that share a key are ever compared.
//!
//! Each key is a string meant for an indexed equality lookup in the database (`blocking_keys`);
//! batch mode uses the same keys hashed to 64 bits and grouped by sorting, and skips blocks that
//! are too big to be informative (a block of n members makes n·(n−1)/2 pairs).
//!
//! | prefix | key                                    | strength |
//! |--------|----------------------------------------|----------|
//! | `e:`   | e-mail key (OCR-folded)                | strong   |
//! | `p:`   | E.164 phone                            | strong (batch uses `p7:`, which implies it) |
//! | `p7:`  | last 7 digits of a phone               | strong   |
//! | `t:`   | sorted first + last name keys          | medium   |
//! | `n:`   | surname + first initial                | weak     |
//! | `c:`   | company + first name                   | weak     |
//! | `w:`   | sorted first + last name + org domain  | strong   |
//! | `d:`   | organisation domain                    | weak (check-on-create only) |
//! | `sp:`  | first or last name sound + postcode    | weak     |
//! | `nh:`  | sorted first + last name sounds + house number | medium |
//! | `cs:`  | company + surname sound                | medium   |
//! | `ns:`  | first or last name sound + street sound + region (postcode's first 2 digits) or town sound | weak |
//! | `sh:`  | street sound + house number + region or town sound | weak |
//!
//! The last five need no phone or e-mail: they find the same person from a name and a postal
//! address (or a company) when a name has a typo, a part is missing or first and last are swapped.
//! "Sound" is [`phonetic`](crate::normalize::phonetic) (Soundex-like). Stored keys must be
//! recomputed when [`KEYS_VERSION`] changes.

/// Version of the key derivation. Contacts keyed under another version must have their keys
/// recomputed (`blocking_keys` of each stored contact) before check-on-create can find them by
/// the new kinds. 1: the kinds `e p p7 t n c d w`; 2: adds `sp nh cs ns sh` and parsed addresses.
pub const KEYS_VERSION: u32 = 2;

use crate::{Normalized, Settings};
use rayon::prelude::*;

/// Kinds of blocking key, in the order above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum KeyKind {
    Email = 1,
    Phone = 2,
    Phone7 = 3,
    Tokens = 4,
    NameInitial = 5,
    CompanyFirst = 6,
    Domain = 7,
    NameDomain = 8,
    NamePost = 9,
    NamesNumber = 10,
    CompanySurname = 11,
    NameStreet = 12,
    StreetNumber = 13,
}

impl KeyKind {
    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Email => "e",
            KeyKind::Phone => "p",
            KeyKind::Phone7 => "p7",
            KeyKind::Tokens => "t",
            KeyKind::NameInitial => "n",
            KeyKind::CompanyFirst => "c",
            KeyKind::Domain => "d",
            KeyKind::NameDomain => "w",
            KeyKind::NamePost => "sp",
            KeyKind::NamesNumber => "nh",
            KeyKind::CompanySurname => "cs",
            KeyKind::NameStreet => "ns",
            KeyKind::StreetNumber => "sh",
        }
    }
    fn from_u8(v: u8) -> Option<KeyKind> {
        Some(match v {
            1 => KeyKind::Email,
            2 => KeyKind::Phone,
            3 => KeyKind::Phone7,
            4 => KeyKind::Tokens,
            5 => KeyKind::NameInitial,
            6 => KeyKind::CompanyFirst,
            7 => KeyKind::Domain,
            8 => KeyKind::NameDomain,
            9 => KeyKind::NamePost,
            10 => KeyKind::NamesNumber,
            11 => KeyKind::CompanySurname,
            12 => KeyKind::NameStreet,
            13 => KeyKind::StreetNumber,
            _ => return None,
        })
    }
    /// Every kind, in the order above.
    pub fn all() -> impl Iterator<Item = KeyKind> {
        (1..=13).filter_map(KeyKind::from_u8)
    }
    pub fn from_prefix(p: &str) -> Option<KeyKind> {
        KeyKind::all().find(|k| k.prefix() == p)
    }
    fn bit(self) -> u32 {
        1 << (self as u8)
    }
    /// The kinds built from a postal address or a company rather than a phone, an e-mail or a
    /// whole name (`sp nh cs ns sh`).
    pub fn is_address(self) -> bool {
        matches!(
            self,
            KeyKind::NamePost
                | KeyKind::NamesNumber
                | KeyKind::CompanySurname
                | KeyKind::NameStreet
                | KeyKind::StreetNumber
        )
    }
    /// Weak kinds get the stricter block cap.
    pub fn is_weak(self) -> bool {
        matches!(
            self,
            KeyKind::NameInitial
                | KeyKind::CompanyFirst
                | KeyKind::Domain
                | KeyKind::NameStreet
                | KeyKind::NamePost
                | KeyKind::StreetNumber
        )
    }
}

/// Calls `f(kind, parts)` for every key of a contact; a key's text is the parts joined by `|`.
pub fn for_each_key(n: &Normalized, mut f: impl FnMut(KeyKind, &[&str])) {
    for e in &n.emails {
        f(KeyKind::Email, &[e]);
    }
    for p in &n.phones {
        if p.starts_with('+') {
            f(KeyKind::Phone, &[p]);
        }
    }
    for (i, p) in n.phones.iter().enumerate() {
        let d = p.trim_start_matches('+');
        if d.len() >= 7 {
            let k = &d[d.len() - 7..];
            // two numbers of one contact may end alike
            if !n.phones[..i].iter().any(|q| q.ends_with(k)) {
                f(KeyKind::Phone7, &[k]);
            }
        }
    }
    if !n.first.is_empty() && !n.last.is_empty() {
        let (x, y) = if n.first <= n.last { (&n.first, &n.last) } else { (&n.last, &n.first) };
        f(KeyKind::Tokens, &[x, y]);
        for d in &n.domains {
            f(KeyKind::NameDomain, &[x, y, d]);
        }
        f(KeyKind::NameInitial, &[&n.last, initial(&n.first)]);
        if n.name_order_uncertain && n.first != n.last {
            f(KeyKind::NameInitial, &[&n.first, initial(&n.last)]);
        }
    }
    if !n.company.is_empty() {
        if !n.first.is_empty() {
            f(KeyKind::CompanyFirst, &[&n.company, &n.first]);
        }
        if n.name_order_uncertain && !n.last.is_empty() && n.last != n.first {
            f(KeyKind::CompanyFirst, &[&n.company, &n.last]);
        }
    }
    for d in &n.domains {
        f(KeyKind::Domain, &[d]);
    }

    // ---- name + postal address / company, for contacts without phone or e-mail in common
    use crate::normalize::sound;
    let (pf, pl) = (sound(&n.first), sound(&n.last));
    let (pf, pl): (&str, &str) = (&pf, &pl);
    if !n.addr_postcode.is_empty() {
        // either name part: one may have a typo, or the two may be swapped
        for p in [pf, pl] {
            if !p.is_empty() {
                f(KeyKind::NamePost, &[p, &n.addr_postcode]);
            }
        }
    }
    if !pf.is_empty() && !pl.is_empty() && !n.addr_number.is_empty() {
        let (x, y) = if pf <= pl { (pf, pl) } else { (pl, pf) };
        f(KeyKind::NamesNumber, &[x, y, &n.addr_number]);
    }
    if !n.company.is_empty() && !pl.is_empty() {
        f(KeyKind::CompanySurname, &[&n.company, pl]);
    }
    // Either name part (so that swapped first/last names meet) with the street's first word.
    // Street names repeat from town to town ("Main Street", "ул. Ленина"): these keys carry where
    // the street is, once as the postcode's first two digits (the region) and once as the sound of
    // the town (the last place word); a contact with neither gets none.
    let region = n.addr_postcode.get(..2).unwrap_or("");
    let town = sound(n.addr_locality.rsplit(' ').next().unwrap_or(""));
    let town: &str = &town;
    for st in [&n.addr_street, &n.addr_street_alt] {
        let street = sound(st.split(' ').next().unwrap_or(""));
        let street: &str = &street;
        if street.is_empty() {
            continue;
        }
        for place in [region, town] {
            if place.is_empty() {
                continue;
            }
            for p in [pf, pl] {
                if !p.is_empty() {
                    f(KeyKind::NameStreet, &[p, street, place]);
                }
            }
            if !n.addr_number.is_empty() {
                f(KeyKind::StreetNumber, &[street, &n.addr_number, place]);
            }
        }
    }
}

/// First character (not byte: names in other scripts are kept as written).
fn initial(s: &str) -> &str {
    &s[..s.chars().next().map_or(0, char::len_utf8)]
}

/// Kind of a key string from [`blocking_keys`] (`"p7:1234567"` → `Phone7`).
pub fn key_kind(key: &str) -> Option<KeyKind> {
    KeyKind::from_prefix(key.split_once(':')?.0)
}

/// How many rows check-on-create should fetch for a key (`LIMIT` of its lookup).
pub fn lookup_limit(key: &str, s: &Settings) -> usize {
    match key_kind(key) {
        Some(k) if k.is_weak() => s.lookup_limit_weak,
        _ => s.lookup_limit,
    }
}

/// Blocking keys of a contact, e.g. `e:anna.petrova@aeme.eom` (folded), `p:+79161234567`,
/// `p7:1234567`, `t:anna petrova`, `w:anna|petrova|acme.com`, `n:petrova|a`, `c:acme|anna`,
/// `d:acme.com`.
/// Store them in an indexed column; contacts sharing any key are candidates. On check-on-create
/// look every key up with `LIMIT` [`lookup_limit`] and pass the rows to
/// [`candidates`](crate::candidates).
pub fn blocking_keys(n: &Normalized) -> Vec<String> {
    let mut out = Vec::with_capacity(8);
    for_each_key(n, |kind, parts| {
        let k = format!("{}:{}", kind.prefix(), parts.join(if kind == KeyKind::Tokens { " " } else { "|" }));
        if !out.contains(&k) {
            out.push(k);
        }
    });
    out
}

/// Flag on a batch entry's contact index: the contact has an organisation domain.
const HAS_DOMAIN: u32 = 1 << 31;
/// Flag on a batch entry's contact index: the contact has both a phone and an e-mail.
const HAS_CONTACT: u32 = 1 << 30;
const FLAGS: u32 = HAS_DOMAIN | HAS_CONTACT;
const KIND_SHIFT: u32 = 59;
const HASH_MASK: u64 = (1u64 << KIND_SHIFT) - 1;

/// 64-bit key: kind in the top 5 bits, a hash of the parts below.
pub fn key_hash(kind: KeyKind, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (kind as u64);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h = mix(h, 0x7c);
        }
        let b = p.as_bytes();
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            h = mix(h, u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rem = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rem.len()].copy_from_slice(rem);
        h = mix(h, u64::from_le_bytes(last) ^ ((rem.len() as u64) << 56));
    }
    // final avalanche (splitmix64)
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    ((kind as u64) << KIND_SHIFT) | (z & HASH_MASK)
}

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

/// Kind of a hashed key.
pub fn hash_kind(h: u64) -> Option<KeyKind> {
    KeyKind::from_u8((h >> KIND_SHIFT) as u8)
}

/// Bit set of the key kinds batch mode uses (`Settings::batch_keys`).
pub fn batch_kind_mask(s: &Settings) -> u32 {
    s.batch_keys.iter().filter_map(|p| KeyKind::from_prefix(p)).fold(0, |m, k| m | k.bit())
}

/// Hashed batch keys of one contact (deduplicated), of the kinds in `mask`.
pub fn batch_key_hashes(n: &Normalized, mask: u32, out: &mut Vec<u64>) {
    out.clear();
    for_each_key(n, |kind, parts| {
        if mask & kind.bit() != 0 {
            let h = key_hash(kind, parts);
            if !out.contains(&h) {
                out.push(h);
            }
        }
    });
}

/// What blocking did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BlockStats {
    /// (key, contact) entries sorted into blocks (a complete contact's name + address / company
    /// key is left out when no contact lacking a phone or an e-mail has it: it could pair nothing).
    pub keys: usize,
    /// Blocks with at least two members.
    pub blocks: usize,
    /// Blocks skipped for being bigger than the cap, and their members.
    pub skipped_blocks: usize,
    pub skipped_members: usize,
    /// Largest block that was used.
    pub largest_block: usize,
    /// Pairs emitted by blocks (with repeats across keys) and distinct candidate pairs.
    pub raw_pairs: usize,
    pub candidate_pairs: usize,
}

/// Candidate pairs (indices into `norm`, `i < j`), distinct, sorted. Never all pairs: only
/// members of the same block, blocks over the cap skipped.
pub fn candidate_pairs(norm: &[Normalized], s: &Settings) -> (Vec<(u32, u32)>, BlockStats) {
    assert!(norm.len() < HAS_CONTACT as usize, "too many contacts for one batch");
    let mask = batch_kind_mask(s);
    let complete = |n: &Normalized| !n.phones.is_empty() && !n.emails.is_empty();
    // Name + address / company blocks pair a contact only with one that lacks a phone or an
    // e-mail (below), so a complete contact's key of those kinds is only worth sorting when such a
    // contact has it too: collect those first (few, where most contacts are complete).
    let address_mask = mask & KeyKind::all().filter(|k| k.is_address()).fold(0, |m, k| m | k.bit());
    // A bit per hash value (2^24 bits, 2 MB: stays in cache): set for the keys of incomplete
    // contacts. A set bit may be another key's (the key is then sorted for nothing); a clear one
    // is certain.
    const OPEN_BITS: u64 = 1 << 24;
    let open: Vec<u64> = norm
        .par_iter()
        .filter(|n| !complete(n))
        .fold(
            || (vec![0u64; (OPEN_BITS / 64) as usize], Vec::with_capacity(16)),
            |(mut bits, mut buf): (Vec<u64>, Vec<u64>), n| {
                batch_key_hashes(n, address_mask, &mut buf);
                for &h in &buf {
                    let i = h % OPEN_BITS;
                    bits[(i / 64) as usize] |= 1 << (i % 64);
                }
                (bits, buf)
            },
        )
        .map(|(bits, _)| bits)
        .reduce(
            || vec![0u64; (OPEN_BITS / 64) as usize],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x |= y);
                a
            },
        );
    let is_open = |h: u64| {
        let i = h % OPEN_BITS;
        open[(i / 64) as usize] & (1 << (i % 64)) != 0
    };
    let mut entries: Vec<(u64, u32)> = norm
        .par_iter()
        .enumerate()
        .fold(
            || (Vec::new(), Vec::with_capacity(16)),
            |(mut acc, mut buf): (Vec<(u64, u32)>, Vec<u64>), (i, n)| {
                batch_key_hashes(n, mask, &mut buf);
                let mut flag = if n.domains.is_empty() { 0 } else { HAS_DOMAIN };
                if complete(n) {
                    flag |= HAS_CONTACT;
                    let wanted = |h: &u64| !hash_kind(*h).is_some_and(KeyKind::is_address) || is_open(*h);
                    acc.extend(buf.iter().filter(|h| wanted(h)).map(|&h| (h, i as u32 | flag)));
                } else {
                    acc.extend(buf.iter().map(|&h| (h, i as u32 | flag)));
                }
                (acc, buf)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(Vec::new, |mut a, mut b| {
            if a.len() < b.len() {
                std::mem::swap(&mut a, &mut b);
            }
            a.extend_from_slice(&b);
            a
        });
    entries.par_sort_unstable();
    entries.dedup();

    let mut stats = BlockStats { keys: entries.len(), ..Default::default() };
    // block boundaries
    let mut blocks: Vec<(u32, u32)> = Vec::new(); // (start, len) of blocks with ≥ 2 members
    let mut i = 0;
    while i < entries.len() {
        let k = entries[i].0;
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == k {
            j += 1;
        }
        let len = j - i;
        if len >= 2 {
            stats.blocks += 1;
            let cap = match hash_kind(k) {
                Some(kind) if kind.is_weak() => s.max_block_weak,
                _ => s.max_block,
            };
            if len > cap {
                stats.skipped_blocks += 1;
                stats.skipped_members += len;
            } else {
                stats.largest_block = stats.largest_block.max(len);
                blocks.push((i as u32, len as u32));
            }
        }
        i = j;
    }

    let mut pairs: Vec<u64> = blocks
        .par_iter()
        .fold(Vec::new, |mut acc: Vec<u64>, &(start, len)| {
            let members = &entries[start as usize..(start + len) as usize];
            // Name-only blocks (`t:`) pair a contact only with those that could not meet it in
            // a name + domain block (`w:`): at least one of the two has no organisation domain.
            // Two same-named people at different organisations are left out, which keeps the
            // common-name blocks from dominating at a million contacts.
            let kind = hash_kind(members[0].0);
            let name_only = kind == Some(KeyKind::Tokens) && mask & KeyKind::NameDomain.bit() != 0;
            // Likewise the name + address / company blocks are for contacts that phone and e-mail
            // keys cannot join: a pair meets there only when one of the two lacks a phone or an
            // e-mail. (Two copies that both have both and share neither are rare, and the
            // differing phone and e-mail count heavily against them anyway.)
            let address_kind = kind.is_some_and(KeyKind::is_address);
            for x in 0..members.len() {
                for y in x + 1..members.len() {
                    let both = members[x].1 & members[y].1;
                    if (name_only && both & HAS_DOMAIN != 0) || (address_kind && both & HAS_CONTACT != 0) {
                        continue;
                    }
                    let (p, q) = (members[x].1 & !FLAGS, members[y].1 & !FLAGS);
                    let (p, q) = if p < q { (p, q) } else { (q, p) };
                    acc.push(((p as u64) << 32) | q as u64);
                }
            }
            acc
        })
        .reduce(Vec::new, |mut a, mut b| {
            if a.len() < b.len() {
                std::mem::swap(&mut a, &mut b);
            }
            a.extend_from_slice(&b);
            a
        });
    drop(entries);
    stats.raw_pairs = pairs.len();
    pairs.par_sort_unstable();
    pairs.dedup();
    stats.candidate_pairs = pairs.len();
    let out = pairs.into_iter().map(|p| ((p >> 32) as u32, p as u32)).collect();
    (out, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{normalize, ContactInput};

    #[test]
    fn keys_of_a_contact() {
        let s = Settings::default();
        let c = ContactInput {
            id: 1,
            first_name: "Анна".into(),
            last_name: "Петрова".into(),
            company: "ООО «Ромашка»".into(),
            emails: vec!["Anna.Petrova@romashka.ru".into()],
            phones: vec!["+7 916 123-45-67".into()],
            website: "https://www.romashka.ru".into(),
            ..Default::default()
        };
        let k = blocking_keys(&normalize(&c, &s));
        assert!(k.contains(&"p:+79161234567".to_string()), "{k:?}");
        assert!(k.contains(&"p7:1234567".to_string()));
        assert!(k.contains(&"t:ana petrova".to_string()), "{k:?}");
        assert!(k.contains(&"n:petrova|a".to_string()));
        assert!(k.contains(&"c:romashka|ana".to_string()));
        assert!(k.contains(&"d:romashka.ru".to_string()));
        assert!(k.contains(&"w:ana|petrova|romashka.ru".to_string()), "{k:?}");
        assert!(k.iter().any(|x| x.starts_with("e:")));
        // the transliterated and the nickname form share the name keys
        let d = ContactInput { id: 2, first_name: "Anya".into(), last_name: "Petrova".into(), ..Default::default() };
        let kd = blocking_keys(&normalize(&d, &s));
        assert!(kd.contains(&"t:ana petrova".to_string()), "{kd:?}");
    }

    #[test]
    fn blocks_pair_only_key_sharers_and_cap() {
        let mut s = Settings::default();
        let mk = |id: i64, last: &str, phone: &str| ContactInput {
            id,
            first_name: "Ivan".into(),
            last_name: last.into(),
            phones: vec![phone.into()],
            ..Default::default()
        };
        let cs = [mk(1, "Ivanov", "+79160000001"), mk(2, "Ivanov", "+79160000002"), mk(3, "Petrov", "+79160000001")];
        let norm: Vec<_> = cs.iter().map(|c| normalize(c, &s)).collect();
        let (p, st) = candidate_pairs(&norm, &s);
        assert_eq!(p, vec![(0, 1), (0, 2)]);
        assert_eq!(st.candidate_pairs, 2);
        // cap: a block of 2 is skipped with cap 1
        s.max_block = 1;
        s.max_block_weak = 1;
        let (p, st) = candidate_pairs(&norm, &s);
        assert!(p.is_empty());
        assert!(st.skipped_blocks >= 2);
    }

    #[test]
    fn name_only_blocks_skip_pairs_with_two_domains() {
        let s = Settings::default();
        let mk = |id: i64, site: &str| ContactInput {
            id,
            first_name: "Anna".into(),
            last_name: "Petrova".into(),
            website: site.into(),
            ..Default::default()
        };
        let cs = [mk(1, "acme.com"), mk(2, "other.org"), mk(3, ""), mk(4, "acme.com")];
        let norm: Vec<_> = cs.iter().map(|c| normalize(c, &s)).collect();
        let (p, _) = candidate_pairs(&norm, &s);
        // 1–4 share name + domain; 3 has no domain so meets everyone by name; 1–2, 2–4 do not meet
        assert_eq!(p, vec![(0, 2), (0, 3), (1, 2), (2, 3)]);
    }

    #[test]
    fn name_and_address_keys_survive_typos_swaps_and_missing_parts() {
        let s = Settings::default();
        let mk = |id: i64, first: &str, last: &str, addr: &str| {
            normalize(
                &ContactInput {
                    id,
                    first_name: first.into(),
                    last_name: last.into(),
                    address: addr.into(),
                    ..Default::default()
                },
                &s,
            )
        };
        let shared = |a: &Normalized, b: &Normalized| -> Vec<String> {
            let kb = blocking_keys(b);
            blocking_keys(a).into_iter().filter(|k| kb.contains(k)).collect()
        };
        let base = mk(1, "Sarah", "Clarke", "14 Brigden Crescent, Oakleigh NSW 4700");
        // surname typo, no house number, postcode digits swapped: name + street sound
        let k = shared(&base, &mk(2, "sarah", "clarkre", "brigden crescent, numby, oakleigh nsw 7400"));
        assert!(k.iter().any(|k| k.starts_with("ns:")), "{k:?}");
        // first and last name swapped, other street spelling: name sound + postcode
        let k = shared(&base, &mk(3, "Clarke", "Sarah", "14 Brigdon Cres, Oakleigh 4700"));
        assert!(k.iter().any(|k| k.starts_with("sp:")) && k.iter().any(|k| k.starts_with("nh:")), "{k:?}");
        // another first name entirely (a typist's guess), same building
        let k = shared(&base, &mk(4, "Sally", "Clark", "14 Brigden Crescent, Oakleigh NSW 4700"));
        assert!(k.iter().any(|k| k.starts_with("sh:")), "{k:?}");
        // names and company alone: the company + surname sound key
        let c = |id: i64, first: &str, last: &str| {
            normalize(
                &ContactInput {
                    id,
                    first_name: first.into(),
                    last_name: last.into(),
                    company: "Vector Labs".into(),
                    ..Default::default()
                },
                &s,
            )
        };
        assert_eq!(
            shared(&c(5, "", "Kuznetsov"), &c(6, "Ivan", "Kuznetsova")),
            vec!["cs:vector labs|k253".to_string()]
        );
        // no address and no company: none of the new kinds
        let bare = mk(7, "Sarah", "Clarke", "");
        assert!(blocking_keys(&bare)
            .iter()
            .all(|k| matches!(key_kind(k), Some(KeyKind::Tokens | KeyKind::NameInitial))));
        // every new kind is known by its prefix and has a lookup limit
        for p in ["sp", "nh", "cs", "ns", "sh"] {
            assert!(KeyKind::from_prefix(p).is_some(), "{p}");
        }
        assert_eq!(lookup_limit("sp:e462|4700", &s), s.lookup_limit_weak);
        assert_eq!(lookup_limit("nh:e462|s6|14", &s), s.lookup_limit);
    }

    #[test]
    fn keys_of_names_in_other_scripts() {
        let s = Settings::default();
        let c = ContactInput { id: 1, full_name: "Νίκος Παπαδόπουλος".into(), ..Default::default() };
        let k = blocking_keys(&normalize(&c, &s));
        assert!(k.contains(&"n:παπαδοπουλοσ|ν".to_string()), "{k:?}");
        assert!(k.contains(&"n:νικοσ|π".to_string()), "{k:?}");
    }

    #[test]
    fn hash_keeps_kind() {
        let h = key_hash(KeyKind::Phone7, &["1234567"]);
        assert_eq!(hash_kind(h), Some(KeyKind::Phone7));
        assert_ne!(key_hash(KeyKind::Tokens, &["ab", "c"]), key_hash(KeyKind::Tokens, &["a", "bc"]));
    }
}
