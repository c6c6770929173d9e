"""Open-link answers refused as likely bots, counted per survey and reason so the owner sees them."""
from __future__ import annotations

from .table import Table, add_counters, to_item


class OpenLinkItems(Table):
    def count_open_refusal(self, survey_id: str, reason: str) -> None:
        """One refused open-link post (honeypot, too_fast, no_browser, rate_limited): one ADD, never a read."""
        self._call("update_item", **add_counters(f"AGG#{survey_id}", "OPENREFUSED", {reason: 1}))

    def open_refusals(self, survey_id: str) -> dict[str, int]:
        item = self._call("get_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": "OPENREFUSED"})).get("Item")
        return {k: int(v["N"]) for k, v in (item or {}).items() if "N" in v}
