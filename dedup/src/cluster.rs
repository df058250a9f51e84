//! Grouping pairs into clusters (union-find), for groups of more than two.

use crate::Pair;
use std::collections::HashMap;

/// Connected components of the pair graph. Each cluster is sorted, clusters are sorted by their
/// smallest id; singletons do not appear.
pub fn clusters(pairs: &[Pair]) -> Vec<Vec<i64>> {
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(pairs.len() * 2);
    let mut ids: Vec<i64> = Vec::new();
    let mut parent: Vec<usize> = Vec::new();
    let mut slot = |id: i64, ids: &mut Vec<i64>, parent: &mut Vec<usize>| -> usize {
        *index.entry(id).or_insert_with(|| {
            ids.push(id);
            parent.push(parent.len());
            parent.len() - 1
        })
    };
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]]; // path halving
            x = parent[x];
        }
        x
    }
    for p in pairs {
        let a = slot(p.a, &mut ids, &mut parent);
        let b = slot(p.b, &mut ids, &mut parent);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            // union by smaller index keeps it deterministic
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi] = lo;
        }
    }
    let mut groups: HashMap<usize, Vec<i64>> = HashMap::new();
    for (i, &id) in ids.iter().enumerate() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(id);
    }
    let mut out: Vec<Vec<i64>> = groups.into_values().filter(|g| g.len() > 1).collect();
    for g in &mut out {
        g.sort_unstable();
        g.dedup();
    }
    out.sort_unstable_by_key(|g| g[0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: i64, b: i64) -> Pair {
        Pair { a, b, score: 0.9 }
    }

    #[test]
    fn groups_transitively() {
        let c = clusters(&[p(1, 2), p(5, 6), p(2, 3), p(9, 3), p(7, 7)]);
        assert_eq!(c, vec![vec![1, 2, 3, 9], vec![5, 6]]);
    }

    #[test]
    fn empty_and_duplicates() {
        assert!(clusters(&[]).is_empty());
        assert_eq!(clusters(&[p(2, 1), p(1, 2), p(2, 1)]), vec![vec![1, 2]]);
    }

    #[test]
    fn long_chain() {
        let pairs: Vec<Pair> = (0..10_000).map(|i| p(i, i + 1)).collect();
        let c = clusters(&pairs);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].len(), 10_001);
    }
}
