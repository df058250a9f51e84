#!/usr/bin/env python3
"""Render business cards in the conventions of real cards (not only the project's own layouts).

The project's fixture generator (scripts/gen-cards.py) draws three layouts with
"Label: value" lines. Real cards also use, and this generator draws:

* label styles: words with a colon ("Tel.: …"), one letter with a space ("T +49 …", "E jo@x.com",
  "W www.x.com"), one letter with a colon or a bar ("M: …", "F | …"), labels after the value
  ("0151 2345678 mobil", "… (fax)"), no labels on e-mail and web;
  localised labels (Tel., Mob., Fax, E-Mail, Courriel, Portable, Tél., Handy, Тел., Моб., Эл. почта, Сайт …);
* names as printed on cards: "First Last", "FIRST LAST", surname first ("TURNER Elisa", "Turner, Elisa"),
  with or without a prefix;
* companies over one or two lines, addresses over one, two or three lines (with or without a country);
* layouts: left, centred, right-aligned, two columns, logo band (company on a coloured band, inverted),
  logo block beside the name;
* fonts: every usable Debian TrueType/OpenType face found (DejaVu, Liberation, URW base35, FreeFont …);
* a photo of the card: perspective (taken at an angle), rotation, uneven light (gradient + vignette),
  sensor noise, blur, JPEG.

Languages: en_US, en_GB, de_DE, fr_FR, ru_RU (Faker data).

    pip install pillow faker
    python3 scripts/gen-cards-wild.py --out DIR --count 60 --seed 101 [--locales en_US,en_GB,de_DE,fr_FR]

Writes DIR/card-NNN.jpg and DIR/card-NNN.json (the truth, in the format of fixtures/cards/**:
first_name, last_name, full_name, position, company, emails[], phones[{kind,text,e164}], website,
address, locale) plus "set" (the evaluator's set name) and "style" (what conventions the card uses,
for reading the errors; the evaluator ignores it). Truth conventions: full_name is "First Last" in
natural case whatever the printed order or case; a two-line company is its lines joined by a space;
a multi-line address is its lines joined by ", ".
"""
import argparse, glob, json, math, os, random, re

from faker import Faker
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageChops

REGULAR_GLOBS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationSansNarrow-Regular.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
    "/usr/share/fonts/opentype/urw-base35/P052-Roman.otf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
]
BOLD_GLOBS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Demi.otf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
]

CC = {"en_US": "1", "en_GB": "44", "de_DE": "49", "fr_FR": "33", "ru_RU": "7"}
LEAD = {"en_US": ["212", "312", "415"], "en_GB": ["20", "161", "131"], "de_DE": ["30", "89", "40", "221"],
        "fr_FR": ["1", "4", "5"], "ru_RU": ["495", "812"]}
MOBILE_LEAD = {"en_US": ["917", "646"], "en_GB": ["7911", "7700"], "de_DE": ["151", "160", "172"],
               "fr_FR": ["6", "7"], "ru_RU": ["916", "903"]}
NSN_LEN = {"en_US": 10, "en_GB": 10, "de_DE": 11, "fr_FR": 9, "ru_RU": 10}

