//! Card text → contact fields.
//!
//! The parser works on recognised lines with their boxes:
//! 1. the reading frame is taken from the boxes (so a rotated card reads the same as an upright one),
//! 2. contact lines are recognised by pattern: e-mails and URLs (tolerating the usual OCR confusions),
//!    phones with their labels (EN/DE/FR/RU/ES/IT…, plus the Latin look-alikes PP-OCR writes for
//!    Cyrillic labels), addresses (postcodes, street words, house numbers, labels),
//! 3. the remaining text lines are assigned to name / position / department / company by keyword
//!    lists (extendable by [`ParseHints`]), agreement with the e-mail user name and the web domain,
//!    and layout (text height, vertical order, column).
//!
//! Every field records the indexes of the lines it came from.

use std::collections::HashSet;
use std::sync::LazyLock;

use phonenumber::{country, Mode};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::Line;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedField {
    pub value: String,
    /// Indexes into the lines the card was parsed from.
    pub blocks: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedPhone {
    /// mobile | work | fax | home | other
    pub kind: String,
    /// As printed (cleaned of OCR confusions).
    pub number: String,
    pub e164: Option<String>,
    pub blocks: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedCard {
    pub prefix: Option<ParsedField>,
    pub first_name: Option<ParsedField>,
    pub middle_name: Option<ParsedField>,
    pub last_name: Option<ParsedField>,
    pub full_name: Option<ParsedField>,
    pub position: Option<ParsedField>,
    pub department: Option<ParsedField>,
    pub company: Option<ParsedField>,
    pub website: Option<ParsedField>,
    pub address: Option<ParsedField>,
    pub phones: Vec<ParsedPhone>,
    pub emails: Vec<ParsedField>,
}

/// Knowledge that improves parsing; the service fills it from what users corrected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseHints {
    /// ISO 3166 region for national numbers when the card gives no clue ("US", "DE", …).
    pub default_region: String,
    /// Company names users saved before: a line equal to (or containing) one is the company.
    pub known_companies: Vec<String>,
    /// Extra job-title words (lower case) beyond the built-in lists.
    pub title_words: Vec<String>,
}

impl Default for ParseHints {
    fn default() -> Self {
        ParseHints { default_region: "US".into(), known_companies: Vec::new(), title_words: Vec::new() }
    }
}

/// [`parse_card`] reads at most this many lines (a card has a few dozen; the rest is ignored).
pub const MAX_PARSE_LINES: usize = 200;
/// ... of at most this many characters each (a card line has well under a hundred).
pub const MAX_LINE_CHARS: usize = 500;
/// ... and keeps at most this many phone numbers.
pub const MAX_PHONES: usize = 16;

fn field(value: impl Into<String>, blocks: Vec<usize>) -> Option<ParsedField> {
    let value = value.into();
    let value = value.trim();
    if value.is_empty() {
        None
    } else {
        Some(ParsedField { value: value.to_string(), blocks })
    }
}

macro_rules! re {
    ($name:ident, $pat:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).unwrap());
    };
}

re!(RE_EMAIL, r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}");
re!(
    RE_URL,
    r"(?i)\b(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|io|co|de|fr|ru|uk|es|it|nl|be|ch|at|eu|us|ca|au|info|biz|pro|ai|app|dev|tech|su|рф|by|kz|ua|pl|se|no|dk|fi|pt|ie|jp|cn|in|br|mx|ar|cz|online|site|store|shop|group|company)(?:\.[a-z]{2})?\b(?:/[^\s]*)?"
);
re!(RE_PHONE, r"(?:\+\s?\d|\(\s?\d|\d)[\d\s\-./()]{5,}\d");
re!(RE_UK_POSTCODE, r"\b[A-Z]{1,2}\d[A-Z\d]?\s?[\dO][A-Z]{2}\b");
re!(RE_US_STATE_ZIP, r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b");
re!(RE_POSTCODE5, r"\b\d{5}(?:\b|\p{Lu})");
re!(RE_POSTCODE6, r"\b\d{6}\b");
re!(RE_HOUSE_STREET, r"^\d+[A-Za-z]?,?\s+\p{L}");
re!(RE_ORDINAL_GLUE, r"\b(\d+(?:st|nd|rd|th))([A-Z])");
re!(
    RE_US_NO_COMMA,
    r"^(.*\b(?:Ave|Avenue|St|Street|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Pkwy|Parkway|Hwy|Highway)\.?(?:\s+(?:NE|NW|SE|SW|N|S|E|W))?)\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)*),\s*([A-Z]{2}\s+\d{5}(?:-\d{4})?)$"
);
re!(RE_SPACES, r"\s+");

const PREFIXES: &[&str] = &[
    "dr",
    "dr.",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "miss",
    "prof",
    "prof.",
    "herr",
    "frau",
    "m.",
    "mme",
    "mme.",
    "mlle",
    "sr.",
    "sra.",
    "srta.",
    "dott.",
    "ing.",
    "dipl.-ing.",
    "pr",
    "pr.",
    "г-н",
    "г-жа",
];

const NAME_PARTICLES: &[&str] = &[
    "de", "da", "di", "du", "del", "della", "der", "den", "van", "von", "le", "la", "ten", "ter", "zu", "dos", "das",
    "st.", "mac", "al", "el", "bin", "ibn",
];

/// Words that mark a company line.
const COMPANY_WORDS: &[&str] = &[
    "inc",
    "inc.",
    "llc",
    "l.l.c.",
    "ltd",
    "ltd.",
    "limited",
    "plc",
    "corp",
    "corp.",
    "corporation",
    "company",
    "co.",
    "group",
    "holding",
    "holdings",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "gbr",
    "kgaa",
    "e.g.",
    "e.v.",
    "stiftung",
    "mbh",
    "e.k.",
    "ug",
    "se",
    "sa",
    "s.a.",
    "sas",
    "s.a.s.",
    "sarl",
    "s.a.r.l.",
    "sàrl",
    "eurl",
    "sci",
    "snc",
    "srl",
    "s.r.l.",
    "spa",
    "s.p.a.",
    "s.l.",
    "bv",
    "b.v.",
    "nv",
    "n.v.",
    "ab",
    "oy",
    "as",
    "a/s",
    "pty",
    "partners",
    "associates",
    "solutions",
    "technologies",
    "technology",
    "systems",
    "consulting",
    "services",
    "industries",
    "labs",
    "studio",
    "bank",
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "нпо",
    "ип",
    "гк",
    "компания",
    "группа",
    "холдинг",
    "фирма",
    "завод",
    "корпорация",
    "банк",
    "инк",
    "лтд",
    "групп",
    "лимитед",
    "инкорпорэйтед",
    "партнеры",
    "and",
    "und",
    "et",
    "&",
    "fils",
    "cie",
    "cie.",
    "&co",
];

/// Words that mark a department line.
const DEPARTMENT_WORDS: &[&str] = &[
    "department",
    "dept",
    "dept.",
    "division",
    "unit",
    "team",
    "office of",
    "abteilung",
    "bereich",
    "département",
    "departement",
    "service",
    "direction",
    "departamento",
    "división",
    "отдел",
    "департамент",
    "управление",
    "служба",
    "дирекция",
    "division,",
    "department,",
];

/// Job-title words (lower case, matched as word prefixes).
const TITLE_WORDS: &[&str] = &[
    // en
    "ceo",
    "cto",
    "cfo",
    "coo",
    "cio",
    "cmo",
    "vp",
    "svp",
    "evp",
    "president",
    "vice",
    "chief",
    "director",
    "manager",
    "head",
    "lead",
    "senior",
    "junior",
    "principal",
    "engineer",
    "developer",
    "programmer",
    "architect",
    "analyst",
    "consultant",
    "specialist",
    "officer",
    "executive",
    "assistant",
    "associate",
    "administrator",
    "coordinator",
    "designer",
    "researcher",
    "scientist",
    "technician",
    "representative",
    "agent",
    "advisor",
    "adviser",
    "accountant",
    "attorney",
    "lawyer",
    "partner",
    "founder",
    "co-founder",
    "owner",
    "sales",
    "marketing",
    "editor",
    "writer",
    "teacher",
    "professor",
    "lecturer",
    "nurse",
    "doctor",
    "surgeon",
    "therapist",
    "pharmacist",
    "chemist",
    "biologist",
    "physicist",
    "geologist",
    "surveyor",
    "planner",
    "producer",
    "operator",
    "inspector",
    "supervisor",
    "clerk",
    "secretary",
    "receptionist",
    "buyer",
    "broker",
    "trader",
    "economist",
    "statistician",
    "librarian",
    "curator",
    "psychologist",
    "counsellor",
    "counselor",
    "paramedic",
    "dentist",
    "optometrist",
    "radiographer",
    "physiotherapist",
    "solicitor",
    "barrister",
    "journalist",
    "photographer",
    "illustrator",
    "animator",
    "translator",
    "interpreter",
    "mechanic",
    "electrician",
    "plumber",
    "builder",
    "worker",
    "intern",
    "trainee",
    "apprentice",
    "chair",
    "chairman",
    "board",
    "member",
    "fellow",
    "physician",
    "veterinary",
    "vet",
    "midwife",
    "warden",
    "estimator",
    "investigator",
    "programme",
    "program",
    "product",
    "project",
    "account",
    "recruiter",
    // de
    "geschäftsführer",
    "geschäftsführerin",
    "leiter",
    "leiterin",
    "ingenieur",
    "ingenieurin",
    "berater",
    "beraterin",
    "entwickler",
    "entwicklerin",
    "referent",
    "referentin",
    "sachbearbeiter",
    "vertrieb",
    "verkäufer",
    "kaufmann",
    "kauffrau",
    "techniker",
    "mechaniker",
    "elektroniker",
    "meister",
    "inhaber",
    "vorstand",
    "prokurist",
    "assistent",
    "assistentin",
    "mitarbeiter",
    "fachkraft",
    "arzt",
    "ärztin",
    "lehrer",
    "lehrerin",
    "koch",
    "köchin",
    "bäcker",
    "maler",
    "tischler",
    "schreiner",
    "gärtner",
    "fachinformatiker",
    "informatiker",
    "kaufm",
    "steuerberater",
    "rechtsanwalt",
    "rechtsanwältin",
    "industriemechaniker",
    "anlagenmechaniker",
    "mechatroniker",
    "friseur",
    "friseurin",
    "pfleger",
    "krankenpfleger",
    "erzieher",
    "erzieherin",
    "architekt",
    "architektin",
    "fahrer",
    "tierarzt",
    // fr
    "directeur",
    "directrice",
    "gérant",
    "gérante",
    "responsable",
    "ingénieur",
    "ingénieure",
    "chargé",
    "chargée",
    "chef",
    "conseiller",
    "conseillère",
    "développeur",
    "développeuse",
    "commercial",
    "commerciale",
    "technicien",
    "technicienne",
    "assistant",
    "assistante",
    "comptable",
    "consultante",
    "avocat",
    "avocate",
    "médecin",
    "infirmier",
    "infirmière",
    "professeur",
    "enseignant",
    "enseignante",
    "agent",
    "attaché",
    "attachée",
    "adjoint",
    "adjointe",
    "délégué",
    "déléguée",
    "secrétaire",
    "vendeur",
    "vendeuse",
    "opérateur",
    "opératrice",
    "animateur",
    "animatrice",
    "administrateur",
    "coordinateur",
    "coordinatrice",
    "gestionnaire",
    "analyste",
    "architecte",
    "rédacteur",
    "rédactrice",
    "journaliste",
    "pharmacien",
    "boulanger",
    "charcutier",
    "cuisinier",
    "éducateur",
    "educateur",
    "éducatrice",
    "moniteur",
    "monitrice",
    "psychologue",
    "orthophoniste",
    "kinésithérapeute",
    "vétérinaire",
    "dessinateur",
    "graphiste",
    "contrôleur",
    "contrôleuse",
    "inspecteur",
    "inspectrice",
    "magasinier",
    "ouvrier",
    "ouvrière",
    "employé",
    "employée",
    "cadre",
    "officier",
    "pilote",
    "chauffeur",
    "photographe",
    "traducteur",
    "interprète",
    "économiste",
    "juriste",
    "notaire",
    "huissier",
    "expert",
    "acheteur",
    "acheteuse",
    // es / it
    "gerente",
    "director",
    "directora",
    "jefe",
    "jefa",
    "ingeniero",
    "ingeniera",
    "asesor",
    "asesora",
    "desarrollador",
    "técnico",
    "tecnico",
    "consultor",
    "consultora",
    "abogado",
    "abogada",
    "contador",
    "direttore",
    "responsabile",
    "ingegnere",
    "consulente",
    "tecnico",
    "amministratore",
    // ru
    "генеральный",
    "директор",
    "менеджер",
    "руководитель",
    "начальник",
    "заместитель",
    "инженер",
    "специалист",
    "консультант",
    "бухгалтер",
    "главный",
    "ведущий",
    "старший",
    "младший",
    "разработчик",
    "программист",
    "аналитик",
    "архитектор",
    "дизайнер",
    "юрист",
    "юрисконсульт",
    "экономист",
    "технолог",
    "техник",
    "мастер",
    "оператор",
    "администратор",
    "ассистент",
    "секретарь",
    "референт",
    "советник",
    "эксперт",
    "координатор",
    "представитель",
    "агент",
    "врач",
    "учитель",
    "преподаватель",
    "профессор",
    "доцент",
    "научный",
    "сотрудник",
    "исследователь",
    "биолог",
    "микробиолог",
    "химик",
    "физик",
    "геолог",
    "механик",
    "электрик",
    "слесарь",
    "водитель",
    "продавец",
    "кассир",
    "повар",
    "официант",
    "строитель",
    "сварщик",
    "токарь",
    "фармацевт",
    "провизор",
    "медсестра",
    "фельдшер",
    "редактор",
    "журналист",
    "корреспондент",
    "переводчик",
    "психолог",
    "логист",
    "логистик",
    "маркетолог",
    "товаровед",
    "кладовщик",
    "плотник",
    "столяр",
    "маляр",
    "штукатур",
    "электромонтер",
    "монтажник",
    "наладчик",
    "диспетчер",
    "охранник",
    "юрисконсульт",
    "нотариус",
    "адвокат",
    "прокурор",
    "судья",
    "учёный",
    "ученый",
    "астроном",
    "математик",
    "статистик",
    "архивариус",
    "библиотекарь",
    "художник",
    "скульптор",
    "музыкант",
    "актер",
    "актёр",
    "режиссер",
    "режиссёр",
    "продюсер",
    "фотограф",
    "дизайнер",
    "стилист",
    "парикмахер",
    "визажист",
    "массажист",
    "тренер",
    "инструктор",
    "воспитатель",
    "няня",
    "агроном",
    "ветеринар",
    "зоотехник",
    "лесник",
    "эколог",
    "метеоролог",
    "океанолог",
    "гидролог",
    "картограф",
    "топограф",
    "геодезист",
    "землеустроитель",
    "оценщик",
    "аудитор",
    "брокер",
    "трейдер",
    "риэлтор",
    "риелтор",
    "страховой",
    "кредитный",
    "финансовый",
    "финансист",
    "казначей",
    "экспедитор",
];

const ADDRESS_WORDS: &[&str] = &[
    // en
    "street",
    "st.",
    "road",
    "rd",
    "rd.",
    "avenue",
    "ave",
    "ave.",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr.",
    "court",
    "ct",
    "place",
    "pl",
    "square",
    "sq",
    "suite",
    "ste",
    "floor",
    "fl",
    "building",
    "bldg",
    "po",
    "p.o.",
    "box",
    "apt",
    "apt.",
    "unit",
    "way",
    "highway",
    "hwy",
    "parkway",
    "pkwy",
    "terrace",
    "close",
    "crescent",
    "gardens",
    "park",
    "row",
    "hill",
    "corners",
    "crossing",
    "mews",
    "grove",
    "walk",
    "green",
    "usns",
    "uss",
    "psc",
    "fpo",
    "apo",
    "dpo",
    // de
    "straße",
    "strasse",
    "str.",
    "weg",
    "allee",
    "platz",
    "ring",
    "gasse",
    "damm",
    "ufer",
    "chaussee",
    // fr
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "chemin",
    "impasse",
    "allée",
    "place",
    "quai",
    "route",
    "cedex",
    "cours",
    "voie",
    "rond-point",
    "faubourg",
    "bp",
    // es / it
    "calle",
    "avenida",
    "plaza",
    "paseo",
    "via",
    "viale",
    "piazza",
    "corso",
    // ru
    "ул.",
    "ул",
    "улица",
    "пр.",
    "пр-т",
    "проспект",
    "пер.",
    "переулок",
    "ш.",
    "шоссе",
    "наб.",
    "набережная",
    "пл.",
    "площадь",
    "б-р",
    "бульвар",
    "д.",
    "дом",
    "корп.",
    "к.",
    "стр.",
    "строение",
    "оф.",
    "офис",
    "кв.",
    "г.",
    "город",
    "обл.",
    "область",
    "р-н",
    "район",
    "пос.",
    "п.",
    "с.",
    "село",
    "дер.",
    "клх",
    "ст.",
    "алл.",
    "аллея",
    "пр-д",
    "проезд",
    "тупик",
    "мкр.",
    "микрорайон",
    "туп.",
];

const ADDRESS_LABELS: &[&str] =
    &["address", "addr", "adresse", "anschrift", "адрес", "dirección", "direccion", "indirizzo"];

/// Labels printed before an e-mail address (compared after [`latinize`], in lower case).
const EMAIL_LABELS: &[&str] = &[
    "e-mail",
    "email",
    "e-mail.",
    "mail",
    "courriel",
    "correo",
    "эл. почта",
    "эл.почта",
    "эл почта",
    "почта",
    "e",
    "m",
    "@",
];
/// Labels printed before a web address.
const WEB_LABELS: &[&str] =
    &["website", "web site", "web", "homepage", "home page", "url", "site", "site web", "internet", "сайт", "w", "i"];

/// `lower` (latinized, lower case) without a leading label from `labels` and its separator:
/// "e elisa@x.com", "e-mail: …", "w | www.x.com" → the rest. A one-letter label needs a space, colon
/// or bar after it, so "e.smith@x.com" and "www.x.com" keep their first letter. None without a label.
fn strip_contact_label(lower: &str, labels: &[&str]) -> Option<String> {
    let mut best: Option<&str> = None;
    for l in labels {
        let lab = latinize(l).to_lowercase();
        let Some(rest) = lower.strip_prefix(lab.as_str()) else { continue };
        let sep_ok = match rest.chars().next() {
            Some(' ' | ':' | '|' | '\u{a0}') => true,
            // "Tél.", "Mob." style: a dot, then a space or colon.
            Some('.') if lab.chars().count() > 1 => rest[1..].starts_with([' ', ':']),
            _ => false,
        };
        if sep_ok && best.is_none_or(|b| rest.len() < b.len()) {
            best = Some(rest);
        }
    }
    let rest = best?.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '|' | '.' | '=' | '/'));
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Phone label → kind. Matched case-insensitively as the word(s) just before the number.
const PHONE_LABELS: &[(&str, &str)] = &[
    // mobile
    ("mobile", "mobile"),
    ("mobil", "mobile"),
    ("mob", "mobile"),
    ("mob.", "mobile"),
    ("m", "mobile"),
    ("cell", "mobile"),
    ("cellular", "mobile"),
    ("cel", "mobile"),
    ("cel.", "mobile"),
    ("celular", "mobile"),
    ("handy", "mobile"),
    ("mobiltelefon", "mobile"),
    ("portable", "mobile"),
    ("port.", "mobile"),
    ("port", "mobile"),
    ("gsm", "mobile"),
    ("móvil", "mobile"),
    ("movil", "mobile"),
    ("cellulare", "mobile"),
    ("моб", "mobile"),
    ("моб.", "mobile"),
    ("мобильный", "mobile"),
    ("мобильный телефон", "mobile"),
    ("сот", "mobile"),
    ("сот.", "mobile"),
    ("сотовый", "mobile"),
    ("mo6", "mobile"),
    ("mo6.", "mobile"),
    ("mo.", "mobile"),
    ("mo", "mobile"),
    ("m06", "mobile"),
    ("mob:", "mobile"),
    // fax
    ("fax", "fax"),
    ("f", "fax"),
    ("telefax", "fax"),
    ("fax.", "fax"),
    ("téléc", "fax"),
    ("télécopie", "fax"),
    ("факс", "fax"),
    ("ф", "fax"),
    ("ф.", "fax"),
    ("oakc", "fax"),
    ("фakc", "fax"),
    ("φakc", "fax"),
    ("dakc", "fax"),
    ("pakc", "fax"),
    // home
    ("home", "home"),
    ("privat", "home"),
    ("domicile", "home"),
    ("casa", "home"),
    ("дом", "home"),
    ("дом.", "home"),
    ("h", "home"),
    // work
    ("tel", "work"),
    ("tel.", "work"),
    ("tél", "work"),
    ("tél.", "work"),
    ("tél", "work"),
    ("téléphone", "work"),
    ("telephone", "work"),
    ("phone", "work"),
    ("ph", "work"),
    ("ph.", "work"),
    ("office", "work"),
    ("off.", "work"),
    ("work", "work"),
    ("direct", "work"),
    ("dd", "work"),
    ("dir", "work"),
    ("t", "work"),
    ("p", "work"),
    ("o", "work"),
    ("w", "work"),
    ("telefon", "work"),
    ("fon", "work"),
    ("festnetz", "work"),
    ("büro", "work"),
    ("bureau", "work"),
    ("fixe", "work"),
    ("teléfono", "work"),
    ("telefono", "work"),
    ("tlf", "work"),
    ("tfno", "work"),
    ("oficina", "work"),
    ("тел", "work"),
    ("тел.", "work"),
    ("телефон", "work"),
    ("раб", "work"),
    ("раб.", "work"),
    ("рабочий", "work"),
    ("ten", "work"),
    ("ten.", "work"),
    ("teл", "work"),
    ("teл.", "work"),
    ("tел.", "work"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Email,
    Web,
    Phone,
    Address,
}

#[derive(Debug, Clone)]
struct L {
    idx: usize,
    text: String,
    x0: f32,
    x1: f32,
    y: f32,
    h: f32,
    kind: Kind,
}

/// Map Cyrillic and Greek look-alikes to Latin (for e-mails, URLs, labels in Latin).
fn latinize(s: &str) -> String {
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
    translit::to_ascii_lower_as(s, translit::Scheme::Simple)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// The first `max` characters of `s`.
fn truncate_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

fn letters_only(s: &str) -> String {
    translit(s).chars().filter(|c| c.is_ascii_alphabetic()).collect()
}

/// [`letters_only`] with German umlauts spelt out as in e-mail and web addresses (ö → oe, ß → ss).
fn letters_only_de(s: &str) -> String {
    let lower = s.to_lowercase();
    if !lower.contains(['ä', 'ö', 'ü']) {
        return letters_only(s);
    }
    letters_only(&lower.replace('ä', "ae").replace('ö', "oe").replace('ü', "ue"))
}

fn words_lower(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '/' || c == '|')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn has_word(s: &str, list: &[&str]) -> bool {
    let ws = words_lower(s);
    ws.iter()
        .any(|w| list.contains(&w.as_str()) || list.contains(&w.trim_end_matches(['.', ':', ';']).to_string().as_str()))
        || list.iter().any(|k| k.contains(' ') && s.to_lowercase().contains(k))
}

fn count_digits(s: &str) -> usize {
    s.chars().filter(|c| c.is_ascii_digit()).count()
}

fn count_letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

/// Fix OCR confusions inside an e-mail or URL: look-alike scripts, O/0 and l/1 between letters,
/// commas for dots, stray spaces.
fn clean_contact(s: &str) -> String {
    let s = latinize(s);
    let mut s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s = s.replace(",", ".").replace("..", ".");
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let between_letters = prev.is_ascii_alphabetic() && next.is_ascii_alphabetic();
        let r = match c {
            '0' if between_letters => 'o',
            '1' if between_letters => 'l',
            '|' => 'l',
            c => c,
        };
        out.push(r);
    }
    out.to_lowercase()
}

/// Pick the spelling of `s` that agrees best with `anchors` among rn/m variants.
fn resolve_rn_m(s: &str, anchors: &[String]) -> String {
    if anchors.is_empty() {
        return s.to_string();
    }
    let score = |cand: &str| -> usize {
        anchors.iter().filter(|a| a.len() >= 3 && cand.contains(a.as_str())).map(|a| a.len()).sum()
    };
    let mut best = s.to_string();
    let mut best_score = score(s);
    for cand in [s.replace("rn", "m"), s.replace('m', "rn"), s.replace("cl", "d"), s.replace("vv", "w")] {
        let sc = score(&cand);
        if sc > best_score {
            best = cand;
            best_score = sc;
        }
    }
    best
}

/// Find a phone label in `before` (the text preceding a number); returns the kind.
fn label_kind(before: &str) -> Option<&'static str> {
    let b = before.trim().trim_matches([':', '.', '-', '|', '/', ' ', '=', '(', ')', '[', ']']).trim();
    if b.is_empty() {
        return None;
    }
    let lower = b.to_lowercase();
    // The last word (with and without a trailing dot), then the last two words.
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    let last = *words.last()?;
    let cands = [
        last.to_string(),
        format!("{last}."),
        last.trim_end_matches('.').to_string(),
        latinize(last).to_lowercase(),
        latinize(last).to_lowercase().trim_end_matches('.').to_string(),
    ];
    for c in &cands {
        if let Some((_, k)) = PHONE_LABELS.iter().find(|(l, _)| l == c) {
            return Some(k);
        }
    }
    // Phone text is latinized before labels are read ("Телефон" → "Teлeфoh"): compare the
    // labels' latinized spelling too.
    for c in &cands {
        if let Some((_, k)) = PHONE_LABELS.iter().find(|(l, _)| latinize(l).to_lowercase() == *c) {
            return Some(k);
        }
    }
    if words.len() >= 2 {
        let two = format!("{} {}", words[words.len() - 2], last);
        if let Some((_, k)) = PHONE_LABELS.iter().find(|(l, _)| *l == two) {
            return Some(k);
        }
    }
    // Long labels ("Mobiltelefon", "Telephone:"): prefix match on well-known stems.
    let l = latinize(last).to_lowercase();
    for (stem, k) in [
        ("mob", "mobile"),
        ("cell", "mobile"),
        ("handy", "mobile"),
        ("portab", "mobile"),
        ("моб", "mobile"),
        ("сот", "mobile"),
        ("fax", "fax"),
        ("факс", "fax"),
        ("tel", "work"),
        ("tél", "work"),
        ("phon", "work"),
        ("тел", "work"),
        ("off", "work"),
        ("ofic", "work"),
        ("ofis", "work"),
        ("telf", "work"),
        ("mobi", "mobile"),
    ] {
        if l.starts_with(stem) || last.starts_with(stem) || l.starts_with(&latinize(stem).to_lowercase()) {
            return Some(k);
        }
    }
    None
}

