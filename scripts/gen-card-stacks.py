#!/usr/bin/env python3
"""Photos of several business cards laid on a table, for the multi-card finder (issue 22).

Each photo holds 1–8 cards drawn by scripts/gen-cards-wild.py (its layouts, label styles, fonts and
people), scaled and turned a little (±12°), placed apart on a table (plain, grained or gradient,
light or dark), under uneven light, with noise, blur and JPEG — as a phone photographs a conference's
cards on a desk. About one photo in eight holds a single card (which must not be cut up).

    pip install pillow faker
    python3 scripts/gen-card-stacks.py --out DIR --count 40 --seed 301 [--locales en_US,en_GB,de_DE,fr_FR]

Writes DIR/stack-NNN.jpg and DIR/stack-NNN.json: {"cards": [{"quad": [[x, y] × 4], "truth": {…}}]}
where each truth is in the format of fixtures/cards/** (as gen-cards-wild.py writes it) and quad is
the card's corners in the photo (top-left, top-right, bottom-right, bottom-left of the card as drawn).
`cargo run --release -p ocr --example find-cards -- DIR --crops OUT` scores the finder and writes each
cut-out card with its truth to OUT, for `ocr-eval` to score the fields read.
"""
import argparse, importlib.util, json, math, os, random

from faker import Faker
from PIL import Image, ImageFilter

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("wild", os.path.join(here, "gen-cards-wild.py"))
wild = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wild)


def table(rng, w, h):
    kind = rng.choice(["plain", "grain", "gradient", "light"])
    if kind == "light":
        base = tuple(rng.randint(150, 200) for _ in range(3))
    else:
        base = tuple(rng.randint(30, 120) for _ in range(3))
    img = Image.new("RGB", (w, h), base)
    if kind == "grain":
        # Wood-like streaks: noise stretched along one direction.
        n = Image.effect_noise((w // 8, max(2, h // 64)), 40).convert("RGB").resize((w, h), Image.BICUBIC)
        img = Image.blend(img, n, 0.25)
    elif kind == "gradient":
        other = tuple(max(0, min(255, c + rng.randint(-40, 40))) for c in base)
        g = Image.linear_gradient("L").resize((w, h)).rotate(rng.uniform(0, 360), expand=False)
        img = Image.composite(Image.new("RGB", (w, h), other), img, g)
    return img, kind


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=301)
    ap.add_argument("--locales", default="en_US,en_GB,de_DE,fr_FR")
    ap.add_argument("--set", default="stack")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    Faker.seed(a.seed)
    locales = a.locales.split(",")
    fakers = {loc: Faker(loc) for loc in locales}
    os.makedirs(a.out, exist_ok=True)
    k = 0
    for i in range(a.count):
        n = 1 if rng.random() < 0.125 else rng.randint(2, 8)
        cols = {1: 1, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 3}[n]
        rows = math.ceil(n / cols)
        portrait = rng.random() < 0.4 and cols <= rows
        W, H = (2400, 3200) if portrait else (3200, 2400)
        W, H = W // 2 * 2 * 3 // 4, H // 2 * 2 * 3 // 4  # 2400×1800 / 1800×2400: a 4 MP phone photo
        photo, kind = table(rng, W, H)
        cell_w, cell_h = W / cols, H / rows
        cards = []
        for j in range(n):
            r, c = divmod(j, cols)
            loc = locales[k % len(locales)]
            k += 1
            p = wild.person(rng, fakers[loc], loc)
            card, style, prefix = wild.draw_card(rng, p, loc, "mixed", photo=False)
            upright = rng.random() < 0.1
            if upright:
                card = card.rotate(90, expand=True)
            # As big as the cell allows with room to turn.
            fit = min(cell_w * 0.78 / card.width, cell_h * 0.78 / card.height)
            s = fit * rng.uniform(0.8, 1.0)
            card = card.resize((max(1, int(card.width * s)), max(1, int(card.height * s))), Image.LANCZOS)
            angle = rng.uniform(-12, 12)
            cw, ch = card.size
            mask = Image.new("L", card.size, 255)
            card_r = card.rotate(angle, resample=Image.BICUBIC, expand=True)
            mask_r = mask.rotate(angle, resample=Image.BICUBIC, expand=True)
            cx = (c + 0.5) * cell_w + rng.uniform(-0.06, 0.06) * cell_w
            cy = (r + 0.5) * cell_h + rng.uniform(-0.06, 0.06) * cell_h
            x0, y0 = int(cx - card_r.width / 2), int(cy - card_r.height / 2)
            # A shadow under the card.
            shadow = Image.new("RGB", card_r.size, (0, 0, 0))
            smask = mask_r.point(lambda v: v * 0.35).filter(ImageFilter.GaussianBlur(6))
            photo.paste(shadow, (x0 + 6, y0 + 8), smask)
            photo.paste(card_r, (x0, y0), mask_r)
            t = -math.radians(angle)  # PIL turns counter-clockwise; y points down
            ca, sa = math.cos(t), math.sin(t)
            quad = []
            for dx, dy in [(-cw / 2, -ch / 2), (cw / 2, -ch / 2), (cw / 2, ch / 2), (-cw / 2, ch / 2)]:
                quad.append([round(x0 + card_r.width / 2 + dx * ca - dy * sa, 1),
                             round(y0 + card_r.height / 2 + dx * sa + dy * ca, 1)])
            truth = {
                "locale": loc, "set": a.set, "first_name": p["first"], "last_name": p["last"],
                "full_name": f"{p['first']} {p['last']}", "position": p["job"],
                "company": " ".join(p["company"].split()), "emails": [p["email"]], "phones": p["phones"],
                "website": p["web"],
                "address": ", ".join(p["addr_lines"] + ([style.get("country")] if style.get("country") else [])),
                "style": dict(style, upright=upright),
            }
            if prefix:
                truth["prefix"] = prefix
            cards.append({"quad": quad, "truth": truth})
        if rng.random() < 0.7:
            photo = wild.uneven_light(rng, photo)
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
        noise = Image.effect_noise(photo.size, rng.uniform(6, 18)).convert("RGB")
        photo = Image.blend(photo, noise, rng.uniform(0.04, 0.09))
        name = f"stack-{i:03d}"
        photo.save(os.path.join(a.out, name + ".jpg"), quality=rng.randint(70, 90))
        with open(os.path.join(a.out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump({"table": kind, "cards": cards}, f, ensure_ascii=False, indent=1)
    print(f"{a.count} photos in {a.out}")


if __name__ == "__main__":
    main()
