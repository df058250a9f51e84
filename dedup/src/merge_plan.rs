//! Merge plan: given N contacts and per-field choices, the survivor's values.
//!
//! Pure computation; the caller applies the plan in one transaction (move tags/groups/history,
//! mark the others merged-into) and keeps the plan for undo.
//!
//! * The survivor is the most complete record (most non-empty fields), then the most recent,
//!   then the lowest id — unless the caller names one.
//! * A text field with no choice takes the most recent non-empty value when records carry
//!   `updated_at`, otherwise the most complete (longest) one; ties go to the survivor.
//! * A list field (`emails`, `phones`, …) with no choice is the union of all records', survivor's
//!   first, deduplicated by normalised key (e-mail key; same phone number in any format).

use crate::normalize;
use crate::scoring::phone_level;
use crate::{ContactInput, DedupError, Settings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A field value: text or a list of texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    List(Vec<String>),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Text(t) => t.trim().is_empty(),
            Value::List(l) => l.iter().all(|x| x.trim().is_empty()),
        }
    }
    fn completeness(&self) -> usize {
        match self {
            Value::Text(t) => t.trim().chars().count(),
            Value::List(l) => l.len(),
        }
    }
    pub fn as_text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::List(l) => l.join(", "),
        }
    }
    pub fn as_list(&self) -> Vec<String> {
        match self {
            Value::Text(t) if t.trim().is_empty() => vec![],
            Value::Text(t) => vec![t.clone()],
            Value::List(l) => l.clone(),
        }
    }
}

/// One contact as a generic field map (any fields the CRM has: custom fields too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: i64,
    /// Last modification (any monotonic number, e.g. unix seconds); used for "most recent".
    #[serde(default)]
    pub updated_at: Option<i64>,
    pub fields: BTreeMap<String, Value>,
}

impl From<&ContactInput> for Record {
    fn from(c: &ContactInput) -> Self {
        let mut f = BTreeMap::new();
        for (k, v) in [
            ("first_name", &c.first_name),
            ("middle_name", &c.middle_name),
            ("last_name", &c.last_name),
            ("full_name", &c.full_name),
            ("company", &c.company),
            ("position", &c.position),
            ("website", &c.website),
            ("address", &c.address),
        ] {
            f.insert(k.to_string(), Value::Text(v.clone()));
        }
        f.insert("emails".into(), Value::List(c.emails.clone()));
        f.insert("phones".into(), Value::List(c.phones.clone()));
        Record { id: c.id, updated_at: None, fields: f }
    }
}

/// What to do with one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// The default rule (most recent / most complete; union for lists).
    Auto,
    /// Take this record's value (may be empty).
    From(i64),
    /// Union of all records' values (lists), deduplicated.
    Union,
    /// A value typed by the user.
    Value(Value),
}

/// The survivor's values and where each came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergePlan {
    pub survivor: i64,
    /// The other records, to be marked merged-into the survivor.
    pub merged: Vec<i64>,
    pub fields: BTreeMap<String, Value>,
    /// For each field, the ids whose value(s) it took (empty for typed values).
    pub sources: BTreeMap<String, Vec<i64>>,
}

impl MergePlan {
    /// The survivor as a [`ContactInput`] (fields the struct lacks are ignored).
    pub fn to_contact(&self) -> ContactInput {
        let t = |k: &str| self.fields.get(k).map(Value::as_text).unwrap_or_default();
        let l = |k: &str| self.fields.get(k).map(Value::as_list).unwrap_or_default();
        ContactInput {
            id: self.survivor,
            first_name: t("first_name"),
            middle_name: t("middle_name"),
            last_name: t("last_name"),
            full_name: t("full_name"),
            company: t("company"),
            position: t("position"),
            emails: l("emails"),
            phones: l("phones"),
            website: t("website"),
            address: t("address"),
        }
    }
}

/// The default survivor: most non-empty fields, then most recent, then lowest id.
pub fn choose_survivor(records: &[Record]) -> Option<i64> {
    records
        .iter()
        .max_by(|a, b| {
            let fa = a.fields.values().filter(|v| !v.is_empty()).count();
            let fb = b.fields.values().filter(|v| !v.is_empty()).count();
            fa.cmp(&fb).then(a.updated_at.cmp(&b.updated_at)).then(b.id.cmp(&a.id))
        })
        .map(|r| r.id)
}

