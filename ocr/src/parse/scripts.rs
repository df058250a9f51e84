//! Writing systems: Latin look-alikes of Cyrillic and Greek letters, transliteration for the agreement
//! checks, and Latin letters a recogniser wrote for Cyrillic ones in Cyrillic lines.

use super::addresses::ADDRESS_WORDS;

/// Map Cyrillic and Greek look-alikes to Latin (for e-mails, URLs, labels in Latin).
pub(super) fn latinize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'а' => 'a',
            'е' => 'e',
            'о' => 'o',
            'р' => 'p',
            'с' => 'c',
            'у' => 'y',
            'х' => 'x',
            'к' => 'k',
            'м' => 'm',
            'т' => 't',
            'в' => 'b',
            'н' => 'h',
            'і' => 'i',
            'ј' => 'j',
            'ѕ' => 's',
            'А' => 'A',
            'В' => 'B',
            'Е' => 'E',
            'К' => 'K',
            'М' => 'M',
            'Н' => 'H',
            'О' => 'O',
            'Р' => 'P',
            'С' => 'C',
            'Т' => 'T',
            'У' => 'Y',
            'Х' => 'X',
            'І' => 'I',
            'ο' => 'o',
            'α' => 'a',
            'ν' => 'v',
            'τ' => 't',
            'ι' => 'i',
            'κ' => 'k',
            'ρ' => 'p',
            '＠' => '@',
            '．' => '.',
            '，' => ',',
            '：' => ':',
            '（' => '(',
            '）' => ')',
            '－' => '-',
            '—' => '-',
            '–' => '-',
            '·' => '.',
            c => c,
        })
        .collect()
}

/// Transliterate Cyrillic to Latin for agreement checks (e-mail user names are usually transliterated).
fn translit(s: &str) -> String {
    // cardcrm's one table (the `translit` crate), in its e-mail spelling (х → h, ц → c, й → i)
    ::translit::to_ascii_lower_as(s, ::translit::Scheme::Simple)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

pub(super) fn letters_only(s: &str) -> String {
    translit(s).chars().filter(|c| c.is_ascii_alphabetic()).collect()
}

/// [`letters_only`] with German umlauts spelt out as in e-mail and web addresses (ö → oe, ß → ss).
pub(super) fn letters_only_de(s: &str) -> String {
    let lower = s.to_lowercase();
    if !lower.contains(['ä', 'ö', 'ü']) {
        return letters_only(s);
    }
    letters_only(&lower.replace('ä', "ae").replace('ö', "oe").replace('ü', "ue"))
}

/// A word in Latin letters that is a Russian address abbreviation read letter by look-alike
/// letter ("ann." → "алл.", "np." → "пр.", "yn." → "ул."), or None.
fn cyrillic_abbreviation(w: &str) -> Option<String> {
    if w.chars().count() > 6 || !w.ends_with('.') || !w.chars().all(|c| c.is_ascii_alphabetic() || c == '.' || c == '-')
    {
        return None;
    }
    // Latin letter → the Cyrillic letters it is read for.
    let opts = |c: char| -> &'static [char] {
        match c {
            'a' => &['а'],
            'n' => &['л', 'п'],
            'p' => &['р'],
            'y' => &['у'],
            'e' => &['е'],
            'o' => &['о'],
            'c' => &['с'],
            'x' => &['х'],
            'k' => &['к'],
            'm' => &['м', 'т', 'ш'],
            't' => &['т'],
            'r' => &['г'],
            'u' => &['и', 'ц'],
            'b' => &['ь', 'б'],
            'g' => &['д'],
            '-' => &['-'],
            '.' => &['.'],
            _ => &[],
        }
    };
    let mut cands = vec![String::new()];
    for c in w.to_lowercase().chars() {
        let o = opts(c);
        if o.is_empty() {
            return None;
        }
        cands = cands.iter().flat_map(|p| o.iter().map(move |x| format!("{p}{x}"))).collect();
    }
    cands.into_iter().find(|c| ADDRESS_WORDS.contains(&c.as_str()) && (c.chars().count() >= 3 || c == "ш."))
}

/// In a Cyrillic line, a word spelt only with Latin letters that have Cyrillic twins ("AO", "OOO"
/// before «…») is the Cyrillic word: a recogniser reading both scripts picks either for these shapes.
pub(super) fn fix_mixed_script(s: &str) -> String {
    const LAT: &str = "ABCEHKMOPTXaceopxy";
    const CYR: &str = "АВСЕНКМОРТХасеорху";
    let cyr = s.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count();
    if cyr < 3 {
        return s.to_string();
    }
    let words: Vec<&str> = s.split(' ').collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            // A Russian address abbreviation read in Latin letters ("ann." for "алл.", "np." for "пр.").
            if let Some(ru) = cyrillic_abbreviation(w) {
                return ru;
            }
            // One look-alike capital before a Cyrillic fragment of a split word ("H ина" → "Н ина").
            let next_cyr = words
                .get(i + 1)
                .is_some_and(|n| n.chars().next().is_some_and(|c| ('\u{0400}'..='\u{04FF}').contains(&c)));
            if w.chars().count() == 1 && next_cyr {
                if let Some(k) = LAT.chars().position(|l| w.starts_with(l)) {
                    return CYR.chars().nth(k).map(String::from).unwrap_or_else(|| w.to_string());
                }
            }
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            if letters >= 2
                && !w.contains(['@', '.', '/'])
                && w.chars().filter(|c| c.is_alphabetic()).all(|c| LAT.contains(c))
            {
                w.chars()
                    .map(|c| LAT.chars().position(|l| l == c).and_then(|i| CYR.chars().nth(i)).unwrap_or(c))
                    .collect()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_twins_in_cyrillic_lines() {
        assert_eq!(fix_mixed_script("AO «Никифорова-Горбачева»"), "АО «Никифорова-Горбачева»");
        assert_eq!(fix_mixed_script("e-mail: ivan@mail.ru Иван"), "e-mail: ivan@mail.ru Иван");
        assert_eq!(fix_mixed_script("OOO Acme"), "OOO Acme");
    }
}