/// A phone label printed after the number: the first word of `after` ("mobil", "(fax)", "Tél.").
fn label_after(after: &str) -> Option<&'static str> {
    let first = after
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '-' | '|' | ','))
        .split(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | ',' | '|'))
        .next()?;
    // One letter after a number is a label only in brackets ("… (M)"), not "… 12 A".
    let bracketed = after.trim_start().starts_with('(') && after.contains(')');
    if first.chars().count() < 2 && !bracketed {
        return None;
    }
    label_kind(first)
}

/// Region clues found on the card, most reliable first.
fn region_clues(lines: &[L], hints: &ParseHints) -> Vec<country::Id> {
    let mut out: Vec<country::Id> = Vec::new();
    let mut push = |id: Option<country::Id>| {
        if let Some(id) = id {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    };
    // 1. Country codes of international numbers on the same card (the first few).
    let mut parsed = 0;
    for l in lines {
        for m in RE_PHONE.find_iter(&normalize_phone_text(&l.text)) {
            let t = m.as_str();
            if t.trim_start().starts_with('+') && parsed < MAX_PHONES {
                parsed += 1;
                if let Ok(n) = phonenumber::parse(None, strip_trunk_zero(t)) {
                    push(n.country().id().or_else(|| region_of_code(n.code().value())));
                }
            }
        }
    }
    // 2. The address.
    // (all its lines together first: "42, avenue …" / "78201 Morel" says France only as a whole)
    let joined: Vec<&str> = lines.iter().filter(|l| l.kind == Kind::Address).map(|l| l.text.as_str()).collect();
    if !joined.is_empty() {
        push(address_region(&joined.join(", ")));
    }
    for l in lines.iter().filter(|l| l.kind == Kind::Address) {
        push(address_region(&l.text));
    }
    // 3. The card's own words: the language of its labels, its company's legal form.
    for id in language_region(lines) {
        push(Some(id));
    }
    push(hints.default_region.parse::<country::Id>().ok());
    out
}

/// Regions the card's words point to, most votes first: phone labels in a language ("Handy",
/// "Telefon" → DE; "Portable", "Tél." → FR; Cyrillic → RU) and legal forms used in one country
/// ("GmbH", "KG" → DE; "SARL", "EURL" → FR). English words say nothing (US or GB), and neither does
/// the web or e-mail domain: a .co.uk address is no evidence about a German number.
fn language_region(lines: &[L]) -> Vec<country::Id> {
    const DE: &[&str] = &[
        "handy",
        "mobil",
        "telefon",
        "fon",
        "büro",
        "telefax",
        "mobiltelefon",
        "festnetz",
        "gmbh",
        "mbh",
        "kg",
        "kgaa",
        "ohg",
        "gbr",
        "e.v.",
        "ug",
        "e.k.",
        "deutschland",
    ];
    const FR: &[&str] = &[
        "tél",
        "portable",
        "port",
        "bureau",
        "courriel",
        "télécopie",
        "fixe",
        "sarl",
        "s.a.r.l",
        "eurl",
        "sas",
        "s.a.s",
    ];
    let (mut de, mut fr, mut ru) = (0usize, 0usize, 0usize);
    for l in lines {
        if l.text.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count() >= 3 {
            ru += 1;
        }
        for w in words_lower(&l.text) {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '.').trim_end_matches('.');
            if DE.contains(&w) {
                de += 1;
            } else if FR.contains(&w) {
                fr += 1;
            }
        }
    }
    let mut v: Vec<(usize, country::Id)> = [(de, country::Id::DE), (fr, country::Id::FR), (ru, country::Id::RU)]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.0));
    v.into_iter().map(|(_, id)| id).collect()
}

