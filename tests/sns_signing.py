"""SNS messages as AWS sends them to an HTTPS subscriber, signed with a test key and a self-signed certificate.

Envelopes follow the examples of "Parsing Amazon SNS message formats" (AWS SNS Developer Guide,
sns-message-and-json-formats.html: "HTTP/HTTPS notification JSON format" and "HTTP/HTTPS subscription
confirmation JSON format"), field for field; the signature is made over the string to sign of
"Verifying the signatures of Amazon SNS messages" (sns-verify-signature-of-message.html) with SHA1withRSA
(SignatureVersion 1) or SHA256withRSA (2), by `cryptography`: an implementation independent of the app's.
"""
from __future__ import annotations

import base64
import functools
import json
import uuid
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

REGION = "ap-southeast-3"
ACCOUNT = "123456789012"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:survey-app-production-ses-events"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


@functools.cache
def signing_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def certificate_pem(key: rsa.RSAPrivateKey | None = None, *, valid_from: datetime | None = None,
                    days: int = 365) -> bytes:
    """A self-signed certificate for the key, named like SNS's (CN=sns.amazonaws.com)."""
    key = key or signing_key()
    start = valid_from or datetime.now(timezone.utc) - timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + timedelta(days=days)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


def now_stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign(fields: dict, version: str = "1", key: rsa.RSAPrivateKey | None = None) -> dict:
    """The message with SignatureVersion and Signature set, as SNS signs it."""
    text = "".join(f"{name}\n{fields[name]}\n" for name in SIGNED[fields["Type"]] if name in fields)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = (key or signing_key()).sign(text.encode(), padding.PKCS1v15(), algorithm)
    return fields | {"SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


def notification(message: str, *, version: str = "1", topic_arn: str = TOPIC_ARN, cert_url: str = CERT_URL,
                 message_id: str | None = None, subject: str | None = None) -> dict:
    """A Notification (SES event publishing sends no Subject)."""
    fields = {"Type": "Notification", "MessageId": message_id or str(uuid.uuid4()), "TopicArn": topic_arn,
              "Message": message, "Timestamp": now_stamp()}
    if subject is not None:
        fields["Subject"] = subject
    signed = sign(fields, version)
    return signed | {"SigningCertURL": cert_url, "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/"
                     f"?Action=Unsubscribe&SubscriptionArn={topic_arn}:c9135db0-26c4-47ec-8998-413945fb5a96"}


def subscription_confirmation(*, version: str = "1", topic_arn: str = TOPIC_ARN, cert_url: str = CERT_URL,
                              subscribe_url: str | None = None, kind: str = "SubscriptionConfirmation") -> dict:
    token = "2336412f37fb687f5d51e6e2425dacbba" + uuid.uuid4().hex
    fields = {"Type": kind, "MessageId": str(uuid.uuid4()), "Token": token, "TopicArn": topic_arn,
              "Message": f"You have chosen to subscribe to the topic {topic_arn}.\n"
                         "To confirm the subscription, visit the SubscribeURL included in this message.",
              "SubscribeURL": subscribe_url or f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription"
                                               f"&TopicArn={topic_arn}&Token={token}",
              "Timestamp": now_stamp()}
    return sign(fields, version) | {"SigningCertURL": cert_url}


def body(message: dict) -> bytes:
    """As SNS posts it: pretty-printed JSON, Content-Type text/plain; charset=UTF-8."""
    return json.dumps(message, indent=2).encode()


def headers(message: dict) -> dict[str, str]:
    """The x-amz-sns-* headers of "HTTP/HTTPS headers" (same guide)."""
    return {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": message["Type"],
            "x-amz-sns-message-id": message["MessageId"], "x-amz-sns-topic-arn": message["TopicArn"],
            "User-Agent": "Amazon Simple Notification Service Agent"}


def ses_bounce(address: str, *, bounce_type: str = "Permanent", message_id: str = "") -> str:
    """A Bounce record as in SES's "Examples of event data that Amazon SES publishes to Amazon SNS"."""
    return json.dumps({
        "eventType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bounceSubType": "General",
                   "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                          "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
                   "timestamp": now_stamp(), "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample"
                                                           "-000000", "reportingMTA": "dsn; mta.example.com"},
        "mail": _mail(address, message_id),
    })


def ses_complaint(address: str, *, message_id: str = "") -> str:
    """A Complaint record, same page."""
    return json.dumps({
        "eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "timestamp": now_stamp(),
                      "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                      "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
                      "complaintFeedbackType": "abuse", "arrivalDate": now_stamp()},
        "mail": _mail(address, message_id),
    })


def ses_delivery(address: str, *, message_id: str = "") -> str:
    """A Delivery record, same page."""
    return json.dumps({
        "eventType": "Delivery",
        "mail": _mail(address, message_id),
        "delivery": {"timestamp": now_stamp(), "processingTimeMillis": 546, "recipients": [address],
                     "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "mta.example.com"},
    })


def _mail(address: str, message_id: str) -> dict:
    return {"timestamp": now_stamp(), "source": "Toko <survey@toko.example>",
            "sourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/toko.example", "sendingAccountId": ACCOUNT,
            "messageId": message_id or f"EXAMPLE{uuid.uuid4().hex}-000000", "destination": [address],
            "headersTruncated": False, "headers": [{"name": "To", "value": address}],
            "commonHeaders": {"from": ["Toko <survey@toko.example>"], "to": [address], "subject": "Survey"},
            "tags": {"ses:configuration-set": ["survey-app-production"], "ses:source-ip": ["192.0.2.0"],
                     "ses:from-domain": ["toko.example"], "ses:caller-identity": ["survey-app"]}}
