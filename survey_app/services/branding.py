"""A survey's branding: the owner's business name and brand colour, and the logo the browser posts straight to
S3; the upload is accepted only after its size and bytes were checked on S3 itself."""
from __future__ import annotations

import uuid
from dataclasses import replace

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..domain import branding
from ..domain.models import Survey
from ..errors import NotFound

LOGO_MAX_BYTES = 20 * 1024
UPLOAD_SECONDS = 600
UNCHECKED = "logo-uploads/"  # where the browser posts: never served (CloudFront is denied it), expired after a day
SERVED = "branding/"  # where a checked logo is copied: served by the CDN
LOGO_TYPES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/webp": (b"RIFF",)}
# SVG is refused: it can carry scripts. Magic numbers: PNG spec 5.2, JPEG SOI + marker, WebP "RIFF....WEBP".
_SALT = "branding-logo"


class SurveyChanged(RuntimeError):
    """Another save of the survey got there first; the owner tries again."""


def _save(store, survey: Survey, **changes) -> Survey:
    saved = replace(survey, version=survey.version + 1, **changes)
    if not store.put_survey_version(saved):
        raise SurveyChanged(survey.id)
    return saved


def save_branding(store, survey: Survey, name: str, colour: str) -> Survey:
    """:raises BrandingError: the name or colour was refused (nothing saved). :raises SurveyChanged:"""
    return _save(store, survey, business_name=branding.business_name(name), brand_colour=branding.brand_colour(colour))


def remove_logo(store, survey: Survey) -> Survey:
    return _save(store, survey, logo_key="")


def logo_upload(bucket, secret_key: str, survey_id: str, redirect_to) -> dict:
    """The presigned POST of a new logo; `redirect_to(token)` is where S3 sends the browser back, with a signed
    token naming the one key this form may write, so the callback cannot be pointed at any other object. The key is
    under UNCHECKED: an upload whose callback never comes is never served, and S3's lifecycle removes it."""
    key = f"{UNCHECKED}{survey_id}/{uuid.uuid4().hex}"
    token = URLSafeTimedSerializer(secret_key, salt=_SALT).dumps([survey_id, key])
    return bucket.upload_form(key, redirect_to(token), "image/", LOGO_MAX_BYTES, UPLOAD_SECONDS)


def _looks_like(content_type: str, head: bytes) -> bool:
    if content_type == "image/webp" and head[8:12] != b"WEBP":
        return False
    return any(head.startswith(magic) for magic in LOGO_TYPES.get(content_type, ()))


def accept_logo(store, bucket, secret_key: str, survey: Survey, token: str) -> Survey:
    """Records the uploaded logo once S3 holds it at <= 20 KB with a PNG/JPEG/WebP type its bytes confirm: copied
    from UNCHECKED to SERVED, so no unchecked byte is ever served; the upload is deleted either way.
    :raises BrandingError: :raises SurveyChanged:"""
    try:
        survey_id, key = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(token, max_age=UPLOAD_SECONDS * 2)
    except BadSignature as error:
        raise branding.BrandingError("logo_link_invalid") from error
    if survey_id != survey.id or not key.startswith(f"{UNCHECKED}{survey.id}/"):
        raise branding.BrandingError("logo_link_invalid")
    try:
        size, content_type = bucket.head(key)
    except NotFound as error:
        raise branding.BrandingError("logo_missing") from error
    if size > LOGO_MAX_BYTES or not _looks_like(content_type, bucket.read(key)[:12]):
        bucket.delete(key)
        raise branding.BrandingError("logo_too_big" if size > LOGO_MAX_BYTES else "logo_wrong_type")
    served = SERVED + key.removeprefix(UNCHECKED)
    bucket.copy(key, served)
    bucket.delete(key)
    return _save(store, survey, logo_key=served)


def logo_content_type(key: str, data: bytes) -> str:
    """The type its bytes say (served locally with nosniff); '' when none of ours."""
    return next((t for t in LOGO_TYPES if _looks_like(t, data[:12])), "")