/// Main region of a calling code (+1 → US, +7 → RU, +44 → GB).
fn region_of_code(code: u16) -> Option<country::Id> {
    let regions = phonenumber::metadata::DATABASE.region(&code)?;
    regions.first().and_then(|r| r.parse().ok())
}

fn address_region(text: &str) -> Option<country::Id> {
    let lower = text.to_lowercase();
    let has_cyr = text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    if lower.contains("россия")
        || lower.contains("russia")
        || lower.contains("москва")
        || (has_cyr && RE_POSTCODE6.is_match(text))
    {
        return Some(country::Id::RU);
    }
    if has_cyr {
        return Some(country::Id::RU);
    }
    if lower.contains("united kingdom")
        || lower.contains("london")
        || lower.contains(", uk")
        || RE_UK_POSTCODE.is_match(text)
    {
        return Some(country::Id::GB);
    }
    if lower.contains("deutschland") || lower.contains("germany") {
        return Some(country::Id::DE);
    }
    if lower.contains("france") {
        return Some(country::Id::FR);
    }
    if lower.contains("españa") || lower.contains("spain") {
        return Some(country::Id::ES);
    }
    if lower.contains("usa") || lower.contains("united states") || RE_US_STATE_ZIP.is_match(text) {
        return Some(country::Id::US);
    }
    let ws = words_lower(text);
    let de = ["straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "damm", "ufer"];
    let de_street = ws.iter().any(|w| de.iter().any(|d| w.ends_with(d))) || ws.iter().any(|w| w.ends_with("ring"));
    if de_street && RE_POSTCODE5.is_match(text) {
        return Some(country::Id::DE);
    }
    let fr = ["rue", "avenue", "boulevard", "chemin", "impasse", "allée", "quai", "cedex", "place", "route"];
    if ws.iter().any(|w| fr.contains(&w.as_str())) && RE_POSTCODE5.is_match(text) {
        return Some(country::Id::FR);
    }
    None
}

/// The region a national number's own shape suggests.
fn shape_region(raw: &str) -> Option<country::Id> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let t = raw.trim();
    if digits.len() == 11
        && digits.starts_with('8')
        && (t.starts_with("8 (") || t.starts_with("8(") || t.starts_with("8-") || t.starts_with("8 9"))
    {
        return Some(country::Id::RU);
    }
    if digits.len() == 10 && digits.starts_with('0') {
        // 0X XX XX XX XX
        let groups: Vec<&str> = t.split([' ', '.', '-']).filter(|g| !g.is_empty()).collect();
        if groups.len() == 5 && groups.iter().skip(1).all(|g| g.len() == 2) {
            return Some(country::Id::FR);
        }
    }
    if digits.len() == 10
        && (t.starts_with('(') || t.contains('-'))
        && !digits.starts_with('0')
        && !digits.starts_with('1')
    {
        return Some(country::Id::US);
    }
    None
}

/// The region a national number's printing habits suggest, weaker than [`shape_region`] and any
/// clue on the card: US 212.555.0142; German "030/28287270", "030 - …" or a subscriber number
/// of 7+ digits in one group; British 0XX XXXX XXXX, 0XXXX XXXXXX groupings.
fn habit_region(raw: &str) -> Option<country::Id> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let t = raw.trim();
    if digits.len() == 10
        && !digits.starts_with('0')
        && !digits.starts_with('1')
        && t.split(['.', '-', ' ']).map(str::len).collect::<Vec<_>>() == [3, 3, 4]
    {
        return Some(country::Id::US); // 212.555.0142, 212-555-0142, 212 555 0142
    }
    if digits.starts_with('0') && (10..=12).contains(&digits.len()) {
        let groups: Vec<usize> = t.split([' ', '.', '-']).filter(|g| !g.is_empty()).map(count_digits).collect();
        // German habits: "030/28287270", "030 - 28287270", a subscriber number of 7+ digits in one group.
        if t.contains('/') || t.contains(" - ") || (groups.len() >= 2 && groups[1..].iter().any(|&g| g >= 7)) {
            return Some(country::Id::DE);
        }
        // British groupings of 0 + 10 digits: 020 7946 0018, 0161 496 0018, 07911 123456.
        if digits.len() == 11 && [vec![3, 4, 4], vec![4, 3, 4], vec![5, 6], vec![5, 3, 3]].contains(&groups) {
            return Some(country::Id::GB);
        }
    }
    None
}