/// Build a merge plan. `survivor` = `None` picks [`choose_survivor`]. Fields missing from
/// `choices` use [`Choice::Auto`].
pub fn plan(
    records: &[Record],
    choices: &BTreeMap<String, Choice>,
    survivor: Option<i64>,
    s: &Settings,
) -> Result<MergePlan, DedupError> {
    if records.len() < 2 {
        return Err(DedupError::Merge("a merge needs at least two contacts".into()));
    }
    for (i, r) in records.iter().enumerate() {
        if records[..i].iter().any(|q| q.id == r.id) {
            return Err(DedupError::Merge(format!("contact {} given twice", r.id)));
        }
    }
    let survivor = match survivor {
        Some(id) if records.iter().any(|r| r.id == id) => id,
        Some(id) => return Err(DedupError::Merge(format!("survivor {id} is not among the merged contacts"))),
        None => choose_survivor(records).expect("non-empty"),
    };
    // survivor first, then the others in the given order
    let mut ordered: Vec<&Record> = records.iter().filter(|r| r.id == survivor).collect();
    ordered.extend(records.iter().filter(|r| r.id != survivor));

    let mut names: Vec<&String> = records.iter().flat_map(|r| r.fields.keys()).collect();
    names.extend(choices.keys());
    names.sort();
    names.dedup();

    let mut fields = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for name in names {
        let is_list = ordered.iter().any(|r| matches!(r.fields.get(name), Some(Value::List(_))));
        let choice = choices.get(name).cloned().unwrap_or(Choice::Auto);
        let (value, from) = match choice {
            Choice::From(id) => {
                let r = records
                    .iter()
                    .find(|r| r.id == id)
                    .ok_or_else(|| DedupError::Merge(format!("field {name}: contact {id} is not being merged")))?;
                let v = r.fields.get(name).cloned().unwrap_or(if is_list {
                    Value::List(vec![])
                } else {
                    Value::Text(String::new())
                });
                (v, vec![id])
            }
            Choice::Value(v) => (if is_list { Value::List(v.as_list()) } else { v }, vec![]),
            Choice::Union => union(name, &ordered, s),
            Choice::Auto if is_list => union(name, &ordered, s),
            Choice::Auto => pick_text(name, &ordered),
        };
        fields.insert(name.clone(), value);
        sources.insert(name.clone(), from);
    }
    let merged = ordered[1..].iter().map(|r| r.id).collect();
    Ok(MergePlan { survivor, merged, fields, sources })
}

/// Convenience over [`ContactInput`]s.
pub fn plan_contacts(
    contacts: &[ContactInput],
    choices: &BTreeMap<String, Choice>,
    survivor: Option<i64>,
    s: &Settings,
) -> Result<MergePlan, DedupError> {
    let recs: Vec<Record> = contacts.iter().map(Record::from).collect();
    plan(&recs, choices, survivor, s)
}

fn pick_text(name: &str, ordered: &[&Record]) -> (Value, Vec<i64>) {
    let mut best: Option<(&Record, &Value)> = None;
    for r in ordered {
        let Some(v) = r.fields.get(name) else { continue };
        if v.is_empty() {
            continue;
        }
        best = match best {
            None => Some((r, v)),
            Some((br, bv)) => {
                let newer = match (r.updated_at, br.updated_at) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => std::cmp::Ordering::Equal,
                };
                let better = newer.then(v.completeness().cmp(&bv.completeness()));
                // strictly better only: ties stay with the earlier (survivor first)
                if better == std::cmp::Ordering::Greater {
                    Some((r, v))
                } else {
                    Some((br, bv))
                }
            }
        };
    }
    match best {
        Some((r, v)) => (v.clone(), vec![r.id]),
        None => (Value::Text(String::new()), vec![]),
    }
}

fn union(name: &str, ordered: &[&Record], s: &Settings) -> (Value, Vec<i64>) {
    let mut out: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut from: Vec<i64> = Vec::new();
    for r in ordered {
        let Some(v) = r.fields.get(name) else { continue };
        for item in v.as_list() {
            let item = item.trim().to_string();
            if item.is_empty() {
                continue;
            }
            let key = item_key(name, &item, s);
            let dup = keys.iter().position(|k| same_item(name, k, &key));
            match dup {
                Some(i) => {
                    // keep the more complete writing of the same phone (international form)
                    if name == "phones" && !out[i].trim_start().starts_with('+') && item.starts_with('+') {
                        out[i] = item;
                        keys[i] = key;
                    }
                }
                None => {
                    out.push(item);
                    keys.push(key);
                    if !from.contains(&r.id) {
                        from.push(r.id);
                    }
                }
            }
        }
    }
    (Value::List(out), from)
}

