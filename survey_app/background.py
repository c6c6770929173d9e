"""The owner-job runner built from the app's configuration: the web tier starts jobs with it, the jobs function
(`jobs.owner_jobs_event`) and the CLI run them with it. The S3 and SQS clients are built once per app."""
from __future__ import annotations

from flask import current_app

from .services.owner_jobs import InlineQueue, JobSettings, OwnerJobs
from .services.privacy import audit_key


def owner_jobs(in_process: bool = False) -> OwnerJobs:
    """A fresh runner per call (its in-process queue is per request), over clients shared by warm Lambdas.
    `in_process`: run jobs here even where a queue is configured (the CLI has no request time limit)."""
    config = current_app.config
    shared = current_app.extensions.setdefault("owner_job_clients", {})
    if "objects" not in shared:
        from .store.objects import ObjectStore
        from .store.queue import JobQueue

        shared["objects"] = ObjectStore(config["EXPORTS_BUCKET"], config["AWS_REGION"]) \
            if config["EXPORTS_BUCKET"] else None
        shared["queue"] = JobQueue(config["JOBS_QUEUE_URL"], config["AWS_REGION"]) if config["JOBS_QUEUE_URL"] else None
        from .store.branding import LogoBucket  # a survey's deletion removes its logos too

        shared["logos"] = LogoBucket(config["BRANDING_BUCKET"], config["AWS_REGION"]) \
            if config["BRANDING_BUCKET"] else None
    settings = JobSettings(tz_name=config["TIMEZONE"], part_bytes=config["EXPORT_PART_BYTES"],
                           run_seconds=config["JOB_DEFAULT_SECONDS"], margin_seconds=config["JOB_MARGIN_SECONDS"],
                           audit_key=audit_key(config["SECRET_KEY"]))
    return OwnerJobs(current_app.extensions["survey_store"], shared["objects"], InlineQueue() if in_process or not shared["queue"] else shared["queue"],
                     settings, logos=shared["logos"])