# Labels per locale and style. "word": printed before the value; "after": after the value.
WORD = {
    "en_US": {"work": ["Tel", "Phone", "Office", "Tel."], "mobile": ["Mobile", "Cell", "Mob."], "fax": ["Fax"],
              "email": ["Email", "E-mail"], "web": ["Web", "Website"]},
    "en_GB": {"work": ["Tel", "Tel.", "Phone", "Office"], "mobile": ["Mob", "Mobile", "Mob."], "fax": ["Fax"],
              "email": ["Email", "E-mail"], "web": ["Web", "Website"]},
    "de_DE": {"work": ["Tel.", "Telefon", "Fon"], "mobile": ["Mobil", "Handy", "Mob."], "fax": ["Fax", "Telefax"],
              "email": ["E-Mail", "Mail"], "web": ["Web", "Internet"]},
    "fr_FR": {"work": ["Tél.", "Tél", "Tel.", "Bureau"], "mobile": ["Portable", "Mob.", "Port."], "fax": ["Fax"],
              "email": ["Courriel", "E-mail", "Email"], "web": ["Site", "Web"]},
    "ru_RU": {"work": ["Тел.", "Тел", "Телефон"], "mobile": ["Моб.", "Моб", "Мобильный"], "fax": ["Факс"],
              "email": ["Эл. почта", "E-mail", "Email"], "web": ["Сайт", "Web"]},
}
LETTER = {"work": ["T", "P"], "mobile": ["M"], "fax": ["F"], "email": ["E"], "web": ["W"]}
LETTER_RU = {"work": ["Т", "T"], "mobile": ["М", "M"], "fax": ["Ф", "F"], "email": ["E"], "web": ["W"]}
AFTER = {
    "en_US": {"work": ["office", "(office)", "(work)"], "mobile": ["mobile", "(mobile)", "(cell)"], "fax": ["fax", "(fax)"]},
    "en_GB": {"work": ["office", "(office)", "(work)"], "mobile": ["mobile", "(mobile)"], "fax": ["fax", "(fax)"]},
    "de_DE": {"work": ["Büro", "(Tel.)", "Tel."], "mobile": ["mobil", "(mobil)", "Handy"], "fax": ["Fax", "(Fax)"]},
    "fr_FR": {"work": ["bureau", "(tél.)", "Tél."], "mobile": ["portable", "(portable)", "mob."], "fax": ["fax", "(fax)"]},
    "ru_RU": {"work": ["раб.", "(тел.)", "тел."], "mobile": ["моб.", "(моб.)"], "fax": ["факс", "(факс)"]},
}
COUNTRY = {"en_US": ["USA", "United States"], "en_GB": ["United Kingdom", "UK"], "de_DE": ["Germany", "Deutschland"],
           "fr_FR": ["France"], "ru_RU": ["Россия"]}
PREFIX = {"en_US": ["Dr.", "Dr."], "en_GB": ["Dr.", "Prof."], "de_DE": ["Dr.", "Prof. Dr."], "fr_FR": ["Dr", "Pr"],
          "ru_RU": []}
TLDS = [".com", ".de", ".co.uk", ".fr", ".ru", ".io", ".net", ".eu"]


def fonts(paths):
    found = sorted({p for g in paths for p in glob.glob(g)})
    if not found:
        raise SystemExit("no fonts found: apt-get install fonts-dejavu-core fonts-liberation fonts-urw-base35")
    return found


def translit(s):
    table = str.maketrans("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "abvgdeezziiklmnoprstufhccss_y_eua")
    s = s.lower().translate(table)
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("é", "e"), ("è", "e"), ("ê", "e"),
                 ("ë", "e"), ("à", "a"), ("â", "a"), ("ç", "c"), ("î", "i"), ("ï", "i"), ("ô", "o"), ("û", "u"),
                 ("ù", "u")):
        s = s.replace(a, b)
    return re.sub(r"[^a-z]", "", s)


def fit(text, limit):
    if len(text) <= limit:
        return text
    cut = max(text.rfind(", ", 0, limit), text.rfind(" ", 0, limit))
    return text[:cut].rstrip(" ,") if cut > 0 else text[:limit]