/// Fix letters that OCR puts in numbers and unify dashes.
fn normalize_phone_text(s: &str) -> String {
    let s = latinize(s);
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let looks_digit = |c: char| c.is_ascii_digit() || matches!(c, 'O' | 'o' | 'l' | 'I' | '|');
    for (i, &c) in chars.iter().enumerate() {
        let n = out.len();
        let back = (n >= 1 && out[n - 1].is_ascii_digit())
            || (n >= 2 && out[n - 2].is_ascii_digit() && !out[n - 1].is_alphabetic());
        let fwd = |k: usize| chars.get(i + k).copied().is_some_and(looks_digit);
        let ahead = (fwd(1) && chars.get(i + 2).copied().is_some_and(|c| c.is_ascii_digit() || looks_digit(c)))
            || (fwd(1) && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
            || (chars.get(i + 1).is_some_and(|c| matches!(c, ' ' | '-' | ')'))
                && chars.get(i + 2).is_some_and(|c| c.is_ascii_digit()));
        let digit_ctx = back && ahead;
        let r = match c {
            'O' | 'o' if digit_ctx => '0',
            'l' | 'I' | '|' if digit_ctx => '1',
            'B' if digit_ctx => '8',
            'S' if digit_ctx => '5',
            c => c,
        };
        out.push(r);
    }
    out.into_iter().collect()
}

/// "+44 (0) 20 …" → "+44 20 …": the bracketed trunk prefix is not dialled internationally.
fn strip_trunk_zero(s: &str) -> String {
    let t = s.trim();
    if t.starts_with('+') {
        t.replace("(0)", " ").replace("( 0 )", " ").replace("(0 )", " ").replace("( 0)", " ")
    } else {
        t.to_string()
    }
}

fn e164_for(raw: &str, clues: &[country::Id]) -> (Option<String>, Option<phonenumber::Type>) {
    let cleaned = strip_trunk_zero(raw);
    let fmt = |n: &phonenumber::PhoneNumber| n.format().mode(Mode::E164).to_string();
    let ty = |n: &phonenumber::PhoneNumber| n.number_type(&phonenumber::metadata::DATABASE);
    if cleaned.starts_with('+') {
        if let Ok(n) = phonenumber::parse(None, &cleaned) {
            // The phonenumber crate drops a leading 8 of +7 numbers as if it were the trunk prefix
            // ("+7 (812) 236-34-12" → +7122363412, invalid); keep the printed digits then.
            let digits: String = cleaned.chars().filter(|c| c.is_ascii_digit()).collect();
            if !phonenumber::is_valid(&n) && fmt(&n) != format!("+{digits}") && (11..=15).contains(&digits.len()) {
                if let Ok(m) = phonenumber::parse(None, format!("+{digits}")) {
                    if phonenumber::is_valid(&m) {
                        return (Some(fmt(&m)), Some(ty(&m)));
                    }
                }
                return (Some(format!("+{digits}")), None);
            }
            return (Some(fmt(&n)), Some(ty(&n)));
        }
        return (None, None);
    }
    // International without '+': 00 prefix.
    if let Some(rest) = cleaned.strip_prefix("00") {
        if let Ok(n) = phonenumber::parse(None, format!("+{rest}")) {
            if phonenumber::is_valid(&n) {
                return (Some(fmt(&n)), Some(ty(&n)));
            }
        }
    }
    // Tier A: what the card itself says (other numbers' country codes, the address, the language of
    // its labels and legal form) and the number's own shape. Tier B: the configured default. Then
    // common regions. Never the web or e-mail domain: a .co.uk or .com site says nothing about
    // where a number is.
    let shape = shape_region(&cleaned);
    if shape == Some(country::Id::RU) {
        // 8 (XXX) XXX-XX-XX: the same crate slip as above for 8 (812) …; the digits say it all.
        if let Some(n) = phonenumber::parse(Some(country::Id::RU), &cleaned).ok().filter(phonenumber::is_valid) {
            return (Some(fmt(&n)), Some(ty(&n)));
        }
        let digits: String = cleaned.chars().filter(|c| c.is_ascii_digit()).collect();
        return (Some(format!("+7{}", &digits[1..])), None);
    }
    let (strong, default) = clues.split_at(clues.len().saturating_sub(1));
    let mut tier_a: Vec<country::Id> = Vec::new();
    for id in strong.iter().chain(shape.iter()) {
        if !tier_a.contains(id) {
            tier_a.push(*id);
        }
    }
    let mut tier_b: Vec<country::Id> = Vec::new();
    for id in default.iter() {
        if !tier_a.contains(id) && !tier_b.contains(id) {
            tier_b.push(*id);
        }
    }
    let parse_in = |ids: &[country::Id]| -> Vec<phonenumber::PhoneNumber> {
        ids.iter().filter_map(|id| phonenumber::parse(Some(*id), &cleaned).ok()).collect()
    };
    let plausible = |n: &phonenumber::PhoneNumber| (7..=12).contains(&n.national().value().to_string().len());
    let a = parse_in(&tier_a);
    // "(812) 815-05-78" on a Russian card: the crate takes the area code's 8 for the trunk prefix.
    let digits: String = cleaned.chars().filter(|c| c.is_ascii_digit()).collect();
    if tier_a.first() == Some(&country::Id::RU)
        && digits.len() == 10
        && digits.starts_with('8')
        && !a.iter().any(phonenumber::is_valid)
    {
        return (Some(format!("+7{digits}")), None);
    }
    if let Some(n) = a.iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    if let Some(n) = a.first().filter(|n| plausible(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    let b = parse_in(&tier_b);
    if let Some(n) = b.iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    // The number's printing habits, after everything the card says and the default region.
    let habit: Vec<country::Id> = habit_region(&cleaned).into_iter().filter(|id| !tier_a.contains(id)).collect();
    if let Some(n) = parse_in(&habit).iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    let commons: Vec<country::Id> =
        [country::Id::US, country::Id::GB, country::Id::DE, country::Id::FR, country::Id::RU]
            .into_iter()
            .filter(|id| !tier_a.contains(id) && !tier_b.contains(id))
            .collect();
    let c = parse_in(&commons);
    if let Some(n) = c.iter().find(|n| phonenumber::is_valid(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    if let Some(n) = b.first().filter(|n| plausible(n)) {
        return (Some(fmt(n)), Some(ty(n)));
    }
    (None, None)
}

fn clean_text(s: &str) -> String {
    let s = RE_SPACES.replace_all(s.trim(), " ").to_string();
    let s = s.trim_matches(|c: char| c == '|' || c == '_' || c == '•' || c == '·' || c == '*').trim().to_string();
    fix_mixed_script(&s)
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
fn fix_mixed_script(s: &str) -> String {
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

fn is_prefix(w: &str) -> bool {
    PREFIXES.contains(&w.to_lowercase().as_str())
}

/// Does `text` look like a person's name?
fn name_shape(text: &str) -> f32 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let core: Vec<&str> = words.iter().copied().filter(|w| !is_prefix(w)).collect();
    if core.is_empty() || core.len() > 5 {
        return 0.0;
    }
    if count_digits(text) > 0 || text.contains('@') {
        return 0.0;
    }
    let mut s = 1.0;
    if core.len() == 1 {
        s *= 0.3;
    }
    for w in &core {
        let first = w.chars().next().unwrap_or(' ');
        let lw = w.to_lowercase();
        if NAME_PARTICLES.contains(&lw.as_str()) {
            continue;
        }
        if !first.is_uppercase() {
            s *= 0.4;
        }
        if (w.ends_with(',') && core.len() != 2) || w.contains('&') {
            s *= 0.3;
        }
    }
    if has_word(text, COMPANY_WORDS) {
        s *= 0.3;
    }
    if words.len() != core.len() {
        s *= 1.5;
    }
    s
}

/// Whether `w` (lower case) is one of the parser's own job-title words.
pub(crate) fn is_builtin_title_word(w: &str) -> bool {
    TITLE_WORDS.contains(&w)
}

fn title_score(text: &str, hints: &ParseHints) -> f32 {
    let ws = words_lower(text);
    let mut s = 0.0;
    for w in &ws {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if w.len() < 2 {
            continue;
        }
        if TITLE_WORDS.contains(&w) || hints.title_words.iter().any(|t| t.to_lowercase() == w) {
            s += 1.0;
        } else if w.chars().count() >= 5
            && TITLE_WORDS.iter().any(|t| t.chars().count() >= 5 && (w.starts_with(t) || w.ends_with(t)))
        {
            s += 0.6;
        }
    }
    let lower = text.to_lowercase();
    for t in &hints.title_words {
        if t.contains(' ') && lower.contains(&t.to_lowercase()) {
            s += 1.0;
        }
    }
    s
}

fn company_score(text: &str, hints: &ParseHints, domains: &[String]) -> f32 {
    let mut s = 0.0;
    let lower = text.to_lowercase();
    let folded = letters_only(text);
    for k in &hints.known_companies {
        let kf = letters_only(k);
        let k = k.trim().to_lowercase();
        // Folded (no case, accents or punctuation) so an OCR slip in a diacritic still matches.
        if !k.is_empty() && (lower == k || lower.contains(&k) || (kf.len() >= 4 && folded.contains(&kf))) {
            s += 3.0;
        }
    }
    if has_word(text, COMPANY_WORDS) || text.contains('&') || text.contains('«') || text.contains('"') {
        s += 1.0;
    }
    // Umlauts both ways: "Schönland" is schonland… or schoenland… in a domain.
    let forms = [letters_only(text), letters_only_de(text)];
    for d in domains {
        let mut best: f32 = 0.0;
        for letters in &forms {
            if d.len() >= 4 && letters.len() >= 3 {
                let n = d.len().min(letters.len()).min(14);
                if n >= 4 && letters.starts_with(&d[..n.min(d.len())]) || (d.len() >= 5 && letters.contains(d.as_str()))
                {
                    best = best.max(2.5);
                } else if letters.len() >= 4 && d.starts_with(&letters[..letters.len().min(d.len())]) {
                    best = best.max(2.0);
                }
            }
        }
        s += best;
    }
    s
}

/// Whether two ASCII words differ by at most one inserted, deleted or replaced letter.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let pre = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[pre..].iter().skip(1).eq(long[pre..].iter().skip(1))
    } else {
        short[pre..] == long[pre + 1..]
    }
}

/// Overlap between a line's words and the e-mail user names (after transliteration).
fn email_agreement(text: &str, users: &[Vec<String>]) -> f32 {
    let plain = email_agreement_of(text, users, letters_only);
    if text.to_lowercase().contains(['ä', 'ö', 'ü']) {
        plain.max(email_agreement_of(text, users, letters_only_de))
    } else {
        plain
    }
}

fn email_agreement_of(text: &str, users: &[Vec<String>], fold: fn(&str) -> String) -> f32 {
    let words: Vec<String> =
        text.split_whitespace().filter(|w| !is_prefix(w)).map(fold).filter(|w| w.len() >= 2).collect();
    if words.is_empty() {
        return 0.0;
    }
    let mut best: f32 = 0.0;
    for parts in users {
        let joined: String = parts.concat();
        let mut hit = 0.0;
        for w in &words {
            let w5: String = w.chars().take(5).collect();
            if parts
                .iter()
                .any(|p| p == w || (p.len() >= 3 && w.len() >= 3 && (p.starts_with(&w5) || w.starts_with(p.as_str()))))
            {
                hit += 1.0;
            } else if w.len() >= 3 && joined.contains(w.as_str()) {
                hit += 0.8;
            } else if w.len() >= 4 && parts.iter().any(|p| p.len() >= 4 && one_edit_apart(p, w)) {
                hit += 0.8; // another transliteration: Юдин → yudin / udin, Ксения → kseniya / ksenia
            } else if parts.iter().any(|p| p.len() == 1 && w.starts_with(p.as_str())) {
                hit += 0.5; // initial: j.smith
            }
        }
        best = best.max(hit / words.len() as f32 * (words.len().min(3) as f32));
    }
    best
}

/// "technical offi cer", "off cer": a word split at an fi/fl ligature (or missing its i) is joined
/// when the joined word is a job-title word.
fn join_split_ligatures(s: &str) -> String {
    let words: Vec<&str> = s.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if i + 1 < words.len() && words[i + 1].starts_with(|c: char| c.is_lowercase()) {
            let (a, b) = (words[i], words[i + 1]);
            let trail: String =
                b.chars().rev().take_while(|c| !c.is_alphanumeric()).collect::<Vec<_>>().into_iter().rev().collect();
            let core_b = &b[..b.len() - trail.len()];
            let cands = [format!("{a}{core_b}"), format!("{a}i{core_b}")];
            if a.ends_with(['f', 'i', 'l']) {
                if let Some(j) = cands.iter().find(|c| TITLE_WORDS.contains(&c.to_lowercase().as_str())) {
                    out.push(format!("{j}{trail}"));
                    i += 2;
                    continue;
                }
            }
        }
        out.push(words[i].to_string());
        i += 1;
    }
    out.join(" ")
}

/// Fix well-known recogniser confusions in free text fields (not names).
fn fix_text_confusions(s: &str) -> String {
    let s = &join_split_ligatures(s);
    // "Al" (A + lower-case L) standing alone next to capitalised words is almost always "AI".
    let words: Vec<&str> = s.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for w in &words {
        if *w == "Al" && words.len() > 1 {
            out.push("AI".to_string());
        } else {
            out.push(w.to_string());
        }
    }
    out.join(" ")
}

/// "WaIker" → "Walker": a capital I between lower-case letters (or ending a lower-case word) of a
/// name is the recogniser's reading of a lower-case l (not after Mc/Mac: "McIntyre").
fn fix_name_confusions(s: &str) -> String {
    // "Klaus-D.Beckmann": an initial's dot read without the space after it.
    static INITIAL_GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\p{Lu})\.(\p{Lu}\p{Ll})").unwrap());
    let s = INITIAL_GLUED.replace_all(s, "$1. $2");
    s.split(' ')
        .map(|w| {
            let cs: Vec<char> = w.chars().collect();
            let mut out = String::with_capacity(w.len());
            for (i, &c) in cs.iter().enumerate() {
                let after_mc = (i == 2 && w.starts_with("Mc")) || (i == 3 && w.starts_with("Mac"));
                if c == 'I'
                    && i >= 2
                    && !after_mc
                    && cs[i - 1].is_lowercase()
                    && cs[..i].iter().filter(|c| c.is_uppercase()).count() == 1
                    && cs.get(i + 1).is_none_or(|n| n.is_lowercase())
                {
                    out.push('l');
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word printed in capitals ("TURNER", "O'CONNOR", "РОГОВ"): two or more letters, none lower case.
fn is_caps_word(w: &str) -> bool {
    let mut n = 0;
    for c in w.chars().filter(|c| c.is_alphabetic()) {
        if !c.is_uppercase() {
            return false;
        }
        n += 1;
    }
    n >= 2
}

/// [`is_caps_word`], or a word of four or more letters with one lower-case letter whose shape is
/// its capital's (c o p s u v w x y z): the recogniser's reading of "ROSS" as "RoSS". Only for
/// writing the word in title case, not for telling the surname.
fn is_caps_word_loose(w: &str) -> bool {
    let (mut n, mut lower, mut lookalike) = (0, 0, true);
    for c in w.chars().filter(|c| c.is_alphabetic()) {
        if !c.is_uppercase() {
            lower += 1;
            lookalike &= n > 0 && "copsuvwxyz".contains(c);
        }
        n += 1;
    }
    n >= 2 && (lower == 0 || (lower == 1 && lookalike && n >= 4))
}

/// "O'CONNOR" → "O'Connor", "MÜLLER-LÜDENSCHEIDT" → "Müller-Lüdenscheidt", "DR." → "Dr.".
fn title_case_word(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut start = true;
    for c in w.chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = matches!(c, '-' | '\'' | '’');
        }
    }
    out
}

/// Whether an e-mail user name spells the two words of a name in the other order
/// ("Turner Elisa" with e.turner@).
fn email_says_reversed(a: &str, b: &str, users: &[Vec<String>]) -> bool {
    let (a, b) = (letters_only(a), letters_only(b));
    if a.len() < 2 || b.len() < 2 {
        return false;
    }
    let full = |x: &str, p: &str| p == x || (p.len() >= 3 && x.starts_with(p)) || (x.len() >= 3 && p.starts_with(x));
    let initial = |x: &str, p: &str| p.len() == 1 && x.starts_with(p);
    users.iter().any(|parts| {
        parts.len() >= 2 && {
            let (p0, pl) = (parts[0].as_str(), parts[parts.len() - 1].as_str());
            // Only an initial is unambiguous: "turner.elisa@" may be the firm's last.first habit.
            initial(&b, p0) && full(&a, pl) && !full(&a, p0)
        }
    })
}

const NAME_SUFFIXES: &[&str] = &["phd", "ph.d.", "jr.", "jr", "sr", "mba", "md", "m.d.", "dipl.", "esq."];

/// Split a name line into prefix / first / middle / last and the full name in natural order:
/// a surname printed first ("Turner, Elisa", "TURNER Elisa", or "Turner Elisa" with e-mail
/// e.turner@) is put last; words in capitals are written in title case.
fn split_name(full: &str, blocks: &[usize], users: &[Vec<String>], card: &mut ParsedCard) {
    let full = fix_name_confusions(full);
    let mut words: Vec<String> = full.split_whitespace().map(String::from).collect();
    let mut prefix = Vec::new();
    while let Some(w) = words.first() {
        if is_prefix(w) && words.len() > 1 {
            prefix.push(if is_caps_word(w) { title_case_word(w) } else { w.clone() });
            words.remove(0);
        } else {
            break;
        }
    }
    // Suffixes such as "PhD", "Jr." stay out of first/last.
    while let Some(w) = words.last() {
        let lw = w.to_lowercase();
        if words.len() > 2 && NAME_SUFFIXES.contains(&lw.trim_end_matches(',')) {
            words.pop();
        } else {
            break;
        }
    }
    if let Some(w) = words.last_mut() {
        *w = w.trim_end_matches(',').to_string();
    }
    let mut reordered = false;
    // How many trailing words are the surname when the card shows it ("GREIN GROTH Tino").
    let mut surname_words = 1;
    // "Turner, Elisa": a comma after the first word (or two) marks the surname.
    if (2..=4).contains(&words.len()) {
        if let Some(ci) = words.iter().position(|w| w.ends_with(',')) {
            if ci <= 1 && ci + 1 < words.len() {
                let mut w2: Vec<String> = words[ci + 1..].to_vec();
                w2.extend(words[..=ci].iter().map(|w| w.trim_end_matches(',').to_string()));
                words = w2;
                reordered = true;
                surname_words = ci + 1;
            }
        }
    }
    // "TURNER Elisa": the words in capitals before the others are the surname.
    if !reordered && words.len() >= 2 {
        let caps: Vec<bool> = words.iter().map(|w| is_caps_word(w)).collect();
        let k = caps.iter().take_while(|c| **c).count();
        if k > 0 && k < words.len() && words[k..].iter().all(|w| !is_caps_word_loose(w)) {
            words.rotate_left(k);
            reordered = true;
            surname_words = k;
        }
    }
    if !reordered && words.len() == 2 && email_says_reversed(&words[0], &words[1], users) {
        words.swap(0, 1);
    }
    for w in words.iter_mut() {
        if is_caps_word_loose(w) {
            *w = title_case_word(w);
        }
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let b = || blocks.to_vec();
    if !prefix.is_empty() {
        card.prefix = field(prefix.join(" "), b());
    }
    let full_clean = words.join(" ");
    card.full_name = field(full_clean.clone(), b());
    match words.len() {
        0 => {}
        1 => card.first_name = field(words[0], b()),
        _ => {
            let is_patronymic = |w: &str| {
                let l = w.to_lowercase();
                ["ович", "евич", "ьич", "овна", "евна", "ична", "инична"].iter().any(|s| l.ends_with(s))
            };
            if words.len() == 3 && is_patronymic(words[2]) {
                card.last_name = field(words[0], b());
                card.first_name = field(words[1], b());
                card.middle_name = field(words[2], b());
            } else if words.len() >= 3 && NAME_PARTICLES.contains(&words[1].to_lowercase().as_str()) {
                card.first_name = field(words[0], b());
                card.last_name = field(words[1..].join(" "), b());
            } else {
                let k = surname_words.clamp(1, words.len() - 1);
                let split = words.len() - k;
                card.first_name = field(words[0], b());
                card.last_name = field(words[split..].join(" "), b());
                if split > 1 {
                    card.middle_name = field(words[1..split].join(" "), b());
                }
            }
        }
    }
}

/// Parse recognised lines into contact fields.
///
/// The work is bounded whatever the input: at most [`MAX_PARSE_LINES`] lines of at most
/// [`MAX_LINE_CHARS`] characters are read, and at most [`MAX_PHONES`] numbers kept.
pub fn parse_card(lines: &[Line], hints: &ParseHints) -> ParsedCard {
    let mut card = ParsedCard::default();
    let lines = &lines[..lines.len().min(MAX_PARSE_LINES)];
    if lines.is_empty() {
        return card;
    }
    // Reading frame from the boxes: mean top-edge direction weighted by width.
    let (mut rx, mut ry) = (0f32, 0f32);
    for l in lines {
        rx += l.quad[1].x - l.quad[0].x;
        ry += l.quad[1].y - l.quad[0].y;
    }
    let n = (rx * rx + ry * ry).sqrt();
    let (rx, ry) = if n > 0.0 { (rx / n, ry / n) } else { (1.0, 0.0) };
    let (dx, dy) = (-ry, rx);
    let mut ls: Vec<L> = lines
        .iter()
        .enumerate()
        .filter_map(|(idx, l)| {
            let text = clean_text(truncate_chars(&l.text, MAX_LINE_CHARS));
            if text.is_empty() {
                return None;
            }
            let xs: Vec<f32> = l.quad.iter().map(|p| p.x * rx + p.y * ry).collect();
            let c = l.center();
            Some(L {
                idx,
                text,
                x0: xs.iter().cloned().fold(f32::MAX, f32::min),
                x1: xs.iter().cloned().fold(f32::MIN, f32::max),
                y: c.x * dx + c.y * dy,
                h: l.height(),
                kind: Kind::Text,
            })
        })
        .collect();
    ls.sort_by(|a, b| a.y.total_cmp(&b.y));
    ls = split_mixed_lines(ls);
    ls = join_row_fragments(ls);

    // --- contact lines -------------------------------------------------------------------------
    let mut emails: Vec<(String, usize, String)> = Vec::new();
    let mut webs: Vec<(String, usize)> = Vec::new();
    for l in ls.iter_mut() {
        let lat = latinize(&l.text);
        let lower = lat.to_lowercase();
        let at_fixed = cut_email_tail(&lat)
            .to_lowercase()
            .replace("(at)", "@")
            .replace("[at]", "@")
            .replace(" @ ", "@")
            .replace("@ ", "@")
            .replace(" @", "@");
        if at_fixed.contains('@') {
            // "E elisa@x.com", "E-Mail: …", "Courriel : …": the label is not part of the address.
            let unlabelled = strip_contact_label(&at_fixed, EMAIL_LABELS);
            let cleaned = clean_contact(unlabelled.as_deref().unwrap_or(&at_fixed));
            if let Some(m) = RE_EMAIL.find(&cleaned) {
                emails.push((m.as_str().trim_matches('.').to_string(), l.idx, l.text.clone()));
                l.kind = Kind::Email;
                continue;
            }
        }
        let digits = count_digits(&lat);
        let letters = count_letters(&lat);
        // "W www.x.com", "Web: x.com", "Сайт: …": a web label before the address.
        let web_rest = strip_contact_label(&lower, WEB_LABELS);
        let web_label = web_rest.as_deref().is_some_and(|r| r.contains('.') && count_digits(r) * 2 < count_letters(r));
        if lower.contains("www")
            || lower.contains("http")
            || web_label
            || (digits * 2 < letters && RE_URL.is_match(&clean_contact(&lat)) && !lat.contains(' '))
        {
            let stripped = if web_label { web_rest.clone().unwrap_or_default() } else { lat.clone() };
            let cleaned = clean_contact(&stripped);
            let mut cleaned =
                cleaned.replace("http//", "http://").replace("https//", "https://").replace("www,", "www.");
            // A one-letter label glued to the address by the recogniser: "W www.x.com" read "Wwww.x.com".
            if let Some(rest) = cleaned.strip_prefix("wwww.") {
                cleaned = format!("www.{rest}");
            }
            // A trailing "/" is often read as l, 1 or I: "contoso.coml".
            if RE_URL.find(&cleaned).is_none_or(|m| m.end() != cleaned.len()) && cleaned.ends_with(['l', '1', 'i', '|'])
            {
                let mut fixed = cleaned.clone();
                fixed.pop();
                fixed.push('/');
                if RE_URL.find(&fixed).is_some_and(|m| m.end() == fixed.len()) {
                    cleaned = fixed;
                }
            }
            if let Some(m) = RE_URL.find(&cleaned) {
                webs.push((m.as_str().to_string(), l.idx));
                l.kind = Kind::Web;
                continue;
            }
        }
        let norm = normalize_phone_text(&l.text);
        let phone_digits: usize = RE_PHONE.find_iter(&norm).map(|m| count_digits(m.as_str())).max().unwrap_or(0);
        let labelled = RE_PHONE.find_iter(&norm).any(|m| label_kind(&norm[..m.start()]).is_some());
        let non_label_letters = {
            let mut t = norm.clone();
            for m in RE_PHONE.find_iter(&norm) {
                t = t.replace(m.as_str(), " ");
            }
            t.split_whitespace().filter(|w| label_kind(w).is_none()).map(count_letters).sum::<usize>()
        };
        if phone_digits >= 7 && (labelled || non_label_letters <= 3) && !has_word(&l.text, ADDRESS_LABELS) {
            l.kind = Kind::Phone;
            continue;
        }
        if is_address(&l.text) {
            l.kind = Kind::Address;
        }
    }
    // A street line directly above an address line in the same column ("2 Kingdom Street").
    for i in 0..ls.len() {
        if ls[i].kind == Kind::Text && RE_HOUSE_STREET.is_match(&ls[i].text) {
            if let Some(j) = (i + 1..ls.len()).find(|&j| ls[j].kind != Kind::Text || overlaps(&ls[i], &ls[j])) {
                if ls[j].kind == Kind::Address
                    && overlaps(&ls[i], &ls[j])
                    && ls[j].y - ls[i].y < 2.5 * ls[i].h.max(ls[j].h)
                {
                    ls[i].kind = Kind::Address;
                }
            }
        }
    }

    // E-mails: resolve rn/m with the website domain as anchor.
    let web_domains: Vec<String> = webs.iter().map(|(w, _)| domain_of(w)).collect();
    for (k, (e, idx, raw)) in emails.iter().enumerate() {
        // (bounded: a card has one or two addresses; the check reads every word on the card)
        let e = if k < 4 { drop_glued_label(e, raw, &ls) } else { e.clone() };
        let (user, dom) = e.split_once('@').unwrap_or((&e, ""));
        let mut anchors: Vec<String> =
            web_domains.iter().map(|d| d.split('.').next().unwrap_or("").to_string()).collect();
        anchors.retain(|a| a.len() >= 3);
        let dom = resolve_rn_m(dom, &anchors);
        let addr = format!("{user}@{dom}");
        if !card.emails.iter().any(|f| f.value == addr) {
            card.emails.push(ParsedField { value: addr, blocks: vec![*idx] });
        }
    }
    if let Some((w, idx)) = webs.first() {
        // Agree with the e-mail domain on rn/m confusions.
        let anchors: Vec<String> = card
            .emails
            .iter()
            .filter_map(|e| e.value.split_once('@').map(|(_, d)| d.split('.').next().unwrap_or("").to_string()))
            .filter(|a| a.len() >= 3)
            .collect();
        let mut w = resolve_rn_m(w, &anchors);
        // "W masoncampbell.eu" read "Wmasoncampbell.eu": the e-mail domain shows the extra w.
        let host = domain_of(&w);
        if !w.starts_with("www.") && host.starts_with('w') {
            let email_domain =
                |d: &str| card.emails.iter().any(|e| e.value.split_once('@').is_some_and(|(_, x)| x == d));
            if !email_domain(&host) && email_domain(&host[1..]) {
                w = w.replacen(&host, &host[1..], 1);
            }
        }
        card.website = field(w, vec![*idx]);
    }

    // --- what the e-mail and web addresses say about the name and company -------------------------
    let users: Vec<Vec<String>> = card
        .emails
        .iter()
        .filter_map(|e| e.value.split_once('@').map(|(u, _)| u.to_string()))
        .map(|u| {
            u.split(['.', '_', '-'])
                .filter(|p| !p.is_empty())
                .map(|p| p.chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .collect();
    let mut domains: Vec<String> = Vec::new();
    for d in card
        .emails
        .iter()
        .filter_map(|e| e.value.split_once('@').map(|(_, d)| d.to_string()))
        .chain(card.website.iter().map(|w| domain_of(&w.value)))
    {
        let base = d.split('.').next().unwrap_or("").chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>();
        if base.len() >= 3
            && !["gmail", "yahoo", "hotmail", "outlook", "mail", "yandex", "icloud", "gmx", "web", "orange", "free"]
                .contains(&base.as_str())
            && !domains.contains(&base)
        {
            domains.push(base);
        }
    }
    // A name the recogniser split into fragments ("Н ина Юд ин") is joined the way the e-mail
    // user name spells it (nina.udin@).
    for l in ls.iter_mut().filter(|l| l.kind == Kind::Text) {
        if let Some(joined) = join_fragments(&l.text, &users) {
            l.text = joined;
        }
    }

    // --- name ------------------------------------------------------------------------------------
    // Picked before the address grows, so the name and the line under it (the title) stay out of it.
    let text_idx: Vec<usize> =
        (0..ls.len()).filter(|&i| ls[i].kind == Kind::Text && count_letters(&ls[i].text) >= 2).collect();
    let max_h = text_idx.iter().map(|&i| ls[i].h).fold(0.0, f32::max).max(1.0);
    // Department lines first (keywords are specific).
    let dept: Vec<usize> = text_idx.iter().copied().filter(|&i| has_word(&ls[i].text, DEPARTMENT_WORDS)).collect();
    // Name: e-mail agreement, shape, size, prefix.
    let mut best_name: Option<(usize, f32)> = None;
    for &i in &text_idx {
        if dept.contains(&i) {
            continue;
        }
        let t = &ls[i].text;
        let shape = name_shape(t);
        if shape == 0.0 {
            continue;
        }
        let agree = email_agreement(t, &users);
        let title = title_score(t, hints);
        let comp = company_score(t, hints, &domains);
        let score = shape * (1.0 + ls[i].h / max_h) + 2.0 * agree - 0.8 * title - 0.8 * comp;
        if best_name.is_none_or(|(_, s)| score > s) {
            best_name = Some((i, score));
        }
    }
    let name_i = best_name.filter(|(_, s)| *s > 0.5).map(|(i, _)| i);
    // The next line under the name in its column, if it is free text (the title's place).
    let below = |ni: usize, ls: &[L]| -> Option<usize> {
        (ni + 1..ls.len())
            .filter(|&i| overlaps(&ls[ni], &ls[i]))
            .min_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y))
            .filter(|&i| ls[i].kind == Kind::Text && ls[i].y - ls[ni].y < 4.0 * ls[ni].h.max(ls[i].h))
    };

    // --- address -------------------------------------------------------------------------------
    // An address printed over several lines: grow each address line's block by the lines right
    // above and below it in the same column and type size ("Flat 71W" / "Beth Roads" / "Lewiston" /
    // "L5H 8YW" / "United Kingdom") unless they read as something else.
    let keep: Vec<usize> = name_i.into_iter().chain(name_i.and_then(|ni| below(ni, &ls))).collect();
    grow_address(&mut ls, hints, &users, &domains, &keep);
    let addr: Vec<&L> = ls.iter().filter(|l| l.kind == Kind::Address).collect();
    if !addr.is_empty() {
        let parts: Vec<String> =
            addr.iter().map(|l| normalize_address(&strip_label(&l.text, ADDRESS_LABELS))).collect();
        card.address = field(parts.join(", ").replace(",,", ","), addr.iter().map(|l| l.idx).collect());
    }

    // --- phones --------------------------------------------------------------------------------
    let clues = region_clues(&ls, hints);
    // Each candidate costs up to a dozen libphonenumber parses: look at a bounded number.
    let mut candidates = 0;
    'phones: for l in ls.iter().filter(|l| l.kind == Kind::Phone) {
        let norm = normalize_phone_text(&l.text);
        let mut last_kind: Option<&str> = None;
        for m in RE_PHONE.find_iter(&norm) {
            let raw = m.as_str().trim().trim_end_matches(['(', '-', '.', '/']).trim();
            if count_digits(raw) < 7 {
                continue;
            }
            if card.phones.len() >= MAX_PHONES || candidates >= 4 * MAX_PHONES {
                break 'phones;
            }
            candidates += 1;
            let before = &norm[..m.start()];
            // Only the text since the previous number counts as this number's label.
            let prev_end =
                RE_PHONE.find_iter(&norm).filter(|p| p.end() <= m.start()).map(|p| p.end()).last().unwrap_or(0);
            // A label after the number ("0151 2345678 mobil", "… (fax)") counts when none is before it.
            let next_start = RE_PHONE.find_iter(&norm).map(|p| p.start()).find(|&s| s >= m.end()).unwrap_or(norm.len());
            let label =
                label_kind(&before[prev_end.min(before.len())..]).or_else(|| label_after(&norm[m.end()..next_start]));
            let (e164, ty) = e164_for(raw, &clues);
            let kind = match (label, last_kind) {
                (Some(k), _) => k,
                (None, Some(k)) if prev_end > 0 => k, // "Tel: 123 / 456" shares the label
                _ => match ty {
                    Some(phonenumber::Type::Mobile) => "mobile",
                    _ => "work",
                },
            };
            last_kind = Some(kind);
            if card.phones.iter().any(|p| p.e164.is_some() && p.e164 == e164) {
                continue;
            }
            card.phones.push(ParsedPhone {
                kind: kind.to_string(),
                number: raw.to_string(),
                e164,
                blocks: vec![l.idx],
            });
        }
    }

    // --- position / department / company ---------------------------------------------------------
    let text_idx: Vec<usize> = text_idx.into_iter().filter(|&i| ls[i].kind == Kind::Text).collect();
    if text_idx.is_empty() {
        return card;
    }
    let mut used: HashSet<usize> = HashSet::new();
    if let Some(i) = name_i {
        used.insert(i);
        split_name(&ls[i].text, &[ls[i].idx], &users, &mut card);
    }

    // Company: known names, legal forms, web-domain agreement; else by elimination below.
    let mut best_comp: Option<(usize, f32)> = None;
    for &i in &text_idx {
        if used.contains(&i) || dept.contains(&i) {
            continue;
        }
        let s = company_score(&ls[i].text, hints, &domains) - 0.5 * title_score(&ls[i].text, hints);
        if s > 0.0 && best_comp.is_none_or(|(_, b)| s > b) {
            best_comp = Some((i, s));
        }
    }
    // Strong company evidence wins; weak evidence ("and" in a job title) may yield to the position rule.
    let strong_comp = best_comp.filter(|(_, s)| *s >= 2.0).map(|(i, _)| i);
    if let Some(i) = strong_comp {
        used.insert(i);
    }

    // Position: title words, or the line right below the name in its column.
    let below_name: Option<usize> = name_i.and_then(|ni| {
        text_idx
            .iter()
            .copied()
            .filter(|&i| !used.contains(&i) && !dept.contains(&i) && ls[i].y > ls[ni].y && overlaps(&ls[ni], &ls[i]))
            .min_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y))
            .filter(|&i| ls[i].y - ls[ni].y < 4.0 * ls[ni].h.max(ls[i].h))
    });
    let mut best_title: Option<(usize, f32)> = None;
    for &i in &text_idx {
        if used.contains(&i) || dept.contains(&i) {
            continue;
        }
        let mut s = title_score(&ls[i].text, hints);
        if Some(i) == below_name {
            s += 1.2;
        }
        if let Some((ci, _)) = best_comp {
            if ci == i {
                s -= 0.7;
            }
        }
        if s > 0.5 && best_title.is_none_or(|(_, b)| s > b) {
            best_title = Some((i, s));
        }
    }
    if let Some((i, _)) = best_title {
        used.insert(i);
        card.position = field(fix_case_confusions(&fix_text_confusions(&ls[i].text)), vec![ls[i].idx]);
    }
    if !dept.is_empty() {
        let v: Vec<String> = dept.iter().map(|&i| fix_text_confusions(&ls[i].text)).collect();
        card.department = field(v.join(", "), dept.iter().map(|&i| ls[i].idx).collect());
        used.extend(dept.iter().copied());
    }
    let comp_i = strong_comp.or_else(|| best_comp.map(|(i, _)| i).filter(|i| !used.contains(i))).or_else(|| {
        // By elimination: the remaining text line with the most weight (largest text, then most letters).
        text_idx.iter().copied().filter(|i| !used.contains(i) && name_shape(&ls[*i].text) < 2.0).max_by(|&a, &b| {
            (ls[a].h * (count_letters(&ls[a].text) as f32).sqrt())
                .total_cmp(&(ls[b].h * (count_letters(&ls[b].text) as f32).sqrt()))
        })
    });
    if let Some(i) = comp_i {
        used.insert(i);
        // A company name set over two lines ("Schleich GmbH" / "& Co. KG", "Durand" / "Jourdan SARL").
        // (or three: each added line may be continued once more)
        let mut parts = vec![i];
        let mut last = i;
        while parts.len() < 3 {
            let Some(j) = company_continuation(&ls, last, &text_idx, &used, &dept, hints, &domains) else { break };
            used.insert(j);
            parts.push(j);
            last = j;
        }
        parts.sort_by(|&a, &b| ls[a].y.total_cmp(&ls[b].y));
        let text = parts.iter().map(|&k| ls[k].text.as_str()).collect::<Vec<_>>().join(" ");
        let blocks: Vec<usize> = parts.iter().map(|&k| ls[k].idx).collect();
        let mut c = fix_case_confusions(&fix_text_confusions(&text));
        // "& Co.KG" read without the space.
        static CO_GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(Co\.)(\p{Lu})").unwrap());
        static AND_CO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*&\s*C[o0]\.\s*(\p{Lu})").unwrap());
        c = AND_CO.replace_all(&c, " & Co. $1").to_string();
        c = CO_GLUED.replace_all(&c, "$1 $2").to_string();
        // A logo in capitals that spells the web domain ("CONTOSO" / contoso.com) is the brand name.
        let letters: String = c.chars().filter(|ch| ch.is_alphabetic()).collect();
        if !c.contains(' ')
            && letters.chars().count() >= 5
            && letters.chars().all(|ch| ch.is_uppercase())
            && domains.iter().any(|d| d.eq_ignore_ascii_case(&letters))
        {
            let lower = c.to_lowercase();
            let mut it = lower.chars();
            c = it.next().map(|f| f.to_uppercase().chain(it).collect()).unwrap_or_default();
        }
        // A known company read with an OCR slip ("Lévèque" for "Lévêque") takes the saved spelling.
        let folded = letters_only(&text);
        if let Some(k) = hints.known_companies.iter().find(|k| folded.len() >= 4 && letters_only(k) == folded) {
            c = k.trim().to_string();
        }
        card.company = field(c, blocks);
    }
    card
}

/// "x@firma.deBrown Rapid": the recogniser joined the next line's words to an address; cut at a
/// capital letter that follows a dot and two lower-case letters in the domain.
fn cut_email_tail(s: &str) -> &str {
    let Some(at) = s.find('@') else { return s };
    let mut after_dot = 0usize;
    let mut seen_dot = false;
    for (i, c) in s[at..].char_indices() {
        if c == '.' {
            seen_dot = true;
            after_dot = 0;
        } else if seen_dot && c.is_ascii_lowercase() {
            after_dot += 1;
        } else if seen_dot && after_dot >= 2 && c.is_uppercase() {
            return &s[..at + i];
        } else if c.is_whitespace() {
            return s;
        }
    }
    s
}

/// "Emaggie@x.com", "Elanna@x.com": a one-letter label (E, M) read glued to the address. It is
/// dropped when the rest, and not the whole, starts like a word printed elsewhere on the card.
fn drop_glued_label(addr: &str, raw: &str, ls: &[L]) -> String {
    let raw = latinize(raw.trim());
    let mut rc = raw.chars();
    let (Some(c0), Some(c1)) = (rc.next(), rc.next()) else { return addr.to_string() };
    if !matches!(c0, 'E' | 'M') || !(c1.is_ascii_lowercase() || matches!(c1, '|' | 'I')) {
        return addr.to_string();
    }
    let Some((user, _)) = addr.split_once('@') else { return addr.to_string() };
    let parts: Vec<&str> = user.split(['.', '_', '-']).collect();
    let word_lines: Vec<Vec<String>> = ls
        .iter()
        .filter(|l| !matches!(l.kind, Kind::Email | Kind::Web))
        .map(|l| l.text.split_whitespace().map(letters_only).filter(|w| w.len() >= 2).collect())
        .collect();
    let matches = |first: &str| -> bool {
        if first.is_empty() {
            return false;
        }
        word_lines.iter().any(|ws| {
            ws.iter().any(|w| {
                if first.len() == 1 {
                    // An initial: the surname must be on the same line.
                    w.starts_with(first)
                        && parts.get(1).is_some_and(|p| {
                            p.len() >= 3 && ws.iter().any(|x| x.starts_with(p) || p.starts_with(x.as_str()))
                        })
                } else {
                    first.len() >= 3 && (w.starts_with(first) || (w.len() >= 3 && first.starts_with(w.as_str())))
                }
            })
        })
    };
    let first = parts[0];
    if matches(first) {
        return addr.to_string();
    }
    for k in [1usize, 2] {
        if k == 2 && !matches!(first.chars().nth(1), Some('l' | 'i')) {
            continue;
        }
        if let Some(rest) = first.get(k..) {
            if matches(rest) {
                return addr[k..].to_string();
            }
        }
    }
    addr.to_string()
}

/// "Н ина Юд ин" → "Нина Юдин": a line of 3–8 words, some of one or two letters, regrouped into
/// two or three words when that agrees clearly better with an e-mail user name.
fn join_fragments(text: &str, users: &[Vec<String>]) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if users.is_empty()
        || !(3..=8).contains(&words.len())
        || !words.iter().any(|w| count_letters(w) <= 2)
        || count_digits(text) > 0
        || text.contains('@')
    {
        return None;
    }
    let base = email_agreement(text, users);
    let n = words.len();
    let mut best: Option<(f32, String)> = None;
    // Cut points: one (two words) or two (three words).
    let mut cuts: Vec<Vec<usize>> = (1..n).map(|a| vec![a]).collect();
    for a in 1..n {
        for b in a + 1..n {
            cuts.push(vec![a, b]);
        }
    }
    for c in cuts {
        let mut parts = Vec::new();
        let mut start = 0;
        for &end in c.iter().chain(std::iter::once(&n)) {
            parts.push(words[start..end].concat());
            start = end;
        }
        let cand = parts.join(" ");
        let score = email_agreement(&cand, users);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, cand));
        }
    }
    best.filter(|(s, _)| *s >= 1.5 && *s > base + 0.5).map(|(_, c)| c)
}

