"""Amazon SNS message signatures, checked before a word of a message is believed; the standard library only.

Why no `cryptography`: its wheels for this build machine are manylinux_2_34, and Lambda's python3.11 runtime
(Amazon Linux 2, glibc 2.26) cannot load them. Verifying is small: RSA with the certificate's public key and
EMSA-PKCS1-v1_5 by encode-and-compare (RFC 8017 section 8.2.2), never by parsing the decrypted block.

Shapes and rules: AWS, "Verifying the signatures of Amazon SNS messages" (sns-verify-signature-of-message.html:
the fields signed per Type, byte-sorted, each "name\\nvalue\\n"; SignatureVersion 1 is SHA1withRSA, 2 is
SHA256withRSA) and "Parsing Amazon SNS message formats" (sns-message-and-json-formats.html). The certificate
host rule is the one of AWS's own validators (aws-php-sns-message-validator, the JS sns-validator):
https, host sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn. Trust in the certificate comes from
fetching it over verified HTTPS from that host; its validity dates are checked here.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

NOTIFICATION, SUBSCRIBE, UNSUBSCRIBE = "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"
SIGNED_FIELDS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIBE: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    UNSUBSCRIBE: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
OPTIONAL_FIELDS = {"Subject"}
SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
# DigestInfo DER prefixes of RFC 8017 section 9.2, note 1
DIGESTS = {
    "1": ("sha1", bytes.fromhex("3021300906052b0e03021a05000414")),
    "2": ("sha256", bytes.fromhex("3031300d060960864801650304020105000420")),
}
RSA_ENCRYPTION = bytes.fromhex("06092a864886f70d010101")  # OID 1.2.840.113549.1.1.1 with its DER header
MAX_AGE = timedelta(days=14)  # older signed messages are refused: processed ids are remembered for longer


class InvalidMessage(ValueError):
    """Not an SNS message we can believe; the text says why (for the log, never for the sender)."""


@dataclass(frozen=True)
class SnsMessage:
    """A verified message: what it says and where from."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subscribe_url: str = ""


def parse(body: bytes) -> dict[str, str]:
    """The JSON document of an SNS POST (Content-Type text/plain) with every field it needs, as strings."""
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidMessage(f"not JSON: {error}") from None
    if not isinstance(fields, dict) or fields.get("Type") not in SIGNED_FIELDS:
        raise InvalidMessage("not an SNS message type")
    required = set(SIGNED_FIELDS[fields["Type"]]) - OPTIONAL_FIELDS | {"SignatureVersion", "Signature",
                                                                        "SigningCertURL"}
    present = required | {name for name in OPTIONAL_FIELDS if fields.get(name) is not None}
    if not all(isinstance(fields.get(name), str) for name in present):
        raise InvalidMessage("a signed field is missing or not a string")
    return fields


