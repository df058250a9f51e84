//! `addressbook-query`: a client's property filters, checked on the rendered cards after a
//! database prefilter where one applies.

use super::*;

/// How a `text-match` compares (RFC 6352 §10.5.4), always case-insensitively
/// (`i;unicode-casemap`, the default collation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MatchType {
    Equals,
    #[default]
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Clone, Debug, Default)]
pub struct TextMatch {
    pub text: String,
    pub match_type: MatchType,
    pub negate: bool,
}

/// A `prop-filter`: the vCard property (upper case) and its tests.
#[derive(Clone, Debug, Default)]
pub struct PropFilter {
    pub name: String,
    /// `test="allof"` (else anyof).
    pub all: bool,
    pub is_not_defined: bool,
    pub matches: Vec<TextMatch>,
}

/// An `addressbook-query` filter; no prop-filters matches every card.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub all: bool,
    pub props: Vec<PropFilter>,
}

/// The values of a vCard property in a record, for filtering. Properties cardcrm does not keep
/// have no values.
pub(super) fn values(r: &ContactRecord, prop: &str) -> Vec<String> {
    let one = |s: &str| if s.is_empty() { Vec::new() } else { vec![s.to_string()] };
    match prop {
        "FN" => one(&r.full_name),
        "N" => one(&[&r.last_name, &r.first_name, &r.middle_name, &r.prefix, &r.suffix]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")),
        "EMAIL" => r.emails.iter().map(|e| e.address.clone()).collect(),
        "TEL" => r.phones.iter().map(|p| p.number.clone()).collect(),
        "ORG" => one(&[r.company.as_str(), r.department.as_str()].join(" "))
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect(),
        "TITLE" => one(&r.position),
        "NOTE" => one(&r.notes),
        "UID" => one(&r.uid),
        "URL" => r.websites.iter().map(|w| w.url.clone()).collect(),
        "ADR" => r.addresses.iter().map(|a| a.formatted.clone()).collect(),
        "CATEGORIES" => r.tags.clone(),
        _ => Vec::new(),
    }
}

fn text_matches(value: &str, m: &TextMatch) -> bool {
    let v = value.to_lowercase();
    let t = m.text.to_lowercase();
    let hit = match m.match_type {
        MatchType::Equals => v == t,
        MatchType::Contains => v.contains(&t),
        MatchType::StartsWith => v.starts_with(&t),
        MatchType::EndsWith => v.ends_with(&t),
    };
    hit != m.negate
}

fn prop_matches(r: &ContactRecord, p: &PropFilter) -> bool {
    let vals = values(r, &p.name);
    if p.is_not_defined {
        return vals.is_empty();
    }
    if p.matches.is_empty() {
        return !vals.is_empty();
    }
    let test = |m: &TextMatch| vals.iter().any(|v| text_matches(v, m));
    if p.all {
        p.matches.iter().all(test)
    } else {
        p.matches.iter().any(test)
    }
}

/// Whether a card passes a filter.
pub fn filter_matches(r: &ContactRecord, f: &Filter) -> bool {
    if f.props.is_empty() {
        return true;
    }
    if f.all {
        f.props.iter().all(|p| prop_matches(r, p))
    } else {
        f.props.iter().any(|p| prop_matches(r, p))
    }
}

/// For the common query — one text-match on FN, EMAIL or TEL, ASCII text, not negated — the ids
/// whose stored value could match, found in SQL, so that only those are read and matched in Rust
/// (which still decides). `None`: no pre-filter, every live contact is matched.
async fn prefilter(svc: &Services, f: &Filter) -> AppResult<Option<std::collections::HashSet<i64>>> {
    let [p] = f.props.as_slice() else { return Ok(None) };
    let [m] = p.matches.as_slice() else { return Ok(None) };
    if p.is_not_defined || m.negate || m.text.is_empty() || !m.text.is_ascii() {
        return Ok(None);
    }
    let sql = match p.name.as_str() {
        "FN" => "SELECT id FROM contacts WHERE LOWER(full_name) LIKE ? ESCAPE '\\'",
        "EMAIL" => "SELECT contact_id FROM contact_emails WHERE LOWER(address) LIKE ? ESCAPE '\\'",
        "TEL" => "SELECT contact_id FROM contact_phones WHERE LOWER(number) LIKE ? ESCAPE '\\'",
        _ => return Ok(None),
    };
    let text: String = m
        .text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = match m.match_type {
        MatchType::Contains => format!("%{text}%"),
        MatchType::StartsWith => format!("{text}%"),
        MatchType::EndsWith => format!("%{text}"),
        MatchType::Equals => text,
    };
    let backend = svc.db.get_database_backend();
    let rows = svc.db.query_all_raw(stmt(backend, sql, vec![pattern.into()])).await?;
    let mut ids = std::collections::HashSet::with_capacity(rows.len());
    for r in rows {
        ids.insert(r.try_get_by_index::<i64>(0)?);
    }
    Ok(Some(ids))
}

/// `addressbook-query`: the live cards passing `filter`, at most `limit` (capped at
/// [`QUERY_MAX`]); the flag says more would have matched. Contacts are read 500 at a time.
pub async fn query(
    svc: &Services,
    book: Book,
    filter: &Filter,
    limit: Option<usize>,
    version: VcardVersion,
) -> AppResult<(Vec<Card>, bool)> {
    let limit = limit.unwrap_or(QUERY_MAX).clamp(1, QUERY_MAX);
    let mut all = members(svc, book).await?;
    if let Some(candidates) = prefilter(svc, filter).await? {
        all.retain(|m| candidates.contains(&m.contact_id));
    }
    let mut out = Vec::new();
    for chunk in all.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|m| m.contact_id).collect();
        let loaded: std::collections::HashMap<i64, Contact> =
            load(svc, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
        // The card text (and its photo) is written only for the matches.
        let mut matched: Vec<(&Member, &Contact)> = Vec::new();
        let mut truncated = false;
        for m in chunk {
            let Some(c) = loaded.get(&m.contact_id) else { continue };
            if filter_matches(&contact_to_record(c), filter) {
                if out.len() + matched.len() == limit {
                    truncated = true;
                    break;
                }
                matched.push((m, c));
            }
        }
        let mut photos = photos_of(svc, matched.iter().map(|(_, c)| *c)).await?;
        for (m, c) in matched {
            let (record, vcard) = render(c, photos.remove(&c.id), version);
            out.push(Card { member: m.clone(), vcard, record });
        }
        if truncated {
            return Ok((out, true));
        }
    }
    Ok((out, false))
}
