//! `cardcrm demo`: fills an empty instance with plausible data for trying cardcrm out, demos and
//! screenshots — a few hundred contacts from five countries (some without a phone or an e-mail,
//! as real address books have), tags, groups, a handful of people entered twice (pending duplicate
//! pairs to review) and, given a folder of card photos, card scans waiting to be read.
//!
//! The contacts go through the ordinary import job (`service::transfer::imports`), so they get history,
//! duplicate keys, search words and an undo like any import. Deterministic for a given seed.

use interchange::{Address, ContactRecord, Email, JsonlWriter, Kind, Phone, Website};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

struct Country {
    code: &'static str,
    first: &'static [&'static str],
    last: &'static [&'static str],
    cities: &'static [(&'static str, &'static str)],
    streets: &'static [&'static str],
    positions: &'static [&'static str],
}

const COUNTRIES: [Country; 5] = [
    Country {
        code: "US",
        first: &[
            "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Daniel", "Emily", "Kevin",
            "Ashley", "Brian", "Megan", "Jason", "Laura",
        ],
        last: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
            "Thomas", "Moore", "Martin", "Jackson", "Harris", "Clark",
        ],
        cities: &[
            ("Seattle, WA", "98101"),
            ("Austin, TX", "73301"),
            ("Boston, MA", "02108"),
            ("Denver, CO", "80202"),
            ("Chicago, IL", "60601"),
        ],
        streets: &["Main Street", "Oak Avenue", "Pine Street", "Maple Drive", "Cedar Lane", "Lake Shore Drive"],
        positions: &[
            "Account Executive",
            "VP of Sales",
            "Product Manager",
            "Software Engineer",
            "Head of Marketing",
            "Procurement Lead",
            "CTO",
        ],
    },
    Country {
        code: "GB",
        first: &[
            "Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Thomas",
            "Grace", "William", "Chloe",
        ],
        last: &[
            "Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Edwards", "Green", "Hall", "Wood",
            "Turner", "Hill", "Cooper",
        ],
        cities: &[
            ("London", "EC1A 1BB"),
            ("Manchester", "M1 1AE"),
            ("Bristol", "BS1 4DJ"),
            ("Leeds", "LS1 4AP"),
            ("Edinburgh", "EH1 1YZ"),
        ],
        streets: &["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Road", "King Street"],
        positions: &[
            "Managing Director",
            "Sales Manager",
            "Operations Director",
            "Business Development Manager",
            "Finance Director",
            "Consultant",
        ],
    },
    Country {
        code: "DE",
        first: &[
            "Lukas",
            "Anna",
            "Felix",
            "Lena",
            "Jonas",
            "Marie",
            "Paul",
            "Laura",
            "Maximilian",
            "Sophie",
            "Tobias",
            "Julia",
            "Niklas",
            "Katharina",
        ],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Koch",
            "Richter",
            "Klein",
            "Wolf",
        ],
        cities: &[
            ("Berlin", "10115"),
            ("München", "80331"),
            ("Hamburg", "20095"),
            ("Köln", "50667"),
            ("Frankfurt am Main", "60311"),
        ],
        streets: &["Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Lindenallee", "Goethestraße"],
        positions: &[
            "Geschäftsführer",
            "Vertriebsleiterin",
            "Einkaufsleiter",
            "Projektmanagerin",
            "Key Account Manager",
            "Leiter IT",
        ],
    },
    Country {
        code: "FR",
        first: &[
            "Louis", "Camille", "Gabriel", "Léa", "Arthur", "Manon", "Hugo", "Chloé", "Jules", "Inès", "Lucas",
            "Juliette", "Nathan", "Clara",
        ],
        last: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefèvre", "Michel",
        ],
        cities: &[
            ("Paris", "75002"),
            ("Lyon", "69002"),
            ("Marseille", "13001"),
            ("Toulouse", "31000"),
            ("Bordeaux", "33000"),
        ],
        streets: &[
            "rue de la République",
            "avenue Victor Hugo",
            "rue du Commerce",
            "boulevard Voltaire",
            "rue Nationale",
        ],
        positions: &[
            "Directeur commercial",
            "Responsable achats",
            "Chef de projet",
            "Directrice marketing",
            "Ingénieur commercial",
        ],
    },
    Country {
        code: "RU",
        first: &[
            "Александр",
            "Мария",
            "Дмитрий",
            "Анна",
            "Сергей",
            "Елена",
            "Андрей",
            "Ольга",
            "Алексей",
            "Наталья",
            "Иван",
            "Татьяна",
        ],
        last: &[
            "Иванов",
            "Смирнов",
            "Кузнецов",
            "Попов",
            "Васильев",
            "Петров",
            "Соколов",
            "Михайлов",
            "Новиков",
            "Фёдоров",
            "Морозов",
            "Волков",
        ],
        cities: &[
            ("Москва", "101000"),
            ("Санкт-Петербург", "190000"),
            ("Новосибирск", "630099"),
            ("Екатеринбург", "620014"),
            ("Казань", "420111"),
        ],
        streets: &["ул. Ленина", "Невский пр.", "ул. Гагарина", "ул. Пушкина", "пр. Мира", "ул. Садовая"],
        positions: &[
            "Генеральный директор",
            "Менеджер по продажам",
            "Руководитель отдела закупок",
            "Главный инженер",
            "Коммерческий директор",
        ],
    },
];