fn item_key(field: &str, item: &str, s: &Settings) -> String {
    match field {
        "emails" => normalize::email_key(item).unwrap_or_else(|| item.to_lowercase()),
        "phones" => normalize::phone_e164(item, &s.default_region)
            .map(|e| e.trim_start_matches('+').to_string())
            .unwrap_or_else(|| normalize::phone_digits(item)),
        _ => normalize::to_ascii_lower(item).split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn same_item(field: &str, a: &str, b: &str) -> bool {
    if field == "phones" && a.len() >= 7 && b.len() >= 7 {
        phone_level(a, b) == 2
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64, updated: Option<i64>, f: &[(&str, Value)]) -> Record {
        Record { id, updated_at: updated, fields: f.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() }
    }
    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn l(v: &[&str]) -> Value {
        Value::List(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn defaults_most_complete_and_union() {
        let s = Settings { default_region: "RU".into(), ..Default::default() };
        let a = rec(
            1,
            None,
            &[
                ("full_name", t("Anna Petrova")),
                ("company", t("Acme")),
                ("emails", l(&["anna@acme.com"])),
                ("phones", l(&["8 (916) 123-45-67"])),
            ],
        );
        let b = rec(
            2,
            None,
            &[
                ("full_name", t("Anna Petrova")),
                ("company", t("Acme Inc.")),
                ("position", t("CTO")),
                ("emails", l(&["Anna@ACME.com", "anna.p@gmail.com"])),
                ("phones", l(&["+7 916 123 45 67"])),
            ],
        );
        let p = plan(&[a, b], &BTreeMap::new(), None, &s).unwrap();
        assert_eq!(p.survivor, 2); // more fields filled
        assert_eq!(p.merged, vec![1]);
        assert_eq!(p.fields["company"], t("Acme Inc."));
        assert_eq!(p.fields["position"], t("CTO"));
        assert_eq!(p.fields["emails"], l(&["Anna@ACME.com", "anna.p@gmail.com"]));
        assert_eq!(p.fields["phones"], l(&["+7 916 123 45 67"]));
    }

    #[test]
    fn most_recent_wins_when_dated() {
        let s = Settings::default();
        let a = rec(1, Some(100), &[("company", t("Acme International Holdings"))]);
        let b = rec(2, Some(200), &[("company", t("Acme"))]);
        let p = plan(&[a, b], &BTreeMap::new(), None, &s).unwrap();
        assert_eq!(p.fields["company"], t("Acme"));
        assert_eq!(p.sources["company"], vec![2]);
    }

    #[test]
    fn explicit_choices_and_three_way() {
        let s = Settings::default();
        let a = rec(1, None, &[("company", t("Acme")), ("phones", l(&["+12125550142"]))]);
        let b = rec(2, None, &[("company", t("Acme Corp")), ("phones", l(&["+12125550199"]))]);
        let c = rec(3, None, &[("company", t("")), ("phones", l(&["(212) 555-0142"]))]);
        let mut ch = BTreeMap::new();
        ch.insert("company".to_string(), Choice::From(1));
        ch.insert("phones".to_string(), Choice::From(2));
        ch.insert("note".to_string(), Choice::Value(t("met at expo")));
        let p = plan(&[a.clone(), b.clone(), c.clone()], &ch, Some(3), &s).unwrap();
        assert_eq!(p.survivor, 3);
        assert_eq!(p.merged, vec![1, 2]);
        assert_eq!(p.fields["company"], t("Acme"));
        assert_eq!(p.fields["phones"], l(&["+12125550199"]));
        assert_eq!(p.fields["note"], t("met at expo"));
        // union of phones: the national writing of +12125550142 is the same number
        let p = plan(&[a, b, c], &BTreeMap::new(), Some(1), &s).unwrap();
        assert_eq!(p.fields["phones"], l(&["+12125550142", "+12125550199"]));
        let contact = p.to_contact();
        assert_eq!(contact.id, 1);
        assert_eq!(contact.phones.len(), 2);
    }

    #[test]
    fn errors() {
        let s = Settings::default();
        let a = rec(1, None, &[]);
        assert!(plan(std::slice::from_ref(&a), &BTreeMap::new(), None, &s).is_err());
        assert!(plan(&[a.clone(), a.clone()], &BTreeMap::new(), None, &s).is_err());
        let b = rec(2, None, &[]);
        assert!(plan(&[a.clone(), b.clone()], &BTreeMap::new(), Some(9), &s).is_err());
        let mut ch = BTreeMap::new();
        ch.insert("company".to_string(), Choice::From(7));
        assert!(plan(&[a, b], &ch, None, &s).is_err());
    }

    #[test]
    fn choices_deserialize() {
        let ch: BTreeMap<String, Choice> =
            serde_json::from_str(r#"{"company": {"from": 2}, "emails": "union", "position": {"value": "CEO"}}"#)
                .unwrap();
        assert_eq!(ch["company"], Choice::From(2));
        assert_eq!(ch["emails"], Choice::Union);
        assert_eq!(ch["position"], Choice::Value(Value::Text("CEO".into())));
    }
}