def is_sns_url(url: str) -> bool:
    """https on an SNS host of AWS, default port, no user part: where certificates and confirmations live."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (parts.scheme == "https" and parts.hostname is not None and port in (None, 443)
            and parts.username is None and parts.password is None
            and SNS_HOST.fullmatch(parts.hostname) is not None)


def certificate_url(fields: dict[str, str]) -> str:
    url = fields["SigningCertURL"]
    if not is_sns_url(url) or not urlsplit(url).path.endswith(".pem"):
        raise InvalidMessage(f"certificate URL {url[:200]!r} is not on an SNS host of AWS over https")
    return url


def string_to_sign(fields: dict[str, str]) -> bytes:
    return "".join(f"{name}\n{fields[name]}\n" for name in SIGNED_FIELDS[fields["Type"]]
                   if fields.get(name) is not None).encode("utf-8")


def verify(fields: dict[str, str], certificate_pem: bytes, now: datetime) -> SnsMessage:
    """:raises InvalidMessage: bad signature, unknown version, unusable or expired certificate, stale message."""
    if fields["SignatureVersion"] not in DIGESTS:
        raise InvalidMessage(f"signature version {fields['SignatureVersion'][:10]!r} is not 1 or 2")
    modulus, exponent = rsa_public_key(certificate_pem, now)
    hash_name, digest_info = DIGESTS[fields["SignatureVersion"]]
    try:
        signature = base64.b64decode(fields["Signature"], validate=True)
    except binascii.Error:
        raise InvalidMessage("signature is not base64") from None
    digest = hashlib.new(hash_name, string_to_sign(fields)).digest()
    if not pkcs1_v15_matches(signature, digest_info + digest, modulus, exponent):
        raise InvalidMessage("signature does not match")
    sent = _timestamp(fields["Timestamp"])
    if not now - MAX_AGE <= sent <= now + timedelta(minutes=15):
        raise InvalidMessage(f"message time {fields['Timestamp']} is outside the accepted window")
    return SnsMessage(type=fields["Type"], message_id=fields["MessageId"], topic_arn=fields["TopicArn"],
                      message=fields["Message"], timestamp=fields["Timestamp"],
                      subscribe_url=fields.get("SubscribeURL") or "")


def pkcs1_v15_matches(signature: bytes, digest_info: bytes, modulus: int, exponent: int) -> bool:
    """RSASSA-PKCS1-v1_5 verification (RFC 8017 8.2.2): rebuild the encoded block and compare it whole."""
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size or size < len(digest_info) + 11:
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    expected = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(pow(value, exponent, modulus).to_bytes(size, "big"), expected)


def rsa_public_key(certificate_pem: bytes, now: datetime) -> tuple[int, int]:
    """(modulus, exponent) of an X.509 certificate's RSA key, if the certificate is valid now.

    :raises InvalidMessage: not PEM, not an RSA key, or outside its validity dates.
    """
    der = _pem_body(certificate_pem)
    certificate = _children(der, *_content(der, 0, 0x30))
    tbs = _children(der, *_content(der, certificate[0], 0x30))
    if der[tbs[0]] == 0xA0:  # explicit version
        tbs = tbs[1:]
    validity, key_info = tbs[3], tbs[5]  # serial, signature algorithm, issuer, validity, subject, key
    not_before, not_after = (_time(der, at) for at in _children(der, *_content(der, validity, 0x30)))
    if not not_before <= now <= not_after:
        raise InvalidMessage("signing certificate is not valid now")
    algorithm, key_bits = _children(der, *_content(der, key_info, 0x30))
    start, end = _content(der, algorithm, 0x30)
    if not der[start:end].startswith(RSA_ENCRYPTION):
        raise InvalidMessage("signing certificate does not hold an RSA key")
    start, end = _content(der, key_bits, 0x03)
    if der[start] != 0:
        raise InvalidMessage("malformed key bit string")
    modulus, exponent = (int.from_bytes(der[s:e], "big") for s, e in
                         (_content(der, at, 0x02) for at in _children(der, *_content(der, start + 1, 0x30))))
    return modulus, exponent


def _pem_body(pem: bytes) -> bytes:
    match = re.search(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    if not match:
        raise InvalidMessage("signing certificate is not PEM")
    try:
        return base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except binascii.Error:
        raise InvalidMessage("signing certificate is not base64") from None


def _header(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at `at`."""
    if at + 2 > len(der):
        raise InvalidMessage("truncated certificate")
    tag, length, at = der[at], der[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or at + count > len(der):
            raise InvalidMessage("malformed certificate length")
        length, at = int.from_bytes(der[at:at + count], "big"), at + count
    if at + length > len(der):
        raise InvalidMessage("truncated certificate")
    return tag, at, at + length


def _content(der: bytes, at: int, tag: int) -> tuple[int, int]:
    found, start, end = _header(der, at)
    if found != tag:
        raise InvalidMessage(f"unexpected certificate element {found:#x}")
    return start, end


def _children(der: bytes, start: int, end: int) -> list[int]:
    offsets = []
    while start < end:
        offsets.append(start)
        start = _header(der, start)[2]
    return offsets


def _time(der: bytes, at: int) -> datetime:
    tag, start, end = _header(der, at)
    text = der[start:end].decode("ascii", errors="replace")
    formats = {0x17: "%y%m%d%H%M%SZ", 0x18: "%Y%m%d%H%M%SZ"}  # UTCTime, GeneralizedTime (RFC 5280 4.1.2.5)
    try:
        return datetime.strptime(text, formats[tag]).replace(tzinfo=timezone.utc)
    except (KeyError, ValueError):
        raise InvalidMessage("malformed certificate validity") from None


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidMessage("malformed Timestamp") from None
    if moment.tzinfo is None:
        raise InvalidMessage("Timestamp without a time zone")
    return moment
