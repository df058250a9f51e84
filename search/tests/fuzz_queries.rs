//! Any query string, however long or odd, returns (at most 100 hits) without panicking, and
//! quickly: the query is cut to 8 words of at most 64 chars before any index work.

use proptest::prelude::*;
use search::{ContactDoc, Index};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn index() -> &'static Index {
    static IX: OnceLock<Index> = OnceLock::new();
    IX.get_or_init(|| {
        let ix = Index::open_or_create(None).unwrap();
        let names = ["Anna Petrova", "Иван Иванов", "Peter Smith", "José Müller", "李 小龍", "O'Brien-Smyth"];
        let docs: Vec<ContactDoc> = (0..600)
            .map(|i| ContactDoc {
                id: i,
                names: format!("{} {i}", names[i as usize % names.len()]),
                company: ["Acme", "Ромашка", "Globex"][i as usize % 3].into(),
                emails: vec![format!("user{i}.x@example.com")],
                phones: vec![format!("+7 916 {:07}", i * 7919)],
                notes: "aaaa aaab aaba abaa baaa ".repeat(i as usize % 4),
                ..Default::default()
            })
            .collect();
        ix.upsert(&docs).unwrap();
        ix.commit().unwrap();
        ix
    })
}

fn check(q: &str, limit: usize) {
    let t = Instant::now();
    let hits = index().search(q, limit).unwrap();
    assert!(hits.len() <= limit.min(100));
    for h in &hits {
        for &(a, b) in &h.highlight.spans {
            assert!(
                a < b
                    && b <= h.highlight.text.len()
                    && h.highlight.text.is_char_boundary(a)
                    && h.highlight.text.is_char_boundary(b)
            );
        }
    }
    assert!(t.elapsed() < Duration::from_secs(2), "{q:?} took {:?}", t.elapsed());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_string(q in any::<String>(), limit in 0usize..1000) {
        check(&q, limit);
    }

    #[test]
    fn query_like(q in r"([a-zа-яё0-9@.+()\-' ]{0,12} ?){0,20}", limit in 0usize..200) {
        check(&q, limit);
    }

    #[test]
    fn long_words(c in any::<char>(), n in 0usize..5000, words in 0usize..40) {
        let w: String = std::iter::repeat_n(c, n).collect();
        let q = vec![w; words].join(" ");
        check(&q, 100);
    }
}

#[test]
fn huge_inputs() {
    check(&"a".repeat(1_000_000), 100);
    check(&"a ".repeat(500_000), 100);
    check(&"1".repeat(1_000_000), 100);
    check(&"1 ".repeat(500_000), 100);
    check(&"aaaa ".repeat(100), 100);
    check(&"a.".repeat(100_000), 100);
}