/// Whether `b` is the next line after `a` in the same column and type size (within `gap` line heights).
fn adjacent(a: &L, b: &L, gap: f32) -> bool {
    let (h0, h1) = (a.h.min(b.h), a.h.max(b.h));
    overlaps(a, b) && h1 <= 1.3 * h0 && (b.y - a.y).abs() < gap * h1
}

/// Countries an address may end with.
const COUNTRY_NAMES: &[&str] = &[
    "usa",
    "u.s.a.",
    "united states",
    "united states of america",
    "uk",
    "u.k.",
    "united kingdom",
    "great britain",
    "england",
    "scotland",
    "wales",
    "germany",
    "deutschland",
    "france",
    "россия",
    "russia",
    "российская федерация",
    "spain",
    "españa",
    "italy",
    "italia",
    "austria",
    "österreich",
    "switzerland",
    "schweiz",
    "suisse",
    "belgium",
    "belgique",
    "netherlands",
    "nederland",
    "ireland",
    "canada",
];

/// Text lines next to an address line that continue it: a street, a town, a country. Stops at
/// lines that read as a title, a company, the person's name or a larger type size.
fn grow_address(ls: &mut [L], hints: &ParseHints, users: &[Vec<String>], domains: &[String], keep: &[usize]) {
    let mut added = 0;
    // `shape`: also the look of an address part (words starting with a capital or a digit).
    let fits = |l: &L, shape: bool| {
        let t = l.text.trim();
        let lower = t.to_lowercase();
        let words = t.split_whitespace().count();
        if COUNTRY_NAMES.contains(&lower.trim_end_matches('.')) {
            return true;
        }
        // A flat or studio number opens a British address ("Studio 23Z", "Flat 06R").
        static UNIT: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?i)^(flat|studio|suite|unit|apt\.?|apartment)\s?\d+[a-z]?$").unwrap());
        if UNIT.is_match(t) {
            return true;
        }
        let basic = count_letters(t) >= 2
            && words <= 7
            && !t.contains('@')
            && !t.split_whitespace().any(|w| w.ends_with(':'))
            && title_score(t, hints) == 0.0
            && company_score(t, hints, domains) == 0.0
            // (an initial alone — "Flat25C" with f.humphreys@ — is no name)
            && email_agreement(t, users) < 1.0
            && !has_word(t, DEPARTMENT_WORDS);
        basic
            && (!shape || {
                // Town or street words start with a capital or a digit ("Beth Roads", "Flat 71W", "rue …" after a number).
                t.split_whitespace().all(|w| {
                    let c = w.chars().next().unwrap_or(' ');
                    // ("lainville": a capital I read as l)
                    c.is_uppercase()
                        || c.is_ascii_digit()
                        || !c.is_alphabetic()
                        || (c == 'l' && w.len() > 3)
                        || NAME_PARTICLES.contains(&w.to_lowercase().as_str())
                        || has_word(w, ADDRESS_WORDS)
                })
            })
    };
    loop {
        let mut grew = false;
        for i in 0..ls.len() {
            if ls[i].kind != Kind::Text || keep.contains(&i) || !fits(&ls[i], false) {
                continue;
            }
            // The nearest line above and below it in its column.
            let above = (0..i).rev().find(|&j| overlaps(&ls[i], &ls[j]));
            let below = (i + 1..ls.len()).find(|&j| overlaps(&ls[i], &ls[j]));
            // Street words or a country allow a larger difference in box height (Tesseract's boxes
            // hug the letters: "Россия" is boxed smaller than "г. Анапа, 473123").
            let loose = has_word(&ls[i].text, ADDRESS_WORDS)
                || COUNTRY_NAMES.contains(&ls[i].text.trim().to_lowercase().trim_end_matches('.'));
            let joins = |j: Option<usize>| {
                j.is_some_and(|j| {
                    ls[j].kind == Kind::Address
                        && (adjacent(&ls[i], &ls[j], 1.6)
                            || (loose
                                && overlaps(&ls[i], &ls[j])
                                && ls[i].h.max(ls[j].h) <= 1.8 * ls[i].h.min(ls[j].h)
                                && (ls[i].y - ls[j].y).abs() < 1.6 * ls[i].h.max(ls[j].h)))
                })
            };
            // Between two address lines only the basic checks count ("lainville" read for "Iainville").
            if (joins(above) || joins(below)) && (fits(&ls[i], true) || (joins(above) && joins(below))) {
                ls[i].kind = Kind::Address;
                grew = true;
                added += 1;
            }
            if added >= 4 {
                return;
            }
        }
        if !grew {
            return;
        }
    }
}

