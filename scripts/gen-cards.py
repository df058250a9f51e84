#!/usr/bin/env python3
"""Render synthetic business-card images with known ground truth.

Each card is drawn from Faker data (name, title, company, phones, email,
website, address) in one of several locales and layouts, then degraded the
way a phone photo is (rotation, noise, blur, tinted background, JPEG).

    pip install pillow faker        # fonts: apt-get install fonts-dejavu-core fonts-urw-base35
    python3 scripts/gen-cards.py --out DIR --count 40 --seed 7 [--locales en_US,de_DE,ru_RU] [--hard]

Writes DIR/card-NNN.jpg and DIR/card-NNN.json, plus DIR/index.json.
The JSON holds the truth a card reader should return:
  full_name, first_name, last_name, position, company, emails[], phones[{kind, text, e164}],
  website, address, locale.
Phones are written in the locale's national style; e164 is the canonical form.
"""
import argparse, glob, json, os, random, re

from faker import Faker
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_GLOBS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
]
BOLD_GLOBS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
]
# Country calling codes and a national format for each locale's phones.
PHONE_STYLE = {
    "en_US": ("1", lambda d: f"({d[0:3]}) {d[3:6]}-{d[6:10]}", 10),
    "en_GB": ("44", lambda d: f"0{d[0:2]} {d[2:6]} {d[6:10]}", 10),
    "de_DE": ("49", lambda d: f"0{d[0:2]} {d[2:5]} {d[5:10]}", 10),
    "fr_FR": ("33", lambda d: "0" + " ".join([d[0]] + [d[i:i + 2] for i in range(1, 9, 2)]), 9),
    "ru_RU": ("7", lambda d: f"8 ({d[0:3]}) {d[3:6]}-{d[6:8]}-{d[8:10]}", 10),
}
LEAD = {"en_US": "212", "en_GB": "20", "de_DE": "30", "fr_FR": "1", "ru_RU": "495"}
MOBILE_LEAD = {"en_US": "917", "en_GB": "7911", "de_DE": "151", "fr_FR": "6", "ru_RU": "916"}
LABELS = {
    "en_US": {"mobile": "Mobile", "work": "Tel", "fax": "Fax"},
    "en_GB": {"mobile": "Mob", "work": "Tel", "fax": "Fax"},
    "de_DE": {"mobile": "Mobil", "work": "Tel.", "fax": "Fax"},
    "fr_FR": {"mobile": "Portable", "work": "Tél.", "fax": "Fax"},
    "ru_RU": {"mobile": "Моб.", "work": "Тел.", "fax": "Факс"},
}


def fonts(paths):
    found = [p for g in paths for p in glob.glob(g)]
    if not found:
        raise SystemExit("no fonts found: apt-get install fonts-dejavu-core fonts-urw-base35")
    return found