def phone(rng, loc, kind):
    """(printed text, e164) in one of the locale's common styles."""
    cc = CC[loc]
    lead = rng.choice(MOBILE_LEAD[loc] if kind == "mobile" else LEAD[loc])
    n = NSN_LEN[loc] - (1 if loc == "de_DE" and kind != "mobile" and len(lead) == 2 else 0)
    d = lead + "".join(rng.choice("0123456789") for _ in range(n - len(lead)))
    d = d[:len(lead)] + ("2" if d[len(lead):len(lead) + 1] in ("0", "1") else d[len(lead):len(lead) + 1]) + d[len(lead) + 1:]
    L, r = len(lead), d[len(lead):]
    intl = rng.random() < 0.5
    if loc == "en_US":
        a, b, c = d[0:3], d[3:6], d[6:10]
        text = rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"+1 ({a}) {b}-{c}"])
    elif loc == "en_GB":
        if kind == "mobile":
            nat = f"0{d[:4]} {d[4:]}"
        elif L == 2:
            nat = f"0{d[:2]} {d[2:6]} {d[6:]}"
        else:
            nat = f"0{d[:3]} {d[3:6]} {d[6:]}"
        text = rng.choice([f"+44 (0){nat[1:]}", "+44 " + nat[1:]]) if intl else nat
    elif loc == "de_DE":
        grp = rng.choice([f"{r}", f"{r[:3]} {r[3:]}", f"{r[:3]} {r[3:5]} {r[5:]}"])
        text = rng.choice([f"+49 {lead} {grp}", f"+49 (0){lead} {grp}"]) if intl else rng.choice(
            [f"0{lead} {grp}", f"0{lead}/{r}", f"0{lead} - {r}"])
    elif loc == "fr_FR":
        pairs = " ".join(d[i:i + 2] for i in range(1, 9, 2))
        text = rng.choice([f"+33 {d[0]} {pairs}", f"+33 (0){d[0]} {pairs}"]) if intl else rng.choice(
            [f"0{d[0]} {pairs}", f"0{d[0]}.{pairs.replace(' ', '.')}"])
    else:
        a, b, c, e = d[0:3], d[3:6], d[6:8], d[8:10]
        text = rng.choice([f"+7 ({a}) {b}-{c}-{e}", f"+7 {a} {b}-{c}-{e}"]) if intl else f"8 ({a}) {b}-{c}-{e}"
    return {"kind": kind, "text": text, "e164": f"+{cc}{d}"}


def split_two(text, rng):
    """Split a company name into two printed lines at a word boundary near the middle (or None)."""
    words = text.split()
    if len(words) < 2:
        return None
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(text) / 2))
    return " ".join(words[:best]), " ".join(words[best:])


def person(rng, fk, loc):
    first, last = fk.first_name(), fk.last_name()
    company = fk.company()
    if len(company) > 34:
        company = fit(company, 34)
    if loc == "ru_RU":
        domain_base = translit(last)
        local = translit(first) + "." + translit(last)
    else:
        domain_base = re.sub(r"[^a-z]", "", translit(company))[:14]
        local = rng.choice([f"{translit(first)}.{translit(last)}", f"{translit(first)[0]}.{translit(last)}",
                            f"{translit(first)}"])
    domain = (domain_base or "example") + rng.choice(TLDS)
    kinds = ["mobile"] + rng.sample(["work", "fax"], rng.randint(0, 2))
    if rng.random() < 0.3:
        kinds = ["work"] + [k for k in kinds if k != "work"]
    rng.shuffle(kinds)
    raw_addr = fk.address()
    addr_lines = [fit(x.strip(), 40) for x in raw_addr.split("\n") if x.strip()]
    if loc == "ru_RU":
        parts = [x.strip() for x in raw_addr.replace("\n", ", ").split(",") if x.strip()]
        # "клх Губкин, алл. Ульянова, д. 17 стр. 825, 920713" → street / town
        if len(parts) >= 3:
            addr_lines = [", ".join(parts[1:3]), ", ".join([parts[0]] + parts[3:])]
        else:
            addr_lines = [", ".join(parts)]
    job = fit(fk.job(), 38)
    return {
        "first": first, "last": last, "company": company, "job": job, "email": f"{local}@{domain}",
        "web": rng.choice(["www." + domain, "www." + domain, domain]), "kinds": kinds,
        "phones": [phone(rng, loc, k) for k in kinds], "addr_lines": addr_lines,
    }


def label_style(rng, loc):
    return rng.choice(["word", "word", "letter", "letter", "letter_colon", "letter_bar", "after", "none"])


