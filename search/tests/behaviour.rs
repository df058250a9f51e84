//! What the search finds and in which order, on a small in-memory index.

use search::{ContactDoc, Index, MatchKind, MatchedField};

fn contact(id: i64, names: &str, company: &str) -> ContactDoc {
    ContactDoc { id, names: names.into(), company: company.into(), ..Default::default() }
}

fn index(contacts: &[ContactDoc]) -> Index {
    let ix = Index::open_or_create(None).unwrap();
    ix.upsert(contacts).unwrap();
    ix.commit().unwrap();
    ix
}

fn ids(ix: &Index, q: &str) -> Vec<i64> {
    ix.search(q, 10).unwrap().into_iter().map(|h| h.id).collect()
}

fn people() -> Vec<ContactDoc> {
    vec![
        contact(1, "Anna Petrova", "Acme"),
        contact(2, "Анна Петрова", "Ромашка"),
        contact(3, "Ivan Ivanov", "Globex"),
        contact(4, "Иван Иванов", "Рога и копыта"),
        contact(5, "Peter Smith", "Petrova Consulting"),
        contact(6, "John Smyth", "Initech"),
        ContactDoc {
            id: 7,
            names: "Maria Garcia".into(),
            emails: vec!["m.garcia-lopez@example.com".into()],
            phones: vec!["+7 (916) 123-45-67".into()],
            notes: "met at the Berlin fair, wants a demo of the scanner".into(),
            ..Default::default()
        },
        contact(8, "Petra Novak", "Smithson"),
    ]
}

#[test]
fn exact_before_typo() {
    let ix = index(&people());
    let hits = ix.search("smith", 10).unwrap();
    let got: Vec<i64> = hits.iter().map(|h| h.id).collect();
    // "Smith" exactly, then "Smithson" (prefix), then "Smyth" (one letter off)
    assert_eq!(got, vec![5, 8, 6], "{hits:#?}");
    assert_eq!(hits[0].kind, MatchKind::Exact);
    assert_eq!(hits[1].kind, MatchKind::Prefix);
    assert_eq!(hits[2].kind, MatchKind::Typo);
    assert!(hits[0].score > hits[1].score && hits[1].score > hits[2].score);
    assert_eq!(hits[0].highlight.marked("[", "]"), "Peter [Smith]");
    assert_eq!(hits[2].highlight.marked("[", "]"), "John [Smyth]");
}

#[test]
fn names_before_company() {
    let ix = index(&people());
    let hits = ix.search("petrova", 10).unwrap();
    let got: Vec<i64> = hits.iter().map(|h| h.id).collect();
    // Petrova as a name (both scripts, newest first), then the company called Petrova
    assert_eq!(&got[..3], &[2, 1, 5], "{hits:#?}");
    assert_eq!(hits[0].matched_field, MatchedField::Names);
    assert_eq!(hits[2].matched_field, MatchedField::Company);
    assert_eq!(hits[2].highlight.marked("[", "]"), "[Petrova] Consulting");
}

#[test]
fn prefix_as_you_type() {
    let ix = index(&people());
    for q in ["pe", "pet", "petr", "petro", "petrov"] {
        let got = ids(&ix, q);
        assert!(got.contains(&1), "{q}: {got:?}");
    }
    let hits = ix.search("petr", 10).unwrap();
    let anna = hits.iter().find(|h| h.id == 1).unwrap();
    assert_eq!(anna.kind, MatchKind::Prefix);
    assert_eq!(anna.highlight.marked("[", "]"), "Anna [Petr]ova");
    // the words before the last one are whole words or prefixes of 3+ letters
    assert_eq!(ids(&ix, "anna petr"), vec![2, 1]);
    assert_eq!(ids(&ix, "ann pe"), vec![2, 1]);
}

