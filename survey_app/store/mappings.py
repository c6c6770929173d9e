"""Import mappings remembered per survey, uploads waiting for their mapping, and each segment's counted values."""
from __future__ import annotations

import threading
import zlib
from typing import Iterator

from ..errors import NotFound
from .table import TTL_ATTRIBUTE, Table, to_item

MAX_UPLOAD_ITEM = 350 * 1024  # a waiting upload is one item: DynamoDB's limit is 400 KB with its keys


def mappings_key(survey_id: str) -> str:
    return f"MAP#{survey_id}"


class MappingItems(Table):
    def put_mapping(self, survey_id: str, fingerprint: str, mapping: dict) -> None:
        """One mapping per shape of file (fingerprint of the headers); a newer one for the same shape replaces it."""
        self._call("put_item", Item=to_item({"pk": mappings_key(survey_id), "sk": f"FP#{fingerprint}",
                                             "name": mapping.get("name", ""), "mapping": mapping}))

    def mapping_for(self, survey_id: str, fingerprint: str) -> dict | None:
        try:
            return self._get(mappings_key(survey_id), f"FP#{fingerprint}")["mapping"]
        except NotFound:
            return None

    def mappings_of(self, survey_id: str) -> Iterator[dict]:
        """Every mapping of a survey (a handful: one per shape of file the shop downloads)."""
        for item in self._between(mappings_key(survey_id), "FP#", "FP#\uffff"):
            yield item["mapping"]

    def put_upload(self, survey_id: str, upload_id: str, text: str, expires_epoch: int) -> bool:
        """A file waiting for its mapping, compressed; False when it does not fit one item."""
        blob = zlib.compress(text.encode("utf-8"), 6)
        if len(blob) > MAX_UPLOAD_ITEM:
            return False
        self._call("put_item", Item=to_item({"pk": mappings_key(survey_id), "sk": f"UPLOAD#{upload_id}",
                                             "blob": blob, TTL_ATTRIBUTE: expires_epoch}))
        return True

    def upload_text(self, survey_id: str, upload_id: str) -> str:
        """:raises NotFound: unknown, or imported already (it is deleted then), or expired."""
        blob = self._get(mappings_key(survey_id), f"UPLOAD#{upload_id}")["blob"]
        return zlib.decompress(getattr(blob, "value", blob)).decode("utf-8")

    def delete_upload(self, survey_id: str, upload_id: str) -> None:
        self._call("delete_item", Key=to_item({"pk": mappings_key(survey_id), "sk": f"UPLOAD#{upload_id}"}))

    def claim_segment_value(self, survey_id: str, name: str, value: str, limit: int) -> bool:
        """True when `value` is, or now becomes, one of the at most `limit` values counted for this segment.
        One conditional ADD to a string set, so concurrent imports never admit more than `limit`."""
        with self.__dict__.setdefault("_segment_values_lock", threading.Lock()):  # parallel import workers
            answers = self.__dict__.setdefault("_segment_values", {}).setdefault((survey_id, name), {})
            if value not in answers:  # both answers are final: a set value stays, a full set stays full
                answers[value] = self._claim(survey_id, name, value, limit)
            return answers[value]

    def _claim(self, survey_id: str, name: str, value: str, limit: int) -> bool:
        return self._conditional(
            "update_item", Key=to_item({"pk": mappings_key(survey_id), "sk": f"VALUES#{name}"}),
            UpdateExpression="ADD #values :value",
            ConditionExpression="attribute_not_exists(#values) OR size(#values) < :limit OR contains(#values, :one)",
            ExpressionAttributeNames={"#values": "values"},
            ExpressionAttributeValues=to_item({":value": {value}, ":limit": limit, ":one": value}))
