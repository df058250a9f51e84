//! End-to-end on a small `gen_contacts.py` set (2,000 contacts, seed 7) shipped in tests/data.
use dedup::{blocking_keys, candidates, clusters, find_pairs, normalize, run_pairs_jsonl, ContactInput, Settings};
use std::collections::{HashMap, HashSet};

const DATA: &str = include_str!("data/contacts_2k_seed7.jsonl");

#[derive(serde::Deserialize)]
struct Label {
    id: i64,
    cluster: i64,
    last_name: String,
}

fn truth() -> (HashSet<(i64, i64)>, HashMap<i64, Label>) {
    let labels: Vec<Label> = DATA.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut by: HashMap<i64, Vec<i64>> = HashMap::new();
    for l in &labels {
        by.entry(l.cluster).or_default().push(l.id);
    }
    let mut t = HashSet::new();
    for ids in by.values() {
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                t.insert((ids[i].min(ids[j]), ids[i].max(ids[j])));
            }
        }
    }
    (t, labels.into_iter().map(|l| (l.id, l)).collect())
}

fn contacts() -> Vec<ContactInput> {
    DATA.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn f1_above_floor_on_generated_set() {
    let (truth, labels) = truth();
    let pairs = find_pairs(&contacts(), &Settings::default());
    let predicted: HashSet<(i64, i64)> = pairs.iter().map(|p| (p.a, p.b)).collect();
    assert_eq!(predicted.len(), pairs.len(), "pairs are distinct");
    assert!(pairs.iter().all(|p| p.a < p.b && p.score >= Settings::default().threshold));
    let tp = predicted.intersection(&truth).count() as f64;
    let precision = tp / predicted.len() as f64;
    let recall = tp / truth.len() as f64;
    let f1 = 2.0 * precision * recall / (precision + recall);
    eprintln!("2k seed 7: {} true pairs, precision {precision:.4} recall {recall:.4} F1 {f1:.4}", truth.len());
    assert!(f1 >= 0.99, "F1 {f1}");
    // Cyrillic-vs-transliterated pairs are found
    let cyr = |id: &i64| labels[id].last_name.chars().any(|c| ('\u{0400}'..='\u{04ff}').contains(&c));
    let mixed: Vec<_> = truth.iter().filter(|(a, b)| cyr(a) != cyr(b)).collect();
    assert!(!mixed.is_empty());
    let found = mixed.iter().filter(|p| predicted.contains(p)).count();
    assert!(found as f64 >= 0.98 * mixed.len() as f64, "{found} of {} Cyrillic/Latin pairs", mixed.len());
}

#[test]
fn jsonl_run_matches_find_pairs() {
    let mut out = Vec::new();
    let stats = run_pairs_jsonl(DATA.as_bytes(), &mut out, &Settings::default()).unwrap();
    let pairs = find_pairs(&contacts(), &Settings::default());
    assert_eq!(stats.contacts, 2000);
    assert_eq!(stats.pairs, pairs.len());
    let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(lines.len(), pairs.len());
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["a"], pairs[0].a);
    assert_eq!(first["b"], pairs[0].b);
}

#[test]
fn clusters_group_the_generated_duplicates() {
    let (truth, _) = truth();
    let pairs = find_pairs(&contacts(), &Settings::default());
    let groups = clusters(&pairs);
    assert!(groups.iter().any(|g| g.len() > 2), "the set has people with several copies");
    // every member of a group is a true duplicate of the group's first member
    let bad = groups.iter().flat_map(|g| g[1..].iter().map(move |&m| (g[0], m))).filter(|p| !truth.contains(p)).count();
    assert!(bad <= 2, "{bad} wrongly grouped");
}