/// The other half of a company name printed over two lines: the unused text line right above or
/// below it in the same type size, when the two read as one name — joined, they agree better with
/// the web domain, or one half is only a legal form or ends / starts with a connector
/// ("Moore, Daniels" / "and Wheeler", "Dowerg" / "GmbH").
fn company_continuation(
    ls: &[L],
    i: usize,
    text_idx: &[usize],
    used: &HashSet<usize>,
    dept: &[usize],
    hints: &ParseHints,
    domains: &[String],
) -> Option<usize> {
    const CONNECTORS: &[&str] = &["and", "und", "et", "&", "и", "+"];
    let only_legal = |t: &str| {
        // "&C0.KG" is "& Co. KG"
        let t = t.replace('&', " & ").replace('.', ". ").replace("c0", "co").replace("C0", "Co");
        let ws = words_lower(&t);
        !ws.is_empty()
            && ws.len() <= 4
            && ws.iter().all(|w| {
                let w = w.trim_matches(|c: char| c == '.' || c == ',');
                CONNECTORS.contains(&w)
                    || COMPANY_WORDS.contains(&w)
                    || COMPANY_WORDS.contains(&format!("{w}.").as_str())
                    || ["co", "cie", "&co"].contains(&w)
            })
    };
    let single = company_score(&ls[i].text, hints, domains);
    let mut best: Option<(usize, f32)> = None;
    for &j in text_idx {
        if j == i || used.contains(&j) || dept.contains(&j) || !adjacent(&ls[i], &ls[j], 1.7) {
            continue;
        }
        // No other line between them in the column.
        let (a, b) = if ls[j].y < ls[i].y { (j, i) } else { (i, j) };
        if text_idx
            .iter()
            .any(|&k| k != a && k != b && ls[k].y > ls[a].y && ls[k].y < ls[b].y && overlaps(&ls[a], &ls[k]))
        {
            continue;
        }
        let (upper, lower) = (&ls[a].text, &ls[b].text);
        let joined = format!("{upper} {lower}");
        let upper_last = words_lower(upper).last().cloned().unwrap_or_default();
        let lower_first = words_lower(lower).first().cloned().unwrap_or_default();
        let open = |t: &str, o: char, c: char| t.matches(o).count() > t.matches(c).count();
        let connector = upper.trim_end().ends_with([',', '&', '-'])
            || open(upper, '«', '»')
            || open(upper, '(', ')')
            || upper.matches('"').count() % 2 == 1
            || CONNECTORS.contains(&upper_last.as_str())
            || CONNECTORS.contains(&lower_first.as_str());
        let legal = only_legal(&ls[j].text) || only_legal(&ls[i].text);
        let gain = company_score(&joined, hints, domains) - single.max(company_score(&ls[j].text, hints, domains));
        let title = title_score(&ls[j].text, hints) > 0.0;
        let score = if (connector || legal) && !title { 2.0 } else { 0.0 } + if gain >= 0.4 { gain } else { 0.0 };
        if score > 0.0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((j, score));
        }
    }
    best.map(|(j, _)| j)
}

/// "Т8" | "(812) 514-38-50": a label (and trunk digit) boxed apart from the number right of it on
/// the same row is put back in front of it.
fn join_row_fragments(mut ls: Vec<L>) -> Vec<L> {
    let mut i = 0;
    while i < ls.len() {
        let a = &ls[i];
        let short = a.text.chars().count() <= 4 && a.text.chars().any(|c| c.is_alphanumeric());
        let j = short
            .then(|| {
                (0..ls.len()).find(|&j| {
                    let b = &ls[j];
                    j != i
                        && (b.y - a.y).abs() < 0.6 * a.h.max(b.h)
                        && b.x0 >= a.x1 - 0.5 * a.h
                        && b.x0 - a.x1 < 3.0 * a.h.max(b.h)
                        && b.text.starts_with(|c: char| c.is_ascii_digit() || c == '(' || c == '+')
                        && count_digits(&b.text) >= 6
                })
            })
            .flatten();
        if let Some(j) = j {
            let (text, x0) = (format!("{} {}", ls[i].text, ls[j].text), ls[i].x0);
            ls[j].text = text;
            ls[j].x0 = x0;
            ls.remove(i);
        } else {
            i += 1;
        }
    }
    ls
}

/// A detector box can span two columns ("Sales manager      jo@x.com"): split off free text that
/// precedes an e-mail or web address (keeping labels such as "E-mail:" with the address).
fn split_mixed_lines(ls: Vec<L>) -> Vec<L> {
    let mut out = Vec::with_capacity(ls.len());
    for l in ls {
        let words: Vec<&str> = l.text.split_whitespace().collect();
        let pos = words.iter().position(|w| {
            w.contains('@') || w.to_lowercase().starts_with("www.") || w.to_lowercase().starts_with("http")
        });
        // "h.williams @x.com": the word before a detached "@…" is the address's user name.
        let pos = pos.map(|p| if p >= 1 && words[p].starts_with('@') { p - 1 } else { p });
        // "Sebastiano Schuchhardt Mobi: +49 15 …": a name and a labelled number in one box.
        let phone_at = words.iter().enumerate().skip(2).position(|(k, w)| {
            w.ends_with(':')
                && label_kind(w).is_some()
                && words.get(k + 1).is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '('))
                && words[..k].iter().all(|h| count_digits(h) == 0)
        });
        if let (None, Some(k)) = (pos, phone_at.map(|k| k + 2)) {
            let head_text = words[..k].join(" ");
            if count_letters(&head_text) >= 3 {
                let frac = head_text.chars().count() as f32 / l.text.chars().count().max(1) as f32;
                let split_x = l.x0 + (l.x1 - l.x0) * frac;
                let tail_text = words[k..].join(" ");
                out.push(L { text: head_text, x1: split_x, ..l.clone() });
                out.push(L { text: tail_text, x0: split_x, ..l });
                continue;
            }
        }
        match pos {
            Some(p) if p >= 1 => {
                let mut head: Vec<&str> = words[..p].to_vec();
                // Trailing label words stay with the address.
                while let Some(w) = head.last() {
                    let lw = w.to_lowercase();
                    let lw = lw.trim_end_matches([':', '.']);
                    if [
                        "e-mail",
                        "email",
                        "mail",
                        "e",
                        "web",
                        "www",
                        "url",
                        "site",
                        "internet",
                        "сайт",
                        "почта",
                        "courriel",
                        "correo",
                    ]
                    .contains(&lw)
                    {
                        head.pop();
                    } else {
                        break;
                    }
                }
                if head.iter().map(|w| count_letters(w)).sum::<usize>() >= 3 {
                    let head_text = head.join(" ");
                    let frac = head_text.chars().count() as f32 / l.text.chars().count().max(1) as f32;
                    let split_x = l.x0 + (l.x1 - l.x0) * frac;
                    let tail_text = words[head.len()..].join(" ");
                    out.push(L { text: head_text, x1: split_x, ..l.clone() });
                    out.push(L { text: tail_text, x0: split_x, ..l });
                    continue;
                }
                out.push(l);
            }
            _ => out.push(l),
        }
    }
    out
}

