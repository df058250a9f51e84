//! One row of the file: checked as every door checks a contact, fingerprinted when it has no UID,
//! and merged into the stored contact or an earlier row it matches (only what is missing is added).

use super::*;

/// The content fingerprint of a row without a UID: re-importing the same row finds the contact it
/// made. Taken before the import's tag is added, so the same file imported with another tag still
/// matches.
pub(super) fn fingerprint(input: &ContactInput) -> String {
    let text = serde_json::to_string(input).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    format!("import-{}", hex::encode(&digest[..16]))
}

pub(super) fn check_row(item: Result<ContactRecord, interchange::RowError>, tag: &str, region: &str) -> Checked {
    let mut rec = match item {
        Ok(r) => r,
        Err(e) => return Checked::Invalid { line: e.line as i64, name: String::new(), detail: e.detail },
    };
    // A photo is kept only if it is an image we keep (type sniffed, decoded); a bad one is dropped,
    // not the row.
    let photo = rec.photo.take().and_then(|p| match crate::contacts::photos::check_blocking(&p.bytes) {
        Ok(media_type) => Some(Box::new(RowPhoto { media_type, data: p.bytes })),
        Err(_) => None,
    });
    let line = rec.line as i64;
    let name = rec.display_name();
    let mut input = crate::transfer::record_to_input(&rec);
    let uid = if rec.uid.trim().is_empty() { fingerprint(&input) } else { rec.uid.trim().chars().take(200).collect() };
    if !tag.is_empty() {
        input.tags.push(NameRef::Name(tag.to_string()));
    }
    // The service keeps 20 phones and 20 e-mails; a record with more is cut, not refused.
    input.phones.truncate(20);
    input.emails.truncate(20);
    match contacts::clean(input, region) {
        Ok(c) => Checked::Ok { line, name, uid, clean: Box::new(c), photo },
        Err(e) => Checked::Invalid { line, name, detail: e.to_string() },
    }
}

/// Adds to `stored` what `incoming` has and it lacks; `None` when nothing is new. Never removes
/// or overwrites a value the stored contact has.
pub(super) fn merged(stored: &Contact, incoming: &Clean) -> Option<(ContactInput, Vec<&'static str>)> {
    let mut out = ContactInput::from(stored);
    out.version = Some(stored.version);
    let i = &incoming.input;
    let mut added: Vec<&'static str> = Vec::new();
    // The notes are joined, not filled, below.
    for f in ContactField::ALL.into_iter().filter(|f| *f != ContactField::Notes) {
        let (dst, src) = (f.of_input_mut(&mut out), f.of_input(i));
        if dst.trim().is_empty() && !src.is_empty() {
            *dst = src.to_string();
            added.push(f.name());
        }
    }
    if !i.notes.is_empty() && !out.notes.contains(i.notes.as_str()) {
        let joined = if out.notes.is_empty() { i.notes.clone() } else { format!("{}\n\n{}", out.notes, i.notes) };
        if joined.chars().count() <= 20_000 {
            out.notes = joined;
            added.push("notes");
        }
    }
    let digits = |s: &str| crate::platform::text::digits(s);
    let mut phone_added = false;
    for p in &incoming.phones {
        let known = stored.phones.iter().any(|q| {
            (p.e164.is_some() && q.e164 == p.e164)
                || (!digits(&q.number).is_empty() && digits(&q.number) == digits(&p.number))
        }) || out.phones.iter().any(|q| digits(&q.number) == digits(&p.number));
        if !known && out.phones.len() < 20 {
            out.phones.push(PhoneInput { kind: p.kind.clone(), number: p.number.clone() });
            phone_added = true;
        }
    }
    if phone_added {
        added.push("phones");
    }
    let mut email_added = false;
    for (kind, address, key) in &incoming.emails {
        let known = stored.emails.iter().any(|e| crate::platform::text::email_key(&e.address) == *key)
            || out.emails.iter().any(|e| crate::platform::text::email_key(&e.address) == *key);
        if !known && out.emails.len() < 20 {
            out.emails.push(EmailInput { kind: kind.clone(), address: address.clone() });
            email_added = true;
        }
    }
    if email_added {
        added.push("emails");
    }
    for (name, list, new) in [("tags", &mut out.tags, &incoming.tags), ("groups", &mut out.groups, &incoming.groups)] {
        let mut any = false;
        for n in new {
            if !list.iter().any(|x| x.name().to_lowercase() == n.to_lowercase()) {
                list.push(NameRef::Name(n.clone()));
                any = true;
            }
        }
        if any {
            added.push(name);
        }
    }
    out.source = None;
    if added.is_empty() {
        None
    } else {
        Some((out, added))
    }
}

/// Folds a later row of the file into a row to be created (the same rules as [`merged`]).
pub(super) fn fold(into: &mut Clean, from: &Clean) -> Vec<&'static str> {
    let mut added = Vec::new();
    let (dst, src) = (&mut into.input, &from.input);
    // Notes are not folded: the first row's stay.
    for f in ContactField::ALL.into_iter().filter(|f| *f != ContactField::Notes) {
        let (d, s) = (f.of_input_mut(dst), f.of_input(src));
        if d.is_empty() && !s.is_empty() {
            *d = s.to_string();
            added.push(f.name());
        }
    }
    for p in &from.phones {
        let d = crate::platform::text::digits(&p.number);
        if into.phones.len() < 20 && !into.phones.iter().any(|q| crate::platform::text::digits(&q.number) == d) {
            into.phones.push(p.clone());
            added.push("phones");
        }
    }
    for e in &from.emails {
        if into.emails.len() < 20 && !into.emails.iter().any(|x| x.2 == e.2) {
            into.emails.push(e.clone());
            added.push("emails");
        }
    }
    for t in &from.tags {
        if !into.tags.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
            into.tags.push(t.clone());
            added.push("tags");
        }
    }
    for g in &from.groups {
        if !into.groups.iter().any(|x| x.to_lowercase() == g.to_lowercase()) {
            into.groups.push(g.clone());
            added.push("groups");
        }
    }
    added.dedup();
    added
}

pub(super) fn why(m: &dedup::Match) -> String {
    let mut fields: Vec<&str> = m.match_fields.iter().filter(|f| f.score >= 0.8).map(|f| f.field.as_str()).collect();
    fields.dedup();
    if fields.is_empty() {
        format!("score {:.2}", m.score)
    } else {
        format!("score {:.2}: {}", m.score, fields.join(", "))
    }
}