/// Companies: name, web domain, the country they are in.
const COMPANIES: [(&str, &str, &str); 24] = [
    ("Northwind Traders", "northwind.example", "US"),
    ("Contoso Ltd", "contoso.example", "US"),
    ("Fabrikam Inc", "fabrikam.example", "US"),
    ("Tailspin Toys", "tailspintoys.example", "US"),
    ("Adventure Works", "adventure-works.example", "US"),
    ("Litware Systems", "litware.example", "US"),
    ("Blue Yonder Airlines", "blueyonder.example", "GB"),
    ("Woodgrove Bank", "woodgrovebank.example", "GB"),
    ("Margie's Travel", "margiestravel.example", "GB"),
    ("Proseware", "proseware.example", "GB"),
    ("Lamna Healthcare", "lamna.example", "GB"),
    ("Alpenglühen GmbH", "alpengluehen.example", "DE"),
    ("Rheinwerk Logistik AG", "rheinwerk-logistik.example", "DE"),
    ("Nordlicht Software GmbH", "nordlicht-software.example", "DE"),
    ("Baumann & Söhne KG", "baumann-soehne.example", "DE"),
    ("Atelier Lumière", "atelier-lumiere.example", "FR"),
    ("Groupe Vauban", "groupe-vauban.example", "FR"),
    ("Provence Conseil", "provence-conseil.example", "FR"),
    ("Seine Data SAS", "seinedata.example", "FR"),
    ("ООО «Северный ветер»", "severveter.example", "RU"),
    ("АО «Технопарк»", "technopark.example", "RU"),
    ("ООО «Волга-Логистик»", "volga-logistic.example", "RU"),
    ("ИП Кузнецов", "", "RU"),
    ("ООО «Байкал Софт»", "baikalsoft.example", "RU"),
];

const TAGS: [&str; 6] = ["customer", "lead", "partner", "supplier", "press", "investor"];
const GROUPS: [&str; 4] = ["Web Summit 2026", "Hannover Messe", "Key accounts", "Moscow office"];
const NOTES: [&str; 6] = [
    "Met at the booth; wants a demo in Q1.",
    "Prefers e-mail. Follow up after the budget review.",
    "Introduced by a partner. Decision maker for procurement.",
    "Asked for the price list in EUR.",
    "Card handed over at the conference dinner.",
    "",
];

