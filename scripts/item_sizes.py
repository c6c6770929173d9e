"""Item sizes by type, by DynamoDB's sizing rules, on the 1,000-response demo seed: the input to the
cost arithmetic in docs/deploy.md. Run: .venv/bin/python scripts/item_sizes.py"""
from __future__ import annotations

import os

from moto import mock_aws


def item_size(item: dict) -> int:
    """Attribute names plus values: strings by UTF-8 length, numbers ~1 byte per 2 digits + 1."""
    def value_size(typed: dict) -> int:
        (kind, value), = typed.items()
        if kind == "S":
            return len(value.encode())
        if kind == "N":
            return (len(value.lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
        if kind == "M":
            return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in value.items())
        if kind == "L":
            return 3 + sum(value_size(v) + 1 for v in value)
        return 1
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    from survey_app import create_app
    from survey_app.demo_data import seed

    with mock_aws():
        app = create_app({"ENV": "test", "TABLE_NAME": "item-sizes"})
        store = app.extensions["survey_store"]
        store.create_table()
        seed(store, 1000, tz_name="Asia/Jakarta")
        sizes: dict[str, list[int]] = {}
        for item in store.client.scan(TableName="item-sizes")["Items"]:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            kind = pk.split("#")[0] + (f"#{sk.split('#')[0]}" if pk.startswith("AGG#") else "")
            sizes.setdefault(kind, []).append(item_size(item))
    print(f"{'item':12} {'count':>6} {'avg B':>6} {'max B':>6}")
    for kind, values in sorted(sizes.items()):
        print(f"{kind:12} {len(values):6} {sum(values) // len(values):6} {max(values):6}")


if __name__ == "__main__":
    main()
