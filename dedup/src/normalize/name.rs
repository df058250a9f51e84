//! Person names: tokens, nickname resolution, first-name and surname keys.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{fold, to_ascii_lower, tokens};

const NICKNAMES: &[(&str, &str)] = &[
    // English
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("robbie", "robert"),
    ("bert", "robert"),
    ("bill", "william"),
    ("billy", "william"),
    ("will", "william"),
    ("willy", "william"),
    ("liam", "william"),
    ("liz", "elizabeth"),
    ("lizzie", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("eliza", "elizabeth"),
    ("mike", "michael"),
    ("mick", "michael"),
    ("mickey", "michael"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("kathy", "katherine"),
    ("cathy", "katherine"),
    ("catherine", "katherine"),
    ("kathryn", "katherine"),
    ("alex", "alexander"),
    ("sandy", "alexander"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("jenn", "jennifer"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("chris", "christopher"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jamie", "james"),
    ("joe", "joseph"),
    ("joey", "joseph"),
    ("dave", "david"),
    ("davey", "david"),
    ("steve", "steven"),
    ("stephen", "steven"),
    ("tony", "anthony"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("ben", "benjamin"),
    ("benny", "benjamin"),
    ("sam", "samuel"),
    ("sammy", "samuel"),
    ("nick", "nicholas"),
    ("nicky", "nicholas"),
    ("matt", "matthew"),
    ("pat", "patrick"),
    ("rick", "richard"),
    ("rich", "richard"),
    ("dick", "richard"),
    ("richie", "richard"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("greg", "gregory"),
    ("jeff", "jeffrey"),
    ("jon", "john"),
    ("johnny", "john"),
    ("larry", "lawrence"),
    ("jerry", "gerald"),
    ("peggy", "margaret"),
    ("maggie", "margaret"),
    ("meg", "margaret"),
    ("sue", "susan"),
    ("susie", "susan"),
    ("debbie", "deborah"),
    ("deb", "deborah"),
    ("becky", "rebecca"),
    ("vicky", "victoria"),
    ("vicki", "victoria"),
    ("abby", "abigail"),
    ("nate", "nathan"),
    ("zach", "zachary"),
    ("zack", "zachary"),
    ("tim", "timothy"),
    ("timmy", "timothy"),
    ("ken", "kenneth"),
    ("kenny", "kenneth"),
    ("ron", "ronald"),
    ("ronnie", "ronald"),
    ("don", "donald"),
    ("donnie", "donald"),
    ("charlie", "charles"),
    ("chuck", "charles"),
    ("fred", "frederick"),
    ("freddie", "frederick"),
    ("pete", "peter"),
    ("phil", "philip"),
    ("phillip", "philip"),
    ("ray", "raymond"),
    ("doug", "douglas"),
    ("gabe", "gabriel"),
    ("josh", "joshua"),
    ("jake", "jacob"),
    ("cindy", "cynthia"),
    ("pam", "pamela"),
    ("barb", "barbara"),
    ("jess", "jessica"),
    ("jessie", "jessica"),
    ("mandy", "amanda"),
    ("stef", "stephanie"),
    ("steph", "stephanie"),
    ("val", "valerie"),
    ("lexi", "alexandra"),
    ("wes", "wesley"),
    ("terry", "terence"),
    ("tess", "teresa"),
    ("theresa", "teresa"),
    ("gerry", "gerald"),
    ("herb", "herbert"),
    // German
    ("hansi", "hans"),
    ("sepp", "josef"),
    ("joseph", "josef"),
    ("uli", "ulrich"),
    ("steffi", "stefanie"),
    ("kathi", "katharina"),
    ("gabi", "gabriele"),
    ("wolfi", "wolfgang"),
    ("klaus", "nikolaus"),
    // Russian diminutives (Cyrillic; transliterated on load)
    ("саша", "александр"),
    ("шура", "александр"),
    ("санёк", "александр"),
    ("дима", "дмитрий"),
    ("катя", "екатерина"),
    ("миша", "михаил"),
    ("женя", "евгений"),
    ("лена", "елена"),
    ("таня", "татьяна"),
    ("наташа", "наталья"),
    ("наталия", "наталья"),
    ("маша", "мария"),
    ("коля", "николай"),
    ("вова", "владимир"),
    ("володя", "владимир"),
    ("серёжа", "сергей"),
    ("сережа", "сергей"),
    ("лёша", "алексей"),
    ("леша", "алексей"),
    ("алёша", "алексей"),
    ("паша", "павел"),
    ("петя", "пётр"),
    ("ваня", "иван"),
    ("юля", "юлия"),
    ("оля", "ольга"),
    ("света", "светлана"),
    ("настя", "анастасия"),
    ("ира", "ирина"),
    ("костя", "константин"),
    ("толя", "анатолий"),
    ("слава", "вячеслав"),
    ("гоша", "георгий"),
    ("федя", "фёдор"),
    ("боря", "борис"),
    ("гриша", "григорий"),
    ("аня", "анна"),
    ("галя", "галина"),
    ("люда", "людмила"),
    ("надя", "надежда"),
    ("люба", "любовь"),
    ("витя", "виктор"),
    ("стас", "станислав"),
    ("тёма", "артём"),
    ("рома", "роман"),
    ("вася", "василий"),
    ("лиза", "елизавета"),
    ("даша", "дарья"),
    ("соня", "софья"),
    ("ксюша", "ксения"),
    ("валера", "валерий"),
    ("жора", "георгий"),
    ("эдик", "эдуард"),
    ("юра", "юрий"),
    ("тоня", "антонина"),
    ("зина", "зинаида"),
];

/// FNV-1a: the nickname table is looked up once per contact; SipHash is needlessly slow here.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);
impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}
type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

fn nick_map() -> &'static FnvMap<String, String> {
    static MAP: OnceLock<FnvMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        NICKNAMES
            .iter()
            .map(|(n, f)| (fold(to_ascii_lower(n).trim()), fold(to_ascii_lower(f).trim())))
            .collect::<FnvMap<String, String>>()
    })
}

/// Canonical matching form of a first name: folded, nickname resolved
/// (`Bob`→`robert`, `Саша`/`Sasha`→`aleksandr` (folded)).
pub fn first_name_key(token: &str) -> String {
    resolve_nick(fold(token))
}

/// Nickname resolution of an already folded first-name token.
pub fn resolve_nick(folded: String) -> String {
    match nick_map().get(folded.as_str()) {
        Some(full) => full.clone(),
        None => folded,
    }
}

/// Folded matching tokens of a name field (no nickname resolution).
pub fn folded_tokens(raw: &str) -> Vec<String> {
    if raw.is_empty() {
        return Vec::new();
    }
    let owned;
    let ascii: &str = if raw.is_ascii() {
        raw // `fold` lower-cases
    } else {
        owned = to_ascii_lower(raw);
        &owned
    };
    tokens(ascii).map(fold).collect()
}

/// The folded tokens of a surname field, concatenated ("Müller-Lüdenscheidt" → "mulerludensheidt").
pub fn folded_concat(raw: &str) -> String {
    let owned;
    let ascii: &str = if raw.is_ascii() {
        raw
    } else {
        owned = to_ascii_lower(raw);
        &owned
    };
    let mut it = tokens(ascii);
    let Some(first) = it.next() else { return String::new() };
    let mut out = fold(first);
    for t in it {
        out.push_str(&fold(t));
    }
    out
}

/// Split a name into lower-case ASCII tokens (Cyrillic transliterated, diacritics dropped,
/// punctuation removed) with nicknames resolved to the full name (`Bob`→`robert`,
/// `Саша`→`aleksandr`). Initials like "A." are kept as one-letter tokens.
/// Order is kept; use [`Normalized`](crate::Normalized) for the first/last split.
pub fn name_tokens(raw: &str) -> Vec<String> {
    let ascii = to_ascii_lower(raw);
    tokens(&ascii)
        .map(|t| {
            let f = fold(t);
            match nick_map().get(&f) {
                Some(_) => readable_nick(t),
                None => t.to_string(),
            }
        })
        .collect()
}

/// The readable full name a nickname stands for (`bob` → `robert`).
fn readable_nick(t: &str) -> String {
    static R: OnceLock<HashMap<String, String>> = OnceLock::new();
    let m = R.get_or_init(|| {
        NICKNAMES.iter().map(|(n, f)| (fold(to_ascii_lower(n).trim()), to_ascii_lower(f).trim().to_string())).collect()
    });
    m.get(&fold(t)).cloned().unwrap_or_else(|| t.to_string())
}
