//! Diacritics from the recogniser's whole distribution, not just its best guess.
//!
//! PP-OCRv5's recogniser is trained mostly on Chinese and English: on a European vowel with a
//! small mark it often spreads its belief over the variants of the letter ("è" 0.57, "e" 0.20,
//! "é" 0.18 for the "ê" of "Forêt"), writes a Pinyin tone mark ("Schǎferring"), or keeps the bare
//! letter while a marked one is a strong second ("e" 0.75, "è" 0.18 for "Michèle"). The decoder
//! looks at the probabilities of all variants of the vowel at that time step:
//!
//! * a grave and an acute both likely → the mark has both strokes: circumflex ("ê");
//! * Pinyin caron / macron vowels (ǎ ǒ ǔ ǐ, ā ō ū ī) are not written in the European languages
//!   the cards are in; their belief counts for the diaeresis (two dots blur into a bar or a "v"),
//!   which also gives "ï", a letter the dictionary lacks;
//! * the bare letter won, but the marks together are likely enough → the likeliest mark.

/// Marks in table column order.
const PLAIN: usize = 0;
const ACUTE: usize = 1;
const GRAVE: usize = 2;
const CIRC: usize = 3;
const DIAER: usize = 4;
const TILDE: usize = 5;
const RING: usize = 6;
const CARON: usize = 7;
const MACRON: usize = 8;
const MARKS: usize = 9;

/// plain, acute, grave, circumflex, diaeresis, tilde, ring, caron, macron ('-': none).
const TABLE: &[[char; MARKS]] = &[
    ['a', 'á', 'à', 'â', 'ä', 'ã', 'å', 'ǎ', 'ā'],
    ['e', 'é', 'è', 'ê', 'ë', '-', '-', 'ě', 'ē'],
    ['i', 'í', 'ì', 'î', 'ï', '-', '-', 'ǐ', 'ī'],
    ['o', 'ó', 'ò', 'ô', 'ö', 'õ', '-', 'ǒ', 'ō'],
    ['u', 'ú', 'ù', 'û', 'ü', '-', 'ů', 'ǔ', 'ū'],
    ['A', 'Á', 'À', 'Â', 'Ä', 'Ã', 'Å', 'Ǎ', 'Ā'],
    ['E', 'É', 'È', 'Ê', 'Ë', '-', '-', 'Ě', 'Ē'],
    ['I', 'Í', 'Ì', 'Î', 'Ï', '-', '-', 'Ǐ', 'Ī'],
    ['O', 'Ó', 'Ò', 'Ô', 'Ö', 'Õ', '-', 'Ǒ', 'Ō'],
    ['U', 'Ú', 'Ù', 'Û', 'Ü', '-', 'Ů', 'Ǔ', 'Ū'],
];

/// Both a grave and an acute at least this likely → circumflex.
const BOTH_STROKES: f32 = 0.12;
/// The marks together at least this likely → a mark rather than the bare letter.
const ANY_MARK: f32 = 0.15;

/// For each dictionary index that is a vowel variant: (table row, mark); and per row the
/// dictionary index of each variant.
#[derive(Debug, Default)]
pub(crate) struct Accents {
    of_key: std::collections::HashMap<usize, (usize, usize)>,
    rows: Vec<[Option<usize>; MARKS]>,
}

impl Accents {
    pub fn new(keys: &[String]) -> Accents {
        let mut a = Accents { of_key: Default::default(), rows: vec![[None; MARKS]; TABLE.len()] };
        for (i, k) in keys.iter().enumerate() {
            let mut cs = k.chars();
            let (Some(c), None) = (cs.next(), cs.next()) else { continue };
            for (r, row) in TABLE.iter().enumerate() {
                if let Some(m) = row.iter().position(|&x| x == c) {
                    a.of_key.insert(i, (r, m));
                    a.rows[r][m] = Some(i);
                }
            }
        }
        a
    }

    /// The letter to write for a time step whose best class is `best` (probabilities `row`), or
    /// `None` to keep the best class.
    pub fn choose(&self, best: usize, row: &[f32]) -> Option<char> {
        let &(r, m) = self.of_key.get(&best)?;
        let mut p = [0f32; MARKS];
        for (mark, idx) in self.rows[r].iter().enumerate() {
            if let Some(i) = idx {
                p[mark] = row.get(*i).copied().unwrap_or(0.0);
            }
        }
        // Pinyin marks count for the diaeresis.
        p[DIAER] += p[CARON] + p[MACRON];
        p[CARON] = 0.0;
        p[MACRON] = 0.0;
        let table = &TABLE[r];
        if p[ACUTE] >= BOTH_STROKES && p[GRAVE] >= BOTH_STROKES {
            return Some(table[CIRC]);
        }
        let (best_mark, pm) = (ACUTE..MARKS)
            .filter(|&k| table[k] != '-')
            .map(|k| (k, p[k]))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((PLAIN, 0.0));
        let marked: f32 = p[ACUTE..].iter().sum();
        if m == PLAIN {
            return (marked >= ANY_MARK && pm > 0.0).then_some(table[best_mark]);
        }
        if m == CARON || m == MACRON {
            return Some(if marked >= p[PLAIN] { table[best_mark] } else { table[PLAIN] });
        }
        let _ = (TILDE, RING);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        ["blank", "e", "é", "è", "ê", "a", "ä", "ǎ", "i", "ǐ", "x"].iter().map(|s| s.to_string()).collect()
    }

    fn row(pairs: &[(usize, f32)]) -> Vec<f32> {
        let mut r = vec![0.0; 11];
        for &(i, p) in pairs {
            r[i] = p;
        }
        r
    }

    #[test]
    fn circumflex_from_grave_and_acute() {
        let a = Accents::new(&keys());
        assert_eq!(a.choose(3, &row(&[(3, 0.565), (1, 0.203), (2, 0.181)])), Some('ê'));
        assert_eq!(a.choose(1, &row(&[(1, 0.525), (2, 0.292), (3, 0.152)])), Some('ê'));
    }

    #[test]
    fn mark_from_the_distribution() {
        let a = Accents::new(&keys());
        // bare letter won, a mark is a strong second
        assert_eq!(a.choose(1, &row(&[(1, 0.745), (3, 0.175)])), Some('è'));
        // Pinyin caron → diaeresis
        assert_eq!(a.choose(7, &row(&[(7, 0.548), (5, 0.239), (6, 0.152)])), Some('ä'));
        assert_eq!(a.choose(9, &row(&[(9, 0.6), (8, 0.3)])), Some('ï'));
        // confident letters stay
        assert_eq!(a.choose(2, &row(&[(2, 0.864), (1, 0.133)])), None);
        assert_eq!(a.choose(1, &row(&[(1, 0.95), (2, 0.04)])), None);
        assert_eq!(a.choose(10, &row(&[(10, 0.9)])), None);
    }
}