#[test]
fn check_on_create_through_key_lookup() {
    // Simulates the database: an index from key to rows, a draft looked up by its keys.
    let s = Settings::default();
    let cs = contacts();
    let norm: Vec<_> = cs.iter().map(|c| normalize(c, &s)).collect();
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, n) in norm.iter().enumerate() {
        for k in blocking_keys(n) {
            index.entry(k).or_default().push(i);
        }
    }
    let (truth, _) = truth();
    let &(a, b) = truth.iter().min().unwrap();
    let draft_src = cs.iter().find(|c| c.id == b).unwrap();
    let draft = normalize(&ContactInput { id: 0, ..draft_src.clone() }, &s);
    let mut rows: Vec<usize> = blocking_keys(&draft).iter().filter_map(|k| index.get(k)).flatten().copied().collect();
    rows.sort_unstable();
    rows.dedup();
    let found = candidates(&draft, rows.iter().map(|&i| &norm[i]), &s);
    let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
    assert!(ids.contains(&a) && ids.contains(&b), "{ids:?}");
    assert!(found.windows(2).all(|w| w[0].1.score >= w[1].1.score));
    assert!(!found[0].1.match_fields.is_empty());
}

#[test]
fn progress_reports_every_phase_and_same_pairs() {
    use std::sync::Mutex;
    let s = Settings::default();
    let seen: Mutex<Vec<dedup::Progress>> = Mutex::new(Vec::new());
    let (pairs, stats) = dedup::find_pairs_with_progress(&contacts(), &s, &|p| seen.lock().unwrap().push(p));
    assert_eq!(pairs, find_pairs(&contacts(), &s));
    assert!(stats.candidate_pairs >= pairs.len());
    let seen = seen.into_inner().unwrap();
    for phase in ["normalize", "block", "score", "done"] {
        assert!(seen.iter().any(|p| p.phase == phase), "{phase} missing");
    }
    let norm_last = seen.iter().rfind(|p| p.phase == "normalize").unwrap();
    assert_eq!(norm_last.done, norm_last.total);
}

#[test]
fn settings_round_trip_and_partial_json() {
    let s = Settings::default();
    let text = serde_json::to_string(&s).unwrap();
    let back: Settings = serde_json::from_str(&text).unwrap();
    assert_eq!(back, s);
    let partial: Settings = serde_json::from_str(r#"{"threshold": 0.8, "weights": {"email_match": 12}}"#).unwrap();
    assert_eq!(partial.threshold, 0.8);
    assert_eq!(partial.weights.email_match, 12.0);
    assert_eq!(partial.weights.phone_match, s.weights.phone_match);
    assert_eq!(partial.default_region, "US");
}

#[test]
fn arbitrary_text_never_panics() {
    // a small deterministic fuzz over awkward characters in every field
    let alphabet: Vec<char> =
        "aZ09 +-()./@,;:'\"«»#xXext.доб0O1l5Srnm\u{301}\u{0308}ßÆøЁёЙйΣςΝίκος王小明\t\r\u{200b}ǅﬁ①١".chars().collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let s = Settings::default();
    let mut text = |n: u64| -> String { (0..n).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect() };
    let mut contacts = Vec::new();
    for i in 0..400u64 {
        let id = i as i64;
        let c = ContactInput {
            id,
            first_name: text(i % 7),
            middle_name: text(i % 3),
            last_name: text(i % 9),
            full_name: text(i % 13),
            company: text(i % 11),
            position: text(i % 5),
            emails: vec![text(i % 17), format!("{}@{}.com", text(3), text(4))],
            phones: vec![text(i % 19), format!("+7 {}", text(9))],
            website: text(i % 8),
            address: text(i % 23),
        };
        let n = normalize(&c, &s);
        let _ = blocking_keys(&n);
        contacts.push(c);
    }
    let pairs = find_pairs(&contacts, &s);
    let norm: Vec<_> = contacts.iter().map(|c| normalize(c, &s)).collect();
    for w in norm.windows(2) {
        let m = dedup::score(&w[0], &w[1], &s);
        assert!((0.0..=1.0).contains(&m.score));
    }
    let _ = clusters(&pairs);
}