/// Printed addresses have a space after commas and between postcode and town; the town is capitalised.
fn normalize_address(s: &str) -> String {
    static COMMA: LazyLock<Regex> = LazyLock::new(|| Regex::new(r",(\S)").unwrap());
    static PC_TOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{5})(\p{Lu})").unwrap());
    static STATE_ZIP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z]{2})(\d{5})\b").unwrap());
    static PC_LOWER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{5}) (\p{Ll})").unwrap());
    let t = COMMA.replace_all(s, ", $1");
    let t = PC_TOWN.replace_all(&t, "$1 $2");
    let t = STATE_ZIP.replace_all(&t, "$1 $2");
    let t = PC_LOWER.replace_all(&t, |c: &regex::Captures| format!("{} {}", &c[1], c[2].to_uppercase()));
    static ABBR_DIGIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\p{L}{2,}\.)(\d)").unwrap());
    static SLASH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d)\s*/\s+(\d)").unwrap());
    // Russian abbreviations: "Д. 4" → "д. 4" (дом), "т. Город" → "г. Город" (г/т look alike).
    static RU_HOUSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(^|, )Д\. (\d)").unwrap());
    static RU_TOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(^|, )[тГ]\. (\p{Lu})").unwrap());
    let t = ABBR_DIGIT.replace_all(&t, "$1 $2");
    let t = SLASH.replace_all(&t, "$1/$2");
    let t = RU_HOUSE.replace_all(&t, "${1}д. $2");
    let t = RU_TOWN.replace_all(&t, "${1}г. $2");
    let t = RE_ORDINAL_GLUE.replace_all(&t, "$1 $2").to_string();
    // A British postcode's inward code starts with a digit: "W8 OWD" → "W8 0WD".
    static UK_O: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s?O([A-Z]{2})\b").unwrap());
    let t = UK_O.replace_all(&t, "$1 0$2").to_string();
    // A British postcode read without its space: "KW403BG" → "KW40 3BG".
    static UK_GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})\b").unwrap());
    let t = UK_GLUED.replace_all(&t, "$1 $2").to_string();
    let t = fix_eszett(&t);
    // "Flat25C", "Suite12" read without the space.
    static UNIT_GLUED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(Flat|Studio|Suite|Unit|Apt\.?|Apartment)(\d)").unwrap());
    let t = UNIT_GLUED.replace_all(&t, "$1 $2").to_string();
    // "Saint jeannine": the town after Saint/Sainte is capitalised.
    static SAINT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(Saint|Sainte|St\.) (\p{Ll})").unwrap());
    let t = SAINT.replace_all(&t, |c: &regex::Captures| format!("{} {}", &c[1], c[2].to_uppercase())).to_string();
    RE_US_NO_COMMA.replace(&t, "$1, $2, $3").to_string()
}

/// "JungferstraBe", "Nikolas-HeB-Platz": a capital B between a lower-case vowel and a lower-case
/// e, a hyphen or the word's end is the recogniser's reading of ß.
fn fix_eszett(s: &str) -> String {
    let cs: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in cs.iter().enumerate() {
        let prev = if i > 0 { cs[i - 1] } else { ' ' };
        let next = cs.get(i + 1).copied().unwrap_or(' ');
        if c == 'B' && "aeiouäöü".contains(prev) && (next == 'e' || next == '-' || next == ' ' || next == ',') {
            out.push('ß');
        } else {
            out.push(c);
        }
    }
    out
}

/// Upper/lower-case look-alikes (c o p s u v w x y z) inside a lower-case word: "CopY" → "Copy".
fn fix_case_confusions(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let cs: Vec<char> = w.chars().collect();
            if cs.len() >= 3 && cs[0].is_uppercase() && cs[1..cs.len() - 1].iter().all(|c| c.is_lowercase()) {
                let last = cs[cs.len() - 1];
                if "COPSUVWXYZ".contains(last) {
                    let mut t: String = cs[..cs.len() - 1].iter().collect();
                    t.extend(last.to_lowercase());
                    return t;
                }
            }
            w.to_string()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn overlaps(a: &L, b: &L) -> bool {
    let ov = a.x1.min(b.x1) - a.x0.max(b.x0);
    ov > 0.0 || (a.x0 - b.x0).abs() < a.h.max(b.h)
}

fn strip_label(text: &str, labels: &[&str]) -> String {
    let lower = text.to_lowercase();
    for l in labels {
        if lower.starts_with(l) {
            let rest = &text[l.len().min(text.len())..];
            if let Some(r) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('.')).or(Some(rest)) {
                if rest.len() < text.len() && (rest.starts_with(':') || rest.starts_with(' ') || rest.starts_with('.'))
                {
                    return r.trim().to_string();
                }
            }
        }
    }
    text.to_string()
}

fn domain_of(url: &str) -> String {
    let u = url.trim().to_lowercase();
    let u = u.trim_start_matches("https://").trim_start_matches("http://").trim_start_matches("www.");
    u.split('/').next().unwrap_or("").to_string()
}