/// The user part of a made-up e-mail address: cardcrm's one transliteration table (the
/// `translit` crate) with German umlauts spelt out, as addresses write them.
fn translit(s: &str) -> String {
    let spelt = s.to_lowercase().replace('ä', "ae").replace('ö', "oe").replace('ü', "ue");
    translit::to_ascii_lower(&spelt).chars().filter(char::is_ascii_alphanumeric).collect()
}

fn phone(rng: &mut StdRng, c: &Country) -> String {
    let digits =
        |rng: &mut StdRng, n: usize| (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10))).collect::<String>();
    match c.code {
        "US" => format!(
            "+1 {}{} {} {}",
            rng.gen_range(2..10),
            digits(rng, 2),
            format!("{}{}", rng.gen_range(2..10), digits(rng, 2)),
            digits(rng, 4)
        ),
        "GB" => format!("+44 7{} {}", digits(rng, 3), digits(rng, 6)),
        "DE" => {
            format!("+49 {} {}", ["30", "89", "40", "221", "69", "151", "170"][rng.gen_range(0..7)], digits(rng, 7))
        }
        "FR" => format!(
            "+33 {} {} {} {} {}",
            rng.gen_range(1..8),
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 2)
        ),
        _ => format!(
            "+7 {} {}-{}-{}",
            ["495", "812", "916", "903", "383"][rng.gen_range(0..5)],
            digits(rng, 3),
            digits(rng, 2),
            digits(rng, 2)
        ),
    }
}

/// One person as an address book would hold them.
fn person(rng: &mut StdRng, i: usize) -> ContactRecord {
    let c = &COUNTRIES[[0, 0, 1, 1, 2, 2, 3, 4, 4][rng.gen_range(0..9)]];
    let mut first = c.first.choose(rng).copied().unwrap_or("Alex").to_string();
    let mut last = c.last.choose(rng).copied().unwrap_or("Smith").to_string();
    if c.code == "RU" && ["а", "я"].iter().any(|e| first.ends_with(e)) {
        // Russian surnames agree with the first name's gender.
        last.push('а');
    }
    if c.code == "RU" {
        first = first.trim().to_string();
    }
    let local: Vec<&(&str, &str, &str)> = COMPANIES.iter().filter(|co| co.2 == c.code).collect();
    let company = local.choose(rng).copied().copied().unwrap_or(COMPANIES[0]);
    let (city, postcode) = c.cities.choose(rng).copied().unwrap_or(("", ""));
    let street = c.streets.choose(rng).copied().unwrap_or("");
    let number = rng.gen_range(1..180);
    let street_line = match c.code {
        "US" | "GB" | "FR" => format!("{number} {street}"),
        "RU" => format!("{street}, д. {number}"),
        _ => format!("{street} {number}"),
    };
    let mut r = ContactRecord {
        first_name: first.clone(),
        last_name: last.clone(),
        full_name: format!("{first} {last}"),
        position: c.positions.choose(rng).copied().unwrap_or("").to_string(),
        notes: NOTES.choose(rng).copied().unwrap_or("").to_string(),
        index: i as u64,
        ..Default::default()
    };
    // Real address books: about one in eight people has no company, one in ten no phone, one in
    // seven no e-mail.
    let freelance = rng.gen_bool(0.12);
    if !freelance {
        r.company = company.0.to_string();
    }
    let domain = if freelance || company.1.is_empty() {
        ["gmail.example", "outlook.example", "mail.example", "yandex.example"][rng.gen_range(0..4)].to_string()
    } else {
        company.1.to_string()
    };
    if !rng.gen_bool(0.14) {
        let user = format!("{}.{}", translit(&first), translit(&last));
        r.emails.push(Email { kind: Kind::Work, address: format!("{user}@{domain}"), label: String::new() });
    }
    if !rng.gen_bool(0.10) {
        r.phones.push(Phone { kind: Kind::Mobile, number: phone(rng, c), label: String::new() });
        if rng.gen_bool(0.3) {
            r.phones.push(Phone { kind: Kind::Work, number: phone(rng, c), label: String::new() });
        }
    }
    if !freelance && !company.1.is_empty() && rng.gen_bool(0.7) {
        r.websites.push(Website { kind: Kind::Work, url: format!("https://www.{}", company.1), label: String::new() });
    }
    if rng.gen_bool(0.8) {
        r.addresses.push(Address {
            kind: Kind::Work,
            street: street_line,
            city: city.to_string(),
            postal_code: postcode.to_string(),
            country: c.code.to_string(),
            ..Default::default()
        });
    }
    let n_tags = rng.gen_range(0..3);
    for t in TAGS.choose_multiple(rng, n_tags) {
        r.tags.push(t.to_string());
    }
    if rng.gen_bool(0.35) {
        let g = match c.code {
            "RU" if rng.gen_bool(0.6) => GROUPS[3],
            "DE" if rng.gen_bool(0.6) => GROUPS[1],
            _ => GROUPS[rng.gen_range(0..3)],
        };
        r.groups.push(g.to_string());
    }
    r
}

