"""Regenerate the shipped sample sessions (deterministic; run from anywhere).

The canonical files are ``python/itsdangerous_rs/samples/{small,medium,large}.json``:
they ship inside the package so that ``python -m itsdangerous_rs`` and the
benchmarks read the very same data. This script only documents how they were
made; the committed JSON files are what counts.

    python benches/payloads/make_samples.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "python" / "itsdangerous_rs" / "samples"
rng = random.Random(20240318)


def hexstr(n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def b64url(nbytes: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(nbytes)).rstrip(b"=").decode()


def login_part() -> dict:
    # What Flask-Login's login_user() and Flask-WTF's CSRF token put in the session:
    # _id is a SHA-512 hex digest (128 hex), csrf_token a SHA-1 hex digest (40 hex).
    return {
        "_user_id": "1042",
        "_fresh": True,
        "_id": hashlib.sha512(rng.randbytes(32)).hexdigest(),
        "csrf_token": hashlib.sha1(rng.randbytes(32)).hexdigest(),
    }


small = login_part()

cart_items = [
    {"sku": "TSH-0042-BLU-M", "name": "Organic cotton T-shirt, blue, M", "qty": 2, "unit_price": 1999},
    {"sku": "MUG-0107-WHT", "name": "Enamel camping mug", "qty": 1, "unit_price": 1250},
    {"sku": "BAG-0311-OLV", "name": "Waxed canvas tote — olive", "qty": 1, "unit_price": 4500},
]
medium = {
    **login_part(),
    "locale": "en_GB",
    "tz": "Europe/London",
    "prefs": {
        "theme": "dark",
        "currency": "GBP",
        "items_per_page": 24,
        "newsletter": False,
        "recently_viewed": [10452, 10981, 11203, 9876, 12001, 10077],
    },
    "cart": {
        "id": "c_" + hexstr(12),
        "items": cart_items,
        "coupon": "SPRING10",
        "discount_rate": 0.1,
        "updated": "2024-03-18T14:22:05Z",
    },
    "_flashes": [
        ["success", "Added “Waxed canvas tote — olive” to your cart."],
        ["info", "Free delivery on orders over £50."],
        ["warning", "Only 2 left of “Enamel camping mug”."],
    ],
    "next": "/checkout/delivery?step=2",
}

large = {
    **login_part(),
    "_remember": "set",
    "locale": "de_DE",
    "tz": "Europe/Berlin",
    "prefs": {
        "theme": "light",
        "currency": "EUR",
        "items_per_page": 48,
        "newsletter": True,
        "sort": "price_asc",
        "filters": {"size": ["M", "L"], "colour": ["blau", "grün", "schwarz"], "in_stock": True},
    },
    "recently_viewed": [rng.randrange(10000, 99999) for _ in range(40)],
    "cart": {
        "id": "c_" + hexstr(12),
        "items": cart_items
        + [
            {"sku": f"SKU-{rng.randrange(1000, 9999)}-{c}", "name": n, "qty": rng.randint(1, 3), "unit_price": p}
            for c, n, p in [
                ("GRN", "Leinenhemd, grün, L", 5900),
                ("BLK", "Wollsocken (3er-Pack), schwarz", 1800),
                ("NAT", "Kochbuch „Einfach vegetarisch“", 2400),
                ("RED", "Regenjacke, rot, M", 8900),
                ("GRY", "Merino-Mütze, grau", 2900),
            ]
        ],
        "coupon": None,
        "shipping": {"method": "express", "price": 690, "eta_days": [1, 2]},
        "updated": "2024-03-18T14:22:05Z",
    },
    "checkout": {
        "step": 3,
        "address": {
            "name": "Zoë Müller",
            "line1": "Schönhauser Allee 112",
            "line2": "Hinterhaus, 3. OG",
            "city": "Berlin",
            "postcode": "10439",
            "country": "DE",
            "phone": "+49 30 1234567",
        },
        "billing_same": True,
        "gift_note": "Alles Gute zum Geburtstag! Bis bald in Hamburg.",
        "idempotency_key": hexstr(32),
    },
    "oauth": {
        "provider": "github",
        "state": b64url(24),
        "access_token": "gho_" + b64url(27),
        # An OpenID Connect ID token (a JWT): the kind of high-entropy blob that
        # keeps a real session cookie from compressing well.
        "id_token": ".".join([b64url(40), b64url(600), b64url(256)]),
        "expires_at": 1710775325,
        "scope": ["read:user", "user:email"],
    },
    "ab": {"checkout_v2": "B", "reco_carousel": "A", "free_shipping_banner": "control"},
    "_flashes": [
        ["success", "Adresse gespeichert."],
        ["info", "Ihre Bestellung wird voraussichtlich morgen geliefert."],
        ["warning", "Nur noch 2 Stück von „Regenjacke, rot, M“ auf Lager."],
    ],
}

for name, data in [("small", small), ("medium", medium), ("large", large)]:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    (OUT / f"{name}.json").write_text(text, encoding="utf-8")
    compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    print(name, len(compact.encode()), "bytes of compact JSON")
