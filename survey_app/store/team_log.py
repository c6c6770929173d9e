"""The team's audit trail: who invited, re-roled, removed or withdrew an invitation for whom, and when; newest first."""
from __future__ import annotations

import secrets

from .table import Table, to_item

TEAMLOG_PK = "TEAMLOG"


class TeamLogItems(Table):
    def put_team_event(self, at: str, action: str, actor: str, teammate: str, role: str = "") -> None:
        """One item per change; the random tail keeps two changes in the same microsecond apart."""
        self._call("put_item", Item=to_item({"pk": TEAMLOG_PK, "sk": f"{at}#{action}#{secrets.token_hex(4)}",
                                             "at": at, "action": action, "actor": actor, "teammate": teammate,
                                             "role": role}))

    def team_events(self, limit: int = 20) -> list[dict]:
        return [item for _, item in zip(range(limit), self._partition(TEAMLOG_PK, ScanIndexForward=False))]