/// The same person entered again by someone else: a nickname or a typo, the number written
/// nationally, an e-mail left out.
fn entered_again(rng: &mut StdRng, r: &ContactRecord) -> ContactRecord {
    let mut d = r.clone();
    d.tags.clear();
    d.groups.clear();
    d.notes = "Entered again from a business card.".into();
    match rng.gen_range(0..3) {
        0 => {
            // A dropped letter in the surname.
            let mut chars: Vec<char> = d.last_name.chars().collect();
            if chars.len() > 4 {
                chars.remove(chars.len() / 2);
            }
            d.last_name = chars.into_iter().collect();
        }
        1 => d.emails.clear(),
        _ => d.position.clear(),
    }
    if let Some(p) = d.phones.first_mut() {
        p.number = p.number.replace(' ', "").replace('-', "");
    }
    d.full_name = format!("{} {}", d.first_name, d.last_name);
    d.addresses.clear();
    d
}

/// The demo's contacts as a cardcrm JSON-lines file: `people` people, about one in fourteen of them
/// entered twice.
pub fn contacts_jsonl(people: usize, seed: u64) -> Result<Vec<u8>, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut records: Vec<ContactRecord> = Vec::with_capacity(people + people / 10);
    for i in 0..people {
        let r = person(&mut rng, i);
        // A person is entered twice only when there is something to recognise them by besides the
        // name (the matcher needs a phone, an e-mail or a company to call it a duplicate).
        let twice = rng.gen_bool(0.07) && (!r.phones.is_empty() || !r.emails.is_empty());
        if twice {
            let again = entered_again(&mut rng, &r);
            records.push(r);
            records.push(again);
        } else {
            records.push(r);
        }
    }
    let mut w = JsonlWriter::new(Vec::new());
    for r in &records {
        w.write(r).map_err(|e| e.to_string())?;
    }
    w.finish().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_is_deterministic_varied_and_readable() {
        let a = contacts_jsonl(300, 7).unwrap();
        assert_eq!(a, contacts_jsonl(300, 7).unwrap(), "same seed, same file");
        assert_ne!(a, contacts_jsonl(300, 8).unwrap());
        let text = String::from_utf8(a).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(lines.len() > 300 && lines.len() < 360, "{}", lines.len());
        let has = |needle: &str| text.contains(needle);
        assert!(has("Москва") && has("München") && has("Paris") && has("London"), "five countries");
        let no_phone = lines.iter().filter(|l| l["phones"].as_array().is_none_or(|p| p.is_empty())).count();
        let no_email = lines.iter().filter(|l| l["emails"].as_array().is_none_or(|p| p.is_empty())).count();
        assert!(no_phone > 10 && no_email > 10, "{no_phone} without a phone, {no_email} without an e-mail");
        assert!(has("Entered again"), "some people twice");
        assert_eq!(translit("Фёдоров"), "fedorov");
        assert_eq!(translit("Müller"), "mueller");
    }
}