def translit(s):
    table = str.maketrans("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "abvgdeezziiklmnoprstufhccss_y_eua")
    return re.sub(r"[^a-z]", "", s.lower().translate(table))


def phone(rng, loc, kind):
    cc, fmt, n = PHONE_STYLE[loc]
    lead = MOBILE_LEAD[loc] if kind == "mobile" else LEAD[loc]
    digits = lead + "".join(rng.choice("0123456789") for _ in range(n - len(lead)))
    if rng.random() < 0.5:
        text = fmt(digits)
    else:  # international style
        text = f"+{cc} " + fmt(digits).lstrip("0").replace("8 (", "(", 1)
    return {"kind": kind, "text": text, "e164": f"+{cc}{digits}"}


def person(rng, fk, loc):
    first, last = fk.first_name(), fk.last_name()
    company = fk.company()
    domain_base = translit(last) if loc == "ru_RU" else re.sub(r"[^a-z]", "", company.lower())[:14]
    domain = (domain_base or "example") + rng.choice([".com", ".de", ".co.uk", ".fr", ".ru", ".io"])
    local = (translit(first) + "." + translit(last)) if loc == "ru_RU" else \
        re.sub(r"[^a-z.]", "", (first + "." + last).lower())
    kinds = ["mobile"] + rng.sample(["work", "fax"], rng.randint(0, 2))
    return {
        "locale": loc,
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "position": fk.job()[:40],
        "company": company,
        "emails": [f"{local}@{domain}"],
        "phones": [phone(rng, loc, k) for k in kinds],
        "website": f"www.{domain}",
        "address": fit(fk.address().replace("\n", ", "), 56),
    }


def fit(text, limit):
    """Shorten at a comma or space so the printed line and the ground truth are the same text."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(", ", 0, limit), text.rfind(" ", 0, limit))
    return text[:cut].rstrip(" ,") if cut > 0 else text[:limit]


def draw_card(rng, p, hard):
    w, h = 1050, 600  # 3.5 x 2 in at 300 dpi
    bg = tuple(rng.randint(225, 255) for _ in range(3))
    card = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(card)
    regular, bold = rng.choice(fonts(FONT_GLOBS)), rng.choice(fonts(BOLD_GLOBS))
    ink = tuple(rng.randint(0, 70) for _ in range(3))
    accent = tuple(rng.randint(0, 160) for _ in range(3))
    lab = LABELS[p["locale"]]
    contact = [f"{lab[ph['kind']]}: {ph['text']}" for ph in p["phones"]] + p["emails"] + [p["website"]]
    layout = rng.choice(["left", "center", "split"])
    f_name = ImageFont.truetype(bold, rng.randint(46, 58))
    f_title = ImageFont.truetype(regular, rng.randint(28, 34))
    f_small = ImageFont.truetype(regular, rng.randint(24, 28))
    f_company = ImageFont.truetype(bold, rng.randint(32, 40))

    def put(x, y, text, font, fill, anchor="la"):
        d.text((x, y), text, font=font, fill=fill, anchor=anchor)
        return y + font.size * 1.35

    if layout == "center":
        y = 60
        y = put(w / 2, y, p["company"], f_company, accent, "ma") + 20
        y = put(w / 2, y, p["full_name"], f_name, ink, "ma")
        y = put(w / 2, y, p["position"], f_title, ink, "ma") + 15
        for line in contact:
            y = put(w / 2, y, line, f_small, ink, "ma")
        put(w / 2, h - 50, p["address"], f_small, ink, "ma")
    elif layout == "split":
        y = 70
        y = put(60, y, p["full_name"], f_name, ink)
        y = put(60, y, p["position"], f_title, ink) + 40
        put(60, h - 110, p["company"], f_company, accent)
        put(60, h - 60, p["address"], f_small, ink)
        y = 80
        for line in contact:
            y = put(w - 60, y, line, f_small, ink, "ra")
    else:
        y = 50
        y = put(60, y, p["company"], f_company, accent) + 25
        y = put(60, y, p["full_name"], f_name, ink)
        y = put(60, y, p["position"], f_title, ink) + 20
        for line in contact + [p["address"]]:
            y = put(60, y, line, f_small, ink)

    # Photo of the card on a table: margin, tint, rotation, noise, blur.
    table = tuple(rng.randint(90, 200) for _ in range(3))
    m = 80 if hard else 40
    photo = Image.new("RGB", (w + 2 * m, h + 2 * m), table)
    photo.paste(card, (m, m))
    angle = rng.uniform(-7, 7) if hard else rng.uniform(-2, 2)
    photo = photo.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=table)
    if hard:
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
        noise = Image.effect_noise(photo.size, rng.uniform(8, 22)).convert("RGB")
        photo = Image.blend(photo, noise, 0.12)
    return photo


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--locales", default="en_US,en_GB,de_DE,fr_FR,ru_RU")
    ap.add_argument("--hard", action="store_true", help="stronger rotation, blur and noise")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    Faker.seed(a.seed)
    locales = a.locales.split(",")
    fakers = {loc: Faker(loc) for loc in locales}
    os.makedirs(a.out, exist_ok=True)
    index = []
    for i in range(a.count):
        loc = locales[i % len(locales)]
        p = person(rng, fakers[loc], loc)
        img = draw_card(rng, p, a.hard)
        name = f"card-{i:03d}"
        img.save(os.path.join(a.out, name + ".jpg"), quality=rng.randint(70, 92))
        with open(os.path.join(a.out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(p, f, ensure_ascii=False, indent=1)
        index.append({"image": name + ".jpg", "truth": name + ".json", "locale": loc})
    with open(os.path.join(a.out, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False, indent=1)
    print(f"{a.count} cards in {a.out}")


if __name__ == "__main__":
    main()