def contact_lines(rng, p, loc, style):
    """Printed contact lines and the label conventions used."""
    lines = []
    letter = LETTER_RU if loc == "ru_RU" else LETTER
    sep = rng.choice([":", ""]) if style == "word" else ""
    for ph in p["phones"]:
        k = ph["kind"]
        t = ph["text"]
        if style == "word":
            lab = rng.choice(WORD[loc][k])
            lines.append(f"{lab}{sep} {t}" if sep or not lab.endswith(".") else f"{lab} {t}")
        elif style == "letter":
            lines.append(f"{rng.choice(letter[k])} {t}")
        elif style == "letter_colon":
            lines.append(f"{rng.choice(letter[k])}: {t}")
        elif style == "letter_bar":
            lines.append(f"{rng.choice(letter[k])} | {t}")
        else:  # after, none: label after the value
            lines.append(f"{t} {rng.choice(AFTER[loc][k])}")
    # e-mail and web
    for what, val in (("email", p["email"]), ("web", p["web"])):
        if style == "word":
            lab = rng.choice(WORD[loc][what])
            lines.append(f"{lab}{sep or ':'} {val}" if rng.random() < 0.8 else val)
        elif style == "letter":
            lines.append(f"{rng.choice(letter[what])} {val}")
        elif style == "letter_colon":
            lines.append(f"{rng.choice(letter[what])}: {val}")
        elif style == "letter_bar":
            lines.append(f"{rng.choice(letter[what])} | {val}")
        else:
            lines.append(val)
    return lines


def uneven_light(rng, img):
    """Light falling unevenly: a smooth random brightness field (a 3x3 grid upsampled) times the image."""
    w, h = img.size
    grid = Image.new("L", (3, 3))
    lo = rng.uniform(110, 190)
    grid.putdata([int(rng.uniform(lo, 255)) for _ in range(9)])
    field = grid.resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(40))
    return ImageChops.multiply(img, field.convert("RGB"))


def perspective(rng, img, strength, fill):
    w, h = img.size
    j = lambda: rng.uniform(-strength, strength)
    # Destination corners (a card seen at an angle) → source corners; PIL wants the inverse map.
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [(j() * w, j() * h), (w + j() * w, j() * h), (w + j() * w, h + j() * h), (j() * w, h + j() * h)]
    A, B = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); B.append(u)
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y]); B.append(v)
    coeffs = solve(A, B)
    return img.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=fill)


def solve(A, B):
    n = len(B)
    M = [row[:] + [b] for row, b in zip(A, B)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]


