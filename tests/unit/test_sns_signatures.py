"""SNS signature verification (survey_app/domain/sns.py) against messages signed by `cryptography`."""
import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from survey_app.domain import sns
from tests import sns_signing



def now() -> datetime:
    """Read when each test runs: messages are stamped then, and collection may be many minutes earlier."""
    return datetime.now(timezone.utc)


def verified(message: dict, pem: bytes | None = None) -> sns.SnsMessage:
    fields = sns.parse(sns_signing.body(message))
    return sns.verify(fields, pem or sns_signing.certificate_pem(), now())


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_notification_signed_by_sns_is_believed_in_both_signature_versions(version):
    message = sns_signing.notification('{"eventType":"Bounce"}', version=version, subject="With a subject")
    result = verified(message)
    assert (result.type, result.message_id, result.message) == ("Notification", message["MessageId"],
                                                               '{"eventType":"Bounce"}')


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_subscription_confirmation_is_believed_with_its_subscribe_url(version):
    message = sns_signing.subscription_confirmation(version=version)
    assert verified(message).subscribe_url == message["SubscribeURL"]


def test_a_notification_without_subject_signs_no_subject_line():
    message = sns_signing.notification("hello")
    assert b"Subject" not in sns.string_to_sign(sns.parse(sns_signing.body(message)))
    assert verified(message).message == "hello"


@pytest.mark.parametrize("field, value", [("Message", '{"eventType":"Complaint"}'), ("TopicArn", "arn:aws:sns:x"),
                                          ("MessageId", "another"), ("Timestamp", sns_signing.now_stamp() + " ")],
                         ids=["Message", "TopicArn", "MessageId", "Timestamp"])  # ids stable across xdist workers
def test_a_tampered_field_is_refused(field, value):
    message = sns_signing.notification("original") | {field: value}
    with pytest.raises(sns.InvalidMessage, match="signature does not match"):
        verified(message)


def test_a_signature_from_another_key_is_refused():
    message = sns_signing.notification("x")
    other = sns_signing.certificate_pem(sns_signing.signing_key(1024))
    with pytest.raises(sns.InvalidMessage, match="signature does not match"):
        verified(message, other)


def test_a_signature_made_with_sha1_but_labelled_version_2_is_refused():
    message = sns_signing.notification("x", version="1") | {"SignatureVersion": "2"}
    with pytest.raises(sns.InvalidMessage, match="signature does not match"):
        verified(message)


@pytest.mark.parametrize("version", ["3", "", "01"])
def test_an_unknown_signature_version_is_refused(version):
    with pytest.raises(sns.InvalidMessage, match="signature version"):
        verified(sns_signing.notification("x") | {"SignatureVersion": version})


def test_an_expired_certificate_is_refused():
    pem = sns_signing.certificate_pem(valid_from=now() - timedelta(days=30), days=10)
    with pytest.raises(sns.InvalidMessage, match="not valid now"):
        verified(sns_signing.notification("x"), pem)


def test_a_message_older_than_the_remembered_window_is_refused():
    fields = sns_signing.sign({"Type": "Notification", "MessageId": "m", "TopicArn": sns_signing.TOPIC_ARN,
                               "Message": "old", "Timestamp": "2012-05-02T00:54:06.655Z"})
    with pytest.raises(sns.InvalidMessage, match="outside the accepted window"):
        verified(fields | {"SigningCertURL": sns_signing.CERT_URL})


@pytest.mark.parametrize("url", [
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
])
def test_certificates_on_sns_hosts_of_aws_are_fetched(url):
    assert sns.certificate_url({"SigningCertURL": url}) == url


@pytest.mark.parametrize("url", [
    "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem",
    "https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://s3.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-abc.pem",
    "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-abc.pem",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem.txt",
    "https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://[::1]/x.pem",
    "ftp://sns.us-east-1.amazonaws.com/x.pem",
])
def test_certificates_anywhere_else_are_refused(url):
    with pytest.raises(sns.InvalidMessage, match="not on an SNS host"):
        sns.certificate_url({"SigningCertURL": url})


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"Type": "Other"}', json.dumps({"Type": "Notification"}),
                                  b"\xff\xfe"])
def test_what_is_not_an_sns_message_is_refused(body):
    with pytest.raises(sns.InvalidMessage):
        sns.parse(body if isinstance(body, bytes) else body.encode())


def test_a_signed_field_that_is_not_a_string_is_refused():
    message = sns_signing.notification("x") | {"Subject": 5}
    with pytest.raises(sns.InvalidMessage, match="not a string"):
        sns.parse(sns_signing.body(message))


@pytest.mark.parametrize("pem", [b"", b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
                                 b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----"])
def test_an_unusable_certificate_is_refused(pem):
    with pytest.raises(sns.InvalidMessage):
        sns.rsa_public_key(pem, now())


def test_the_public_key_read_from_the_certificate_is_the_signing_key():
    numbers = sns_signing.signing_key().public_key().public_numbers()
    assert sns.rsa_public_key(sns_signing.certificate_pem(), now()) == (numbers.n, numbers.e)


def test_a_certificate_not_yet_valid_is_refused():
    pem = sns_signing.certificate_pem(valid_from=now() + timedelta(days=1))
    with pytest.raises(sns.InvalidMessage, match="not valid now"):
        verified(sns_signing.notification("x"), pem)


@pytest.mark.parametrize("signature", [lambda s: s[:-1], lambda s: s + b"\x00", lambda s: b"\xff" * len(s)])
def test_a_signature_of_the_wrong_length_or_beyond_the_modulus_never_matches(signature):
    key = sns_signing.signing_key().public_key().public_numbers()
    message = sns_signing.notification("x", version="2")
    raw = base64.b64decode(message["Signature"])
    digest_info = sns.DIGESTS["2"][1] + hashlib.sha256(sns.string_to_sign(sns.parse(sns_signing.body(message)))).digest()
    assert sns.pkcs1_v15_matches(raw, digest_info, key.n, key.e)
    assert not sns.pkcs1_v15_matches(signature(raw), digest_info, key.n, key.e)


def test_a_signature_that_is_not_base64_is_refused():
    with pytest.raises(sns.InvalidMessage, match="not base64"):
        verified(sns_signing.notification("x") | {"Signature": "not base64!"})
