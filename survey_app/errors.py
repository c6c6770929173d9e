"""The app's own storage errors, so callers never see botocore."""


class NotFound(LookupError):
    """No such survey, invitation or owner."""


class AlreadyAnswered(Exception):
    """This invitation (or this exact submission) already has its response."""


class StoreUnavailable(RuntimeError):
    """DynamoDB failed after retries; the caller must tell the user and keep their input."""


class Duplicate(Exception):
    """Something with this identity exists already (an order reference imported twice)."""