#[test]
fn one_letter_typos() {
    let ix = index(&people());
    assert!(ids(&ix, "petrvoa").contains(&1), "transposition");
    assert!(ids(&ix, "ptrova").contains(&1), "dropped letter");
    assert!(ids(&ix, "petrowa").contains(&1), "replaced letter");
    assert!(ids(&ix, "petroova").contains(&1), "added letter");
    assert!(ids(&ix, "ivnaov").contains(&3), "transposition");
    let hits = ix.search("ivnaov", 10).unwrap();
    assert!(hits.iter().all(|h| h.kind == MatchKind::Typo));
    // Cyrillic letters swapped: one edit in Cyrillic, two in the transliteration
    assert!(ids(&ix, "ивонов").contains(&4));
    let ix2 = index(&[contact(20, "Ольга Мухина", ""), contact(21, "Olga Mukhina", "")]);
    // "муихна" is "muikhna": two edits from "mukhina" in Latin, one in Cyrillic
    assert_eq!(ids(&ix2, "муихна"), vec![20]);
    assert_eq!(ids(&ix2, "mukhnia"), vec![21, 20]);
    // three letters: no typos (too many false friends)
    assert!(ids(&ix, "ivx").is_empty());
}

#[test]
fn cyrillic_and_latin() {
    let ix = index(&people());
    let got = ids(&ix, "ivanov");
    assert!(got.contains(&3) && got.contains(&4), "{got:?}");
    let got = ids(&ix, "иванов");
    assert!(got.contains(&3) && got.contains(&4), "{got:?}");
    let hits = ix.search("ivanov", 10).unwrap();
    let cyr = hits.iter().find(|h| h.id == 4).unwrap();
    assert_eq!(cyr.kind, MatchKind::Exact);
    assert_eq!(cyr.highlight.marked("[", "]"), "Иван [Иванов]");
    // a prefix typed in the other script
    assert!(ids(&ix, "петр").contains(&1));
    assert!(ids(&ix, "romash").contains(&2));
}

#[test]
fn phone_digits_anywhere() {
    let ix = index(&people());
    for q in ["123", "91612", "4567", "+7 916", "(916) 123-45-67", "79161234567"] {
        assert_eq!(ids(&ix, q), vec![7], "{q}");
    }
    let hits = ix.search("1234", 10).unwrap();
    assert_eq!(hits[0].matched_field, MatchedField::Phone);
    assert_eq!(hits[0].highlight.marked("[", "]"), "+7 (916) [123-4]5-67");
    assert!(ids(&ix, "99999").is_empty());
}

#[test]
fn email_local_part() {
    let ix = index(&people());
    assert_eq!(ids(&ix, "m.garcia-lopez"), vec![7]);
    assert_eq!(ids(&ix, "m.garcia-lo"), vec![7]);
    assert_eq!(ids(&ix, "m.garcia-lopez@example.com"), vec![7]);
    assert_eq!(ids(&ix, "lopez"), vec![7]);
    let hits = ix.search("m.garcia", 10).unwrap();
    assert_eq!(hits[0].matched_field, MatchedField::Email);
    assert_eq!(hits[0].highlight.marked("[", "]"), "[m.garcia]-lopez@example.com");
}

#[test]
fn every_word_must_match() {
    let ix = index(&people());
    assert_eq!(ids(&ix, "anna acme"), vec![1]);
    assert_eq!(ids(&ix, "maria berlin"), vec![7]);
    assert!(ids(&ix, "anna globex").is_empty());
    // the same contact once, though it matches in several fields
    assert_eq!(ids(&ix, "petr"), vec![8, 2, 1, 5]);
}

#[test]
fn notes_snippet() {
    let mut long = people();
    long[6].notes = format!("{} scanner {}", "lorem ipsum ".repeat(20), "dolor sit ".repeat(20));
    let ix = index(&long);
    let hits = ix.search("scanner", 10).unwrap();
    assert_eq!(hits[0].matched_field, MatchedField::Notes);
    let h = &hits[0].highlight;
    assert!(h.text.chars().count() <= 80 && h.marked("[", "]").contains("[scanner]"), "{h:?}");
}