fn is_address(text: &str) -> bool {
    if has_word(text, ADDRESS_LABELS) {
        return true;
    }
    let digits = count_digits(text);
    let letters = count_letters(text);
    if letters < 3 {
        return false;
    }
    let street = has_word(text, ADDRESS_WORDS)
        || words_lower(text).iter().any(|w| {
            ["straße", "strasse", "strabe", "str.", "weg", "allee", "platz", "gasse", "ring", "damm"]
                .iter()
                .any(|s| w.ends_with(s) && w.len() > s.len() + 2)
        });
    // A British postcode alone on its line ("M35 6UR", "HS262YZ").
    if RE_UK_POSTCODE.find(text.trim()).is_some_and(|m| m.len() == text.trim().len()) {
        return true;
    }
    let postcode = RE_UK_POSTCODE.is_match(text)
        || RE_US_STATE_ZIP.is_match(text)
        || RE_POSTCODE5.is_match(text)
        || RE_POSTCODE6.is_match(text);
    (digits > 0 && street) || (postcode && (text.contains(',') || street || letters >= 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    fn line(text: &str, y: f32, h: f32) -> Line {
        let w = 20.0 * text.chars().count() as f32;
        Line {
            text: text.into(),
            confidence: 0.99,
            quad: [
                Point { x: 50.0, y },
                Point { x: 50.0 + w, y },
                Point { x: 50.0 + w, y: y + h },
                Point { x: 50.0, y: y + h },
            ],
        }
    }

    fn card(texts: &[(&str, f32)]) -> Vec<Line> {
        let mut y = 10.0;
        texts
            .iter()
            .map(|(t, h)| {
                let l = line(t, y, *h);
                y += h * 1.4;
                l
            })
            .collect()
    }

    fn v(f: &Option<ParsedField>) -> &str {
        f.as_ref().map(|f| f.value.as_str()).unwrap_or("")
    }

    #[test]
    fn english_card() {
        let lines = card(&[
            ("Bradshaw, Mcdonald and Alvarado", 36.0),
            ("Bianca Lee", 52.0),
            ("Engineer, site", 30.0),
            ("Mobile: (917) 857-0839", 26.0),
            ("Tel: (212) 555-0142", 26.0),
            ("bianca.lee@bradshawmcdona.ru", 26.0),
            ("www.bradshawmcdona.ru", 26.0),
            ("3571 Lee Corners Suite 853, Hartmanbury, SC 53440", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.full_name), "Bianca Lee");
        assert_eq!(v(&c.first_name), "Bianca");
        assert_eq!(v(&c.last_name), "Lee");
        assert_eq!(v(&c.position), "Engineer, site");
        assert_eq!(v(&c.company), "Bradshaw, Mcdonald and Alvarado");
        assert_eq!(v(&c.website), "www.bradshawmcdona.ru");
        assert_eq!(v(&c.address), "3571 Lee Corners Suite 853, Hartmanbury, SC 53440");
        assert_eq!(c.emails[0].value, "bianca.lee@bradshawmcdona.ru");
        assert_eq!(c.phones.len(), 2);
        assert_eq!(c.phones[0].kind, "mobile");
        assert_eq!(c.phones[0].e164.as_deref(), Some("+19178570839"));
        assert_eq!(c.phones[1].kind, "work");
        assert_eq!(c.full_name.as_ref().unwrap().blocks, vec![1]);
    }

    #[test]
    fn german_labels_and_national_numbers() {
        let lines = card(&[
            ("Silke Gutknecht", 52.0),
            ("Elektroniker", 30.0),
            ("Mobil: 0151 1424974", 26.0),
            ("Tel.: 030 28287270", 26.0),
            ("Fax 030 28287271", 26.0),
            ("silke.gutknecht@klemtagcokg.de", 26.0),
            ("Klemt AG & Co. KG", 36.0),
            ("Leszek-Seip-Ring 8445, 50936 Parchim", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.full_name), "Silke Gutknecht");
        assert_eq!(v(&c.position), "Elektroniker");
        assert_eq!(v(&c.company), "Klemt AG & Co. KG");
        assert_eq!(v(&c.address), "Leszek-Seip-Ring 8445, 50936 Parchim");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+491511424974"), ("work", "+493028287270"), ("fax", "+493028287271")]);
    }

    #[test]
    fn french_and_spanish_labels() {
        let lines = card(&[
            ("Julien Moreau", 52.0),
            ("Directeur commercial", 30.0),
            ("Portable : 06 12 34 56 78", 26.0),
            ("Tél. 01 42 68 53 00", 26.0),
            ("Móvil: +34 612 345 678", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+33612345678"), ("work", "+33142685300"), ("mobile", "+34612345678")]);
        assert_eq!(v(&c.position), "Directeur commercial");
    }

    #[test]
    fn russian_card() {
        let lines = card(&[
            ("Монетка", 36.0),
            ("Василий Игнатьев", 52.0),
            ("Микробиолог", 30.0),
            ("Моб.: 8 (916) 434-78-19", 26.0),
            ("Тел.: +7 (495) 123-45-67", 26.0),
            ("Факс: 8 (495) 765-43-21", 26.0),
            ("vasilii.ignatev@ignatev.ru", 26.0),
            ("www.ignatev.ru", 26.0),
            ("клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints { default_region: "US".into(), ..Default::default() });
        assert_eq!(v(&c.first_name), "Василий");
        assert_eq!(v(&c.last_name), "Игнатьев");
        assert_eq!(v(&c.position), "Микробиолог");
        assert_eq!(v(&c.company), "Монетка");
        assert_eq!(v(&c.address), "клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+79164347819"), ("work", "+74951234567"), ("fax", "+74957654321")]);
    }

    #[test]
    fn ocr_confusions_in_email_and_url() {
        let lines = card(&[
            ("Emma Stone", 52.0),
            ("Sales Manager", 30.0),
            ("E-mail: emma.stone@c0ntoso,com", 26.0),
            ("www.c0nt0so.com", 26.0),
            ("Te1: +1 (2O2) 555-Ol42", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "emma.stone@contoso.com");
        assert_eq!(v(&c.website), "www.contoso.com");
        assert_eq!(c.phones[0].e164.as_deref(), Some("+12025550142"));
        // rn/m: domain agrees with the website
        let lines = card(&[("Jo Ann", 40.0), ("jo@systernatic.com", 20.0), ("https://www.systematic.coml", 20.0)]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "jo@systematic.com");
        assert_eq!(v(&c.website), "https://www.systematic.com/");
    }

    #[test]
    fn contoso_like_multiline_address_and_prefix() {
        let lines = card(&[
            ("avery.smith@contoso.com", 26.0),
            ("https://www.contoso.com/", 26.0),
            ("mob: +44 (0) 7911 123456", 26.0),
            ("Dr. Avery Smith", 52.0),
            ("tel: +44(0)20 98765432", 26.0),
            ("fax: +44 (0)2067892345", 26.0),
            ("Senior Researcher", 30.0),
            ("Cloud & Al Department", 30.0),
            ("Contoso", 60.0),
            ("2 Kingdom Street", 26.0),
            ("Paddington, London, W2 6BD", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.prefix), "Dr.");
        assert_eq!(v(&c.full_name), "Avery Smith");
        assert_eq!(v(&c.position), "Senior Researcher");
        assert_eq!(v(&c.department), "Cloud & AI Department");
        assert_eq!(v(&c.company), "Contoso");
        assert_eq!(v(&c.address), "2 Kingdom Street, Paddington, London, W2 6BD");
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+447911123456"), ("work", "+442098765432"), ("fax", "+442067892345")]);
    }

    #[test]
    fn two_numbers_on_one_line_and_cell_label() {
        let lines = card(&[("Chris Smith", 50.0), ("Cell: +1 (987) 123-4567  Fax: +1 (987) 312-6745", 26.0)]);
        let c = parse_card(&lines, &ParseHints::default());
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+19871234567"), ("fax", "+19873126745")]);
    }

    #[test]
    fn hints_known_company_and_title_words() {
        let lines = card(&[("Nora Quist", 50.0), ("Zymurgist", 30.0), ("Quist Brewing", 30.0)]);
        let plain = parse_card(&lines, &ParseHints::default());
        let hints = ParseHints {
            known_companies: vec!["Quist Brewing".into()],
            title_words: vec!["zymurgist".into()],
            ..Default::default()
        };
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.company), "Quist Brewing");
        assert_eq!(v(&c.position), "Zymurgist");
        // Without hints the layout rule still finds the position right under the name.
        assert_eq!(v(&plain.position), "Zymurgist");
    }

    #[test]
    fn national_number_follows_other_numbers_country() {
        let lines = card(&[
            ("Carmela Fliegner", 52.0),
            ("Florist", 30.0),
            ("Mobil: 015 149 20624", 26.0),
            ("Fax: 030 265 97278", 26.0),
            ("Tel.: +49 30 280 11095", 26.0),
            ("carmela.fliegner@lweragcokgaa.co.uk", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        let k: Vec<(&str, &str)> = c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap())).collect();
        assert_eq!(k, vec![("mobile", "+491514920624"), ("fax", "+493026597278"), ("work", "+493028011095")]);
    }

    #[test]
    fn latin_twins_in_cyrillic_lines() {
        assert_eq!(fix_mixed_script("AO «Никифорова-Горбачева»"), "АО «Никифорова-Горбачева»");
        assert_eq!(fix_mixed_script("e-mail: ivan@mail.ru Иван"), "e-mail: ivan@mail.ru Иван");
        assert_eq!(fix_mixed_script("OOO Acme"), "OOO Acme");
    }

    #[test]
    fn capital_i_for_l_in_names() {
        assert_eq!(fix_name_confusions("Kathleen WaIker"), "Kathleen Walker");
        assert_eq!(fix_name_confusions("Max MaxwelI"), "Max Maxwell");
        assert_eq!(fix_name_confusions("Ian McIntyre"), "Ian McIntyre");
        assert_eq!(fix_name_confusions("Iris MacIver"), "Iris MacIver");
    }

    #[test]
    fn us_address_without_comma() {
        let lines = card(&[("Chris Smith", 50.0), ("4001 1stAve NE Redmond, WA 98052", 26.0)]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.address), "4001 1st Ave NE, Redmond, WA 98052");
    }

    // --- conventions of real cards (issue 22) ----------------------------------------------------

    fn phones(c: &ParsedCard) -> Vec<(&str, &str)> {
        c.phones.iter().map(|p| (p.kind.as_str(), p.e164.as_deref().unwrap_or(""))).collect()
    }

    #[test]
    fn one_letter_labels_before_values() {
        let lines = card(&[
            ("Elisa Turner", 52.0),
            ("Account Manager", 30.0),
            ("T +49 30 1234567", 26.0),
            ("M +49 151 23456789", 26.0),
            ("F: +49 30 1234568", 26.0),
            ("E elisa.turner@turner-bau.de", 26.0),
            ("W www.turner-bau.de", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "elisa.turner@turner-bau.de");
        assert_eq!(v(&c.website), "www.turner-bau.de");
        assert_eq!(phones(&c), vec![("work", "+49301234567"), ("mobile", "+4915123456789"), ("fax", "+49301234568")]);
        // With a bar, a colon, or glued to the value by the recogniser.
        for (e, w) in [("E | elisa.turner@x.com", "W | www.x.com"), ("E: elisa.turner@x.com", "W: x.com")] {
            let c = parse_card(&card(&[("Elisa Turner", 52.0), (e, 26.0), (w, 26.0)]), &ParseHints::default());
            assert_eq!(c.emails[0].value, "elisa.turner@x.com");
            assert!(
                v(&c.website).ends_with("x.com")
                    && !v(&c.website).starts_with("ww.")
                    && !v(&c.website).starts_with('|')
            );
            assert!(v(&c.website) == "www.x.com" || v(&c.website) == "x.com", "{}", v(&c.website));
        }
        let c = parse_card(
            &card(&[("Maggie Robert", 52.0), ("Emaggie@francoissa.com", 26.0), ("Wwww.francoissa.com", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(c.emails[0].value, "maggie@francoissa.com");
        assert_eq!(v(&c.website), "www.francoissa.com");
        // An address that really starts with e/m keeps it.
        let c = parse_card(&card(&[("Emma Stone", 52.0), ("Emma.stone@x.com", 26.0)]), &ParseHints::default());
        assert_eq!(c.emails[0].value, "emma.stone@x.com");
        let c = parse_card(
            &card(&[("Jo Blake", 52.0), ("e.smith@x.com", 26.0), ("www.x.com", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(c.emails[0].value, "e.smith@x.com");
        assert_eq!(v(&c.website), "www.x.com");
    }

    #[test]
    fn word_labels_in_several_languages() {
        let lines = card(&[
            ("Julie Martin", 52.0),
            ("Tél. 01 42 68 53 00", 26.0),
            ("Portable : 06 12 34 56 78", 26.0),
            ("Courriel : julie.martin@exemple.fr", 26.0),
            ("Site web : www.exemple.fr", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "julie.martin@exemple.fr");
        assert_eq!(v(&c.website), "www.exemple.fr");
        assert_eq!(phones(&c), vec![("work", "+33142685300"), ("mobile", "+33612345678")]);
        let lines = card(&[
            ("Иван Петров", 52.0),
            ("Тел. 8 (495) 123-45-67", 26.0),
            ("Моб. 8 (916) 434-78-19", 26.0),
            ("Телефон: +7 495 751-76-11", 26.0),
            ("Мобильный: +7 903 214-21-37", 26.0),
            ("Эл. почта: ivan.petrov@petrov.ru", 26.0),
            ("Сайт: petrov.ru", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.emails[0].value, "ivan.petrov@petrov.ru");
        assert_eq!(v(&c.website), "petrov.ru");
        assert_eq!(
            phones(&c),
            vec![
                ("work", "+74951234567"),
                ("mobile", "+79164347819"),
                ("work", "+74957517611"),
                ("mobile", "+79032142137")
            ]
        );
        let c = parse_card(&card(&[("Uwe Kranz", 52.0), ("Handy 0151 23456789", 26.0)]), &ParseHints::default());
        assert_eq!(phones(&c), vec![("mobile", "+4915123456789")]);
    }

    #[test]
    fn labels_after_values() {
        let lines = card(&[
            ("Leo Krebs", 52.0),
            ("030 28287270 Büro", 26.0),
            ("0151 23456789 (mobil)", 26.0),
            ("030 28287271 Fax", 26.0),
            ("Leszek-Seip-Ring 8, 50936 Parchim", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(phones(&c), vec![("work", "+493028287270"), ("mobile", "+4915123456789"), ("fax", "+493028287271")]);
        assert_eq!(v(&c.address), "Leszek-Seip-Ring 8, 50936 Parchim");
        let c = parse_card(
            &card(&[("Ann Lee", 52.0), ("07700 382069 (mobile)", 26.0), ("+44 20 7946 0018 office", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(phones(&c), vec![("mobile", "+447700382069"), ("work", "+442079460018")]);
        assert_eq!(v(&c.address), "");
        let c = parse_card(
            &card(&[("Ann Lee", 52.0), ("+44 7700 382069 (M)", 26.0), ("+44 20 7946 0018 (F)", 26.0)]),
            &ParseHints::default(),
        );
        assert_eq!(phones(&c), vec![("mobile", "+447700382069"), ("fax", "+442079460018")]);
    }

    #[test]
    fn names_in_capitals_and_surname_first() {
        let hints = ParseHints::default();
        let name = |t: &str, email: &str| {
            let c = parse_card(&card(&[(t, 52.0), ("Florist", 30.0), (email, 26.0)]), &hints);
            (v(&c.first_name).to_string(), v(&c.last_name).to_string(), v(&c.full_name).to_string())
        };
        let want = |f: &str, l: &str| (f.to_string(), l.to_string(), format!("{f} {l}"));
        assert_eq!(name("ELISA TURNER", "info@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("TURNER Elisa", "info@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("Turner, Elisa", "info@x.com"), want("Elisa", "Turner"));
        // elisa.turner@ does not decide it (turner.elisa@ is a habit too); an initial does.
        assert_eq!(name("Turner Elisa", "elisa.turner@x.com"), want("Turner", "Elisa"));
        assert_eq!(name("Turner Elisa", "e.turner@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("Elisa Turner", "turner.elisa@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("Elisa TURNER", "info@x.com"), want("Elisa", "Turner"));
        assert_eq!(name("OSBORNE Ross", "info@x.com"), want("Ross", "Osborne"));
        assert_eq!(name("ROSS OSBoRNE", "info@x.com"), want("Ross", "Osborne"));
        assert_eq!(name("ELISA M. TURNER", "info@x.com"), ("Elisa".into(), "Turner".into(), "Elisa M. Turner".into()));
        assert_eq!(name("McDonald Ross", "info@x.com"), want("McDonald", "Ross"));
        assert_eq!(name("O'CONNOR Seán", "info@x.com"), want("Seán", "O'Connor"));
        assert_eq!(name("GREIN GROTH Tino", "info@x.com"), want("Tino", "Grein Groth"));
        assert_eq!(name("РОГОВ Соломон", "solomon.rogov@rogov.ru"), want("Соломон", "Рогов"));
        assert_eq!(name("Klaus-D.Beckmann", "info@x.com"), want("Klaus-D.", "Beckmann"));
        let c = parse_card(&card(&[("DR. MAGGIE ROBERT", 52.0)]), &hints);
        assert_eq!((v(&c.prefix), v(&c.full_name)), ("Dr.", "Maggie Robert"));
        let c = parse_card(&card(&[("Pr MAGGIE ROBERT", 52.0)]), &hints);
        assert_eq!((v(&c.prefix), v(&c.full_name)), ("Pr", "Maggie Robert"));
    }

    #[test]
    fn company_over_two_lines() {
        let hints = ParseHints::default();
        let company = |a: &str, b: &str, email: &str| {
            let lines = card(&[("Uschi Losekann", 52.0), ("Pilot", 30.0), (a, 36.0), (b, 36.0), (email, 26.0)]);
            v(&parse_card(&lines, &hints).company).to_string()
        };
        assert_eq!(company("Kreusel GmbH", "& Co. KG", "u@kreusel.de"), "Kreusel GmbH & Co. KG");
        assert_eq!(company("Kreusel GmbH", "&C0.KG", "u@kreusel.de"), "Kreusel GmbH & Co. KG");
        assert_eq!(company("Moore, Daniels", "and Wheeler", "u@x.com"), "Moore, Daniels and Wheeler");
        assert_eq!(company("Durand", "Jourdan SARL", "u@durandjourdan.fr"), "Durand Jourdan SARL");
        assert_eq!(company("Schönland", "Wagner GbR", "u@schoenlandwagner.com"), "Schönland Wagner GbR");
        // The title under a one-line company stays the title.
        let lines = card(&[("Acme GmbH", 36.0), ("Uschi Losekann", 52.0), ("Pilot", 30.0)]);
        let c = parse_card(&lines, &hints);
        assert_eq!((v(&c.company), v(&c.position)), ("Acme GmbH", "Pilot"));
    }

    #[test]
    fn address_over_several_lines() {
        let hints = ParseHints::default();
        let lines = card(&[
            ("Nicholson, Douglas and Scott", 36.0),
            ("Cheryl Roberts", 52.0),
            ("Air cabin crew", 30.0),
            ("cheryl@nicholson.de", 26.0),
            ("Flat 71W", 26.0),
            ("Beth Roads", 26.0),
            ("Lewiston", 26.0),
            ("L5H 8YW", 26.0),
            ("United Kingdom", 26.0),
        ]);
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.address), "Flat 71W, Beth Roads, Lewiston, L5H 8YW, United Kingdom");
        assert_eq!(v(&c.position), "Air cabin crew");
        assert_eq!(v(&c.company), "Nicholson, Douglas and Scott");
        // The title right under the name is not the address's first line.
        let lines = card(&[
            ("Selim Karge", 52.0),
            ("Altenpfleger", 28.0),
            ("Rupert-Koch-Ring 928", 26.0),
            ("89457 Potsdam", 26.0),
            ("Deutschland", 26.0),
        ]);
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.address), "Rupert-Koch-Ring 928, 89457 Potsdam, Deutschland");
        assert_eq!(v(&c.position), "Altenpfleger");
        let lines = card(&[
            ("Monique Lemaire", 52.0),
            ("M 07 84 15 30 31", 26.0),
            ("42, avenue Nathalie Labbé", 26.0),
            ("78201Morel", 26.0),
        ]);
        let c = parse_card(&lines, &hints);
        assert_eq!(v(&c.address), "42, avenue Nathalie Labbé, 78201 Morel");
        assert_eq!(phones(&c), vec![("mobile", "+33784153031")]);
        let c = parse_card(
            &card(&[("Kim Ode", 52.0), ("Doreen-Gehringer-StraBe 57", 26.0), ("50348Bad Brückenau", 26.0)]),
            &hints,
        );
        assert_eq!(v(&c.address), "Doreen-Gehringer-Straße 57, 50348 Bad Brückenau");
    }

    #[test]
    fn phone_region_from_the_card_never_from_the_domain() {
        let us = ParseHints::default();
        // From the address: a German number on a card with a .co.uk site.
        let lines = card(&[
            ("Leo Krebs", 52.0),
            ("Tel 030 28287270", 26.0),
            ("leo@krebs.co.uk", 26.0),
            ("www.krebs.co.uk", 26.0),
            ("Budigstraße 4, 30216 Döbeln", 26.0),
        ]);
        assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+493028287270")]);
        // From the printed +: the other number's country code.
        let lines = card(&[
            ("Leo Krebs", 52.0),
            ("T +49 30 28287270", 26.0),
            ("M 0151 23456789", 26.0),
            ("www.krebs.co.uk", 26.0),
        ]);
        assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+493028287270"), ("mobile", "+4915123456789")]);
        // From the default region when the card says nothing (and a .co.uk site is no clue).
        let de = ParseHints { default_region: "DE".into(), ..Default::default() };
        let lines = card(&[("Leo Krebs", 52.0), ("Tel 030 2828 7270", 26.0), ("www.krebs.co.uk", 26.0)]);
        assert_eq!(phones(&parse_card(&lines, &de)), vec![("work", "+493028287270")]);
        let gb = ParseHints { default_region: "GB".into(), ..Default::default() };
        let lines = card(&[("Ann Lee", 52.0), ("Tel 020 7946 0018", 26.0), ("www.lee.de", 26.0)]);
        assert_eq!(phones(&parse_card(&lines, &gb)), vec![("work", "+442079460018")]);
        // From the language of the labels and the legal form.
        let lines = card(&[
            ("Dowerg GmbH", 36.0),
            ("Uwe Kranz", 52.0),
            ("Telefon 0221 2345678", 26.0),
            ("www.dowerg.co.uk", 26.0),
        ]);
        assert_eq!(phones(&parse_card(&lines, &us)), vec![("work", "+492212345678")]);
    }

    #[test]
    fn russian_card_in_other_conventions() {
        let lines = card(&[
            ("РОГОВ Соломон", 52.0),
            ("Политолог", 30.0),
            ("Овчинников", 36.0),
            ("Групп", 36.0),
            ("Т +7 (812) 236-34-12", 26.0),
            ("М 8 (903) 628-63-17", 26.0),
            ("Ф +7 (812) 236-34-13", 26.0),
            ("Эл. почта: solomon.rogov@rogov.de", 26.0),
            ("Сайт: www.rogov.de", 26.0),
            ("пр. Социалистический, д. 95", 26.0),
            ("ст. Магнитогорск, 254814", 26.0),
            ("Россия", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!((v(&c.first_name), v(&c.last_name), v(&c.full_name)), ("Соломон", "Рогов", "Соломон Рогов"));
        assert_eq!(v(&c.position), "Политолог");
        assert_eq!(v(&c.company), "Овчинников Групп");
        assert_eq!(c.emails[0].value, "solomon.rogov@rogov.de");
        assert_eq!(v(&c.website), "www.rogov.de");
        assert_eq!(v(&c.address), "пр. Социалистический, д. 95, ст. Магнитогорск, 254814, Россия");
        assert_eq!(phones(&c), vec![("work", "+78122363412"), ("mobile", "+79036286317"), ("fax", "+78122363413")]);
        let lines = card(&[
            ("Соломон Рогов", 52.0),
            ("8 (812) 236-34-12 раб.", 26.0),
            ("8 (903) 628-63-17 (моб.)", 26.0),
            ("+7 812 236-34-13 факс", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(phones(&c), vec![("work", "+78122363412"), ("mobile", "+79036286317"), ("fax", "+78122363413")]);
    }

    #[test]
    fn split_name_fragments_and_latin_abbreviations_in_russian_lines() {
        let lines = card(&[
            ("H ина Юд ин", 46.0),
            ("Гитарист", 27.0),
            ("nina.udin@udin.ru", 26.0),
            ("к. Кинешма, ann. Дружбы, д. 582 к. 508, 710947", 26.0),
            ("Г. Лотошино, наб. Щорса, д. 9, 223623", 26.0),
        ]);
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!((v(&c.first_name), v(&c.last_name)), ("Нина", "Юдин"));
        assert_eq!(
            v(&c.address),
            "к. Кинешма, алл. Дружбы, д. 582 к. 508, 710947, г. Лотошино, наб. Щорса, д. 9, 223623"
        );
        // Latin lines keep their words.
        let c = parse_card(&card(&[("Ann Lee", 46.0), ("ann@lee.com", 26.0)]), &ParseHints::default());
        assert_eq!(v(&c.full_name), "Ann Lee");
    }

    #[test]
    fn russian_tesseract_slips() {
        // A label and trunk digit boxed apart from the number; a company name over two lines
        // inside «»; a country line boxed smaller; ш. read as m.
        let mut lines = card(&[
            ("РАО «Субботина", 36.0),
            ("Петухов»", 36.0),
            ("Прокофий Туров", 52.0),
            ("prokofii.turov@turov.net", 26.0),
            ("m. Февральское, д. 581 к. 99", 26.0),
            ("п. Углегорск, 271305", 26.0),
            ("Россия", 17.0),
        ]);
        let row_y = 400.0;
        lines.push(line("Т8", row_y, 20.0));
        let mut num = line("(812) 815-05-78", row_y, 20.0);
        for p in num.quad.iter_mut() {
            p.x += 60.0;
        }
        lines.push(num);
        lines.push(line("+7 903 214-21-37", row_y + 30.0, 20.0));
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(v(&c.company), "РАО «Субботина Петухов»");
        assert_eq!(v(&c.address), "ш. Февральское, д. 581 к. 99, п. Углегорск, 271305, Россия");
        assert!(phones(&c).contains(&("work", "+78128150578")), "{:?}", phones(&c));
    }
}