def draw_card(rng, p, loc, difficulty, photo=True):
    """The card (and, with `photo`, a photo of it on a table) → (image, style, prefix)."""
    w, h = 1050, 600
    bg = tuple(rng.randint(228, 255) for _ in range(3))
    card = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(card)
    regular, bold = rng.choice(fonts(REGULAR_GLOBS)), rng.choice(fonts(BOLD_GLOBS))
    ink = tuple(rng.randint(0, 60) for _ in range(3))
    accent = tuple(rng.randint(0, 150) for _ in range(3))
    style = {}

    # Name as printed
    name_style = rng.choice(["plain", "plain", "caps", "surname_caps", "surname_comma"])
    if loc == "ru_RU" and name_style == "surname_comma":
        name_style = "surname_caps"
    first, last = p["first"], p["last"]
    printed_name = {"plain": f"{first} {last}", "caps": f"{first} {last}".upper(),
                    "surname_caps": f"{last.upper()} {first}", "surname_comma": f"{last}, {first}"}[name_style]
    prefix = ""
    if PREFIX[loc] and rng.random() < 0.12 and name_style in ("plain", "caps"):
        prefix = rng.choice(PREFIX[loc])
        printed_name = f"{prefix} {printed_name}"
    style["name"] = name_style

    company_lines = [p["company"]]
    if rng.random() < 0.35:
        two = split_two(p["company"], rng)
        if two:
            company_lines = list(two)
    style["company_lines"] = len(company_lines)

    addr = p["addr_lines"]
    addr_mode = rng.choice(["one", "lines", "lines"])
    if rng.random() < 0.3:
        style["country"] = rng.choice(COUNTRY[loc])
        addr = addr + [style["country"]]
    addr_print = [", ".join(addr)] if addr_mode == "one" else addr
    if addr_mode == "one" and len(addr_print[0]) > 52:
        addr_print = addr
    style["address_lines"] = len(addr_print)

    lstyle = label_style(rng, loc)
    style["labels"] = lstyle
    contacts = contact_lines(rng, p, loc, lstyle)
    layout = rng.choice(["left", "center", "right", "two_column", "band", "logo_block"])
    style["layout"] = layout

    f_name = ImageFont.truetype(bold, rng.randint(40, 54))
    f_title = ImageFont.truetype(regular, rng.randint(24, 30))
    f_small = ImageFont.truetype(regular, rng.randint(21, 26))
    f_company = ImageFont.truetype(bold, rng.randint(28, 38))
    lh = lambda f: f.size * rng.uniform(1.25, 1.4)

    def put(x, y, text, font, fill, anchor="la"):
        d.text((x, y), text, font=font, fill=fill, anchor=anchor)
        return y + lh(font)

    def logo(x, y, s, col):
        shape = rng.choice(["circle", "square", "triangle", "rings"])
        if shape == "circle":
            d.ellipse([x, y, x + s, y + s], fill=col)
        elif shape == "square":
            d.rectangle([x, y, x + s, y + s], fill=col)
        elif shape == "triangle":
            d.polygon([(x, y + s), (x + s / 2, y), (x + s, y + s)], fill=col)
        else:
            d.ellipse([x, y, x + s, y + s], outline=col, width=6)
            d.ellipse([x + s / 4, y + s / 4, x + 3 * s / 4, y + 3 * s / 4], fill=col)

    # Shrink the contact font until everything fits vertically.
    def block_height(n_small, extra):
        return n_small * lh(f_small) + extra

    if layout in ("left", "center", "right"):
        x, anchor = {"left": (60, "la"), "center": (w / 2, "ma"), "right": (w - 60, "ra")}[layout]
        y = 40
        if rng.random() < 0.5:
            for cl in company_lines:
                y = put(x, y, cl, f_company, accent, anchor)
            y += 10
            y = put(x, y, printed_name, f_name, ink, anchor)
            y = put(x, y, p["job"], f_title, ink, anchor) + 10
        else:
            y = put(x, y, printed_name, f_name, ink, anchor)
            y = put(x, y, p["job"], f_title, ink, anchor) + 10
            for cl in company_lines:
                y = put(x, y, cl, f_company, accent, anchor)
            y += 6
        rest = contacts + addr_print
        while y + len(rest) * lh(f_small) > h - 20 and f_small.size > 16:
            f_small = ImageFont.truetype(regular, f_small.size - 1)
        if y + len(rest) * lh(f_small) > h - 20 and len(rest) > 1:
            # two columns of contacts below
            half = (len(rest) + 1) // 2
            y0 = y
            for line in rest[:half]:
                y = put(60, y, line, f_small, ink)
            y = y0
            for line in rest[half:]:
                y = put(w - 60, y, line, f_small, ink, "ra")
            style["layout"] += "+split"
        else:
            for line in rest:
                y = put(x, y, line, f_small, ink, anchor)
    elif layout == "two_column":
        y = 60
        y = put(60, y, printed_name, f_name, ink)
        y = put(60, y, p["job"], f_title, ink) + 30
        for cl in company_lines:
            y = put(60, y, cl, f_company, accent)
        y += 6
        for line in addr_print:
            y = put(60, y, line, f_small, ink)
        d.line([(w * 0.56, 50), (w * 0.56, h - 50)], fill=accent, width=3)
        y = 70
        for line in contacts:
            y = put(w * 0.59, y, line, f_small, ink)
    elif layout == "band":
        band_h = rng.randint(110, 140)
        band = tuple(rng.randint(20, 120) for _ in range(3))
        d.rectangle([0, 0, w, band_h], fill=band)
        logo(40, (band_h - 70) / 2, 70, (240, 240, 240))
        fc = ImageFont.truetype(bold, 34 if len(company_lines) == 1 else 28)
        if len(company_lines) == 1:
            put(135, band_h / 2 - fc.size * 0.6, company_lines[0], fc, (250, 250, 250))
        else:
            put(135, band_h / 2 - fc.size * 1.25, company_lines[0], fc, (250, 250, 250))
            put(135, band_h / 2 + fc.size * 0.05, company_lines[1], fc, (250, 250, 250))
        y = band_h + 25
        y = put(60, y, printed_name, f_name, ink)
        y = put(60, y, p["job"], f_title, ink) + 10
        yl = y
        for line in addr_print:
            yl = put(60, yl, line, f_small, ink)
        y = band_h + 30
        for line in contacts:
            y = put(w - 50, y, line, f_small, ink, "ra")
    else:  # logo_block: logo left, name block beside it, contacts below in two columns
        logo(50, 50, 110, accent)
        y = 45
        y = put(190, y, printed_name, f_name, ink)
        y = put(190, y, p["job"], f_title, ink)
        for cl in company_lines:
            y = put(190, y, cl, f_company, accent)
        y = max(y, 180) + 20
        d.line([(50, y - 10), (w - 50, y - 10)], fill=accent, width=2)
        left = contacts[: (len(contacts) + 1) // 2]
        right = contacts[(len(contacts) + 1) // 2:] + addr_print
        while y + max(len(left), len(right)) * lh(f_small) > h - 15 and f_small.size > 16:
            f_small = ImageFont.truetype(regular, f_small.size - 1)
        yy = y
        for line in left:
            yy = put(50, yy, line, f_small, ink)
        yy = y
        for line in right:
            yy = put(w * 0.5, yy, line, f_small, ink)

    if not photo:
        return card, style, prefix
    # Photo: the card on a table, at an angle, uneven light, noise, blur, JPEG.
    table = tuple(rng.randint(60, 190) for _ in range(3))
    m = rng.randint(50, 110)
    photo = Image.new("RGB", (w + 2 * m, h + 2 * m), table)
    photo.paste(card, (m, m))
    if rng.random() < 0.6 or difficulty == "hard":
        photo = perspective(rng, photo, 0.05 if difficulty == "hard" else 0.03, table)
        style["perspective"] = True
    photo = photo.rotate(rng.uniform(-6, 6) if difficulty == "hard" else rng.uniform(-3, 3), resample=Image.BICUBIC,
                         fillcolor=table)
    if rng.random() < 0.7:
        photo = uneven_light(rng, photo)
        style["uneven_light"] = True
    if difficulty == "hard" or rng.random() < 0.5:
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
        noise = Image.effect_noise(photo.size, rng.uniform(6, 18)).convert("RGB")
        photo = Image.blend(photo, noise, rng.uniform(0.05, 0.11))
    return photo, style, prefix


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--locales", default="en_US,en_GB,de_DE,fr_FR,ru_RU")
    ap.add_argument("--hard", action="store_true", help="stronger perspective, rotation, blur and noise everywhere")
    ap.add_argument("--set", default="wild", help="set name written into the truth (the evaluator groups by it)")
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
        img, style, prefix = draw_card(rng, p, loc, "hard" if a.hard else "mixed")
        truth = {
            "locale": loc,
            "set": a.set,
            "first_name": p["first"],
            "last_name": p["last"],
            "full_name": f"{p['first']} {p['last']}",
            "position": p["job"],
            "company": " ".join(p["company"].split()),
            "emails": [p["email"]],
            "phones": p["phones"],
            "website": p["web"],
            "address": None,
            "style": style,
        }
        if prefix:
            truth["prefix"] = prefix
        # Address truth: the printed lines joined by ", " (country included when printed).
        truth["address"] = ", ".join(p["addr_lines"] + ([style.get("country")] if style.get("country") else []))
        name = f"card-{i:03d}"
        img.save(os.path.join(a.out, name + ".jpg"), quality=rng.randint(65, 92))
        with open(os.path.join(a.out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(truth, f, ensure_ascii=False, indent=1)
        index.append({"image": name + ".jpg", "truth": name + ".json", "locale": loc, "style": style})
    with open(os.path.join(a.out, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False, indent=1)
    print(f"{a.count} cards in {a.out}")


if __name__ == "__main__":
    main()