#[test]
fn delete_and_upsert() {
    let ix = index(&people());
    ix.delete(&[1]).unwrap();
    ix.commit().unwrap();
    assert!(!ids(&ix, "acme").contains(&1));
    assert_eq!(ids(&ix, "anna"), vec![2]);
    ix.upsert(&[contact(3, "Ivan Sidorov", "Globex")]).unwrap();
    ix.commit().unwrap();
    assert_eq!(ids(&ix, "ivanov"), vec![4]);
    assert_eq!(ids(&ix, "sidorov"), vec![3]);
    assert_eq!(ix.num_docs(), 7);
    // the same id twice in one batch: the last one wins
    ix.upsert(&[contact(30, "Vera First", ""), contact(30, "Vera Second", "")]).unwrap();
    ix.commit().unwrap();
    assert_eq!(ids(&ix, "vera"), vec![30]);
    assert!(ids(&ix, "first").is_empty());
    ix.clear().unwrap();
    ix.commit().unwrap();
    assert_eq!(ix.num_docs(), 0);
}

#[test]
fn watermark_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ix = Index::open_or_create(Some(dir.path())).unwrap();
        assert_eq!(ix.last_change_id().unwrap(), 0);
        ix.upsert(&people()).unwrap();
        ix.set_last_change_id(42);
        ix.commit().unwrap();
        assert_eq!(ix.last_change_id().unwrap(), 42);
        // a commit without a new watermark keeps the old one
        ix.delete(&[6]).unwrap();
        ix.commit().unwrap();
    }
    let ix = Index::open_or_create(Some(dir.path())).unwrap();
    assert_eq!(ix.last_change_id().unwrap(), 42);
    assert!(ix.is_current_format().unwrap());
    assert_eq!(ix.num_docs(), 7);
    assert_eq!(ids(&ix, "ivanov"), vec![4, 3]);
    // merging the segments keeps the documents, the deletes and the watermark; writes go on
    ix.upsert(&[contact(9, "Olga Ivanova", "Acme")]).unwrap();
    ix.commit().unwrap();
    ix.optimize().unwrap();
    assert_eq!(ix.segment_count(), 1);
    assert_eq!(ix.num_docs(), 8);
    assert_eq!(ix.last_change_id().unwrap(), 42);
    ix.delete(&[9]).unwrap();
    ix.commit().unwrap();
    assert_eq!(ix.num_docs(), 7);
}

#[test]
fn limits() {
    let many: Vec<ContactDoc> = (1..=300).map(|i| contact(i, "Anna Petrova", "Acme")).collect();
    let ix = index(&many);
    assert_eq!(ix.search("anna", 1000).unwrap().len(), 100);
    assert_eq!(ix.search("anna", 0).unwrap().len(), 0);
    assert_eq!(ix.search("anna", 3).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), vec![300, 299, 298]);
    assert!(ix.search("", 10).unwrap().is_empty());
    assert!(ix.search("  ,,, ", 10).unwrap().is_empty());
}

#[test]
fn shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Index>();
    // searches go on while another thread writes and commits
    let ix = std::sync::Arc::new(index(&people()));
    let writer = {
        let ix = ix.clone();
        std::thread::spawn(move || {
            for i in 100..150 {
                ix.upsert(&[contact(i, "Anna Writer", "Acme")]).unwrap();
                ix.commit().unwrap();
            }
        })
    };
    for _ in 0..200 {
        let got = ids(&ix, "petrova");
        assert_eq!(&got[..2], &[2, 1]);
    }
    writer.join().unwrap();
    assert_eq!(ix.search("writer", 100).unwrap().len(), 50);
}

#[test]
fn ids_alone_come_in_the_order_of_the_hits() {
    let ix = index(&people());
    // several segments, as a follower's batches leave them
    ix.upsert(&[contact(9, "Anna Smith", "Petrova Ltd"), contact(10, "Ivan Petrov", "Acme")]).unwrap();
    ix.commit().unwrap();
    for q in ["petrova", "petr", "ivnaov", "smith", "анна", "anna smith", "acme ivan", "9161", "garcia", "zzz", ""]
    {
        let hits = ids(&ix, q);
        assert_eq!(ix.search_ids(q, 10).unwrap(), hits, "{q}");
        assert_eq!(ix.search_ids(q, 2).unwrap(), hits.iter().copied().take(2).collect::<Vec<_>>(), "{q}");
    }
    assert!(!ix.search_ids("petr", 10).unwrap().is_empty());
}
