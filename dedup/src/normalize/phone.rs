//! Phone numbers: digits as written, E.164 form, the last-seven-digits key.

/// Digits of a phone number as written, with an international `00` prefix dropped.
/// `+7 (916) 123-45-67` → `79161234567`; `8 916 123 45 67` → `89161234567`.
pub fn phone_digits(raw: &str) -> String {
    let core = strip_extension(raw).trim_start();
    let d: String = core.chars().filter_map(ascii_digit).collect();
    // "00 49 30 …" is the international prefix; "(003) 429-…" is not
    if core.starts_with("00") && d.len() > 9 {
        d[2..].to_string()
    } else {
        d
    }
}

fn ascii_digit(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        Some(c)
    } else if c.is_numeric() {
        // full-width / other script digits
        c.to_digit(10).and_then(|v| char::from_digit(v, 10))
    } else {
        None
    }
}

/// Cut "ext. 12", "x12", "доб. 12" off a phone string.
fn strip_extension(raw: &str) -> &str {
    if raw.bytes().all(|b| b.is_ascii_digit() || b" +-()./".contains(&b)) {
        return raw;
    }
    let lower = raw.to_lowercase();
    if lower.len() != raw.len() {
        return raw; // case mapping changed byte offsets: leave such strings alone
    }
    for pat in ["ext", "доб", "#", " x"] {
        if let Some(p) = lower.find(pat) {
            if p > 0 && raw.is_char_boundary(p) {
                return &raw[..p];
            }
        }
    }
    raw
}

/// E.164 form (`+79161234567`) of a phone written in national or international form.
/// `region` is the ISO 3166 code used for numbers written without a country code ("US", "RU", "DE").
/// Returns `None` when the string cannot be a phone number in that region.
pub fn phone_e164(raw: &str, region: &str) -> Option<String> {
    let core = strip_extension(raw).trim();
    let digits = phone_digits(core);
    if digits.len() < 5 || digits.len() > 17 {
        return None;
    }
    let international = core.starts_with('+') || (core.starts_with("00") && digits.len() > 9);
    if core.starts_with('+') {
        // Written internationally: E.164 is "+" and the digits, less a "(0)" trunk prefix some
        // people insert ("+49 (0)30 …"). No metadata needed, and this is the hot path.
        let d: std::borrow::Cow<str> = if core.contains("(0)") {
            phone_digits(&core.replacen("(0)", "", 1)).into()
        } else {
            digits.as_str().into()
        };
        return (8..=15).contains(&d.len()).then(|| format!("+{d}"));
    }
    let region_id: Option<phonenumber::country::Id> = region.trim().to_ascii_uppercase().parse().ok();
    // libphonenumber wants "+…" for numbers written with "00".
    let to_parse: std::borrow::Cow<str> =
        if !core.starts_with('+') && international { format!("+{digits}").into() } else { core.into() };
    match phonenumber::parse(if international { None } else { region_id }, to_parse.as_ref()) {
        Ok(pn) => {
            let national = pn.national().to_string();
            if national.len() < 4 {
                return None;
            }
            // A national number that does not fit the region (e.g. a Russian "8 (916) …" read as
            // US) parses to nonsense: require a plausible length for the result.
            let e = format!("+{}{}", pn.code().value(), national);
            // E.164 has at most 15 digits, and the international path above takes 8 to 15: a
            // result outside that range would not be read back as itself.
            if !(8..=15).contains(&(e.len() - 1)) {
                return None;
            }
            // (a length check against the region's metadata; the full `is_valid` pattern
            // check costs several regex searches per number and is not needed for matching)
            if !international && !plausible_national(&pn, region) {
                return None;
            }
            Some(e)
        }
        Err(_) if international && (8..=15).contains(&digits.len()) => Some(format!("+{digits}")),
        Err(_) => None,
    }
}

fn plausible_national(pn: &phonenumber::PhoneNumber, region: &str) -> bool {
    let Some(meta) = phonenumber::metadata::DATABASE.by_id(region.trim().to_ascii_uppercase().as_str()) else {
        return pn.is_valid();
    };
    if meta.country_code() != pn.code().value() {
        return false;
    }
    use phonenumber::Type as T;
    let len = pn.national().to_string().len() as u16;
    let d = meta.descriptors();
    d.general().possible_length().contains(&len)
        || [
            T::FixedLine,
            T::Mobile,
            T::TollFree,
            T::PremiumRate,
            T::SharedCost,
            T::PersonalNumber,
            T::Voip,
            T::Pager,
            T::Uan,
        ]
        .into_iter()
        .any(|t| d.get(t).is_some_and(|x| x.possible_length().contains(&len)))
}

/// Last seven digits of a phone (`"p7:"` key): survives national/international rewriting,
/// trunk prefixes and a wrong default region.
pub fn phone_last7(raw: &str) -> Option<String> {
    let d = phone_digits(raw);
    if d.len() < 7 {
        return None;
    }
    Some(d[d.len() - 7..].to_string())
}
