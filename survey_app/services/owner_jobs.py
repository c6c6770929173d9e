"""Owner jobs: exports, erasures and imports that can outgrow one web request.

Starting one writes its JOB item, then sends its id to the queue (SQS on Lambda; in process where none is
configured). `run_job` is what the queue's consumer calls: it claims the job under a lease, works until the time
budget says stop, saves a cursor, gives the lease up and queues the job again. A finished job ignores a repeated
message; a run killed at any moment leaves the job where its last saved cursor says, and the next run goes on.
"""
from __future__ import annotations

import io
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Callable, Protocol

from ..budget import Budget
from ..domain.jobs import DELETE, DONE, ERASE, EXPORT, FAILED, IMPORT, NO_SURVEY, RELABEL, Job
from ..domain.models import Survey
from ..errors import NotFound, StoreUnavailable
from ..store import Store
from .common import new_token, utcnow
from .dashboard import Filters
from .export_xlsx import xlsx_file
from .exports import CONTENT_TYPES, belongs, csv_columns, export_properties, lines, rows
from .imports import order_batches, stored_rows
from .invitations import import_purchases
from .themes import relabel_recent
from .privacy import Erasure, audit_erasure, erase_holdings, erasure_contacts, forget_contacts
from .survey_deletion import delete_files, delete_page

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 100  # refused import rows listed on the job page; the count covers every one
MAX_RUNS = 200  # a job still unfinished after this many runs is failed rather than queued for ever


class Queue(Protocol):
    def send(self, job_id: str) -> None: ...


class InlineQueue:
    """Where no SQS queue is configured (the demo, web-tier tests): queued jobs run right after, in the same
    process, through the same `run_job` the SQS consumer calls."""

    def __init__(self):
        self.pending: list[str] = []

    def send(self, job_id: str) -> None:
        self.pending.append(job_id)


@dataclass(frozen=True)
class JobSettings:
    tz_name: str = "Asia/Jakarta"
    part_bytes: int = 8 * 1024 * 1024  # S3 wants parts of 5 MB or more (but the last): memory holds one part
    page_size: int = 2000  # items per DynamoDB page (a page is at most 1 MB anyway); a run stops between pages
    import_batch: int = 100  # import rows between two progress saves
    link_seconds: int = 900  # a presigned export link is valid 15 minutes, made when the owner opens the job
    ttl_days: int = 7  # job items expire (TTL) after this; the bucket's lifecycle expires exports after 7 days
    run_seconds: float = 240  # an in-process run's budget (no Lambda context)
    margin_seconds: float = 30
    audit_key: bytes = b""  # keys the erasure audit's contact hashes (services/privacy.audit_key)


@dataclass
class OwnerJobs:
    """Starts and runs owner jobs; `objects` (the exports bucket) and `logos` (the branding bucket) may be None
    where none is configured."""

    store: Store
    objects: object | None
    queue: Queue
    settings: JobSettings = field(default_factory=JobSettings)
    clock: Callable[[], datetime] = utcnow
    logos: object | None = None

    @property
    def inline(self) -> bool:
        return isinstance(self.queue, InlineQueue)

    # ---- starting --------------------------------------------------------------------------------------------
    def start_export(self, survey: Survey, filters: Filters, fmt: str, requested_by: str) -> Job:
        """:raises ValueError: an unknown format or no exports bucket configured."""
        if fmt not in CONTENT_TYPES:
            raise ValueError(f"unknown export format {fmt!r}")
        if self.objects is None:
            raise ValueError("no exports bucket is configured (SURVEY_EXPORTS_BUCKET)")
        job_id = new_token()
        params = {"fmt": fmt, "first_day": filters.first_day, "last_day": filters.last_day,
                  "segment": list(filters.segment) if filters.segment else [],
                  "properties": export_properties(self.store, survey) if fmt in ("csv", "xlsx") else [],
                  "key": f"exports/{survey.id}/{job_id}.{fmt}",
                  "filename": f"responses-{survey.id}-{filters.first_day}-{filters.last_day}.{fmt}"}
        return self._start(job_id, EXPORT, survey.id, params, requested_by)

    def start_erasure(self, requested_by: str, email: str = "", phone: str = "") -> Job:
        """:raises ContactError: an unusable e-mail or phone; ValueError: neither given."""
        contacts, job_id, at = erasure_contacts(email, phone), new_token(), self.clock().isoformat()
        audit_erasure(self.store, self.settings.audit_key, contacts, requested_by, at, job_id)  # before anything
        return self._start(job_id, ERASE, NO_SURVEY, {"contacts": contacts, "audit_at": at}, requested_by)

    def start_import(self, survey: Survey, csv_bytes: bytes, requested_by: str, mapping: dict | None = None) -> Job:
        """The file waits in the bucket (never in the job item); the job deletes it when done. `mapping`: the
        roles of its columns (imports/mapping.py); without one the file is in the app's own format."""
        if self.objects is None:
            raise ValueError("no exports bucket is configured (SURVEY_EXPORTS_BUCKET)")
        job_id = new_token()
        key = f"imports/{survey.id}/{job_id}.csv"
        self.objects.put(key, csv_bytes, "text/csv")
        return self._start(job_id, IMPORT, survey.id, {"key": key, "mapping": mapping}, requested_by)

    def start_relabel(self, survey: Survey, requested_by: str) -> Job:
        """Labels the survey's recent comments again after its owner's themes changed (services/themes.py)."""
        return self._start(new_token(), RELABEL, survey.id, {}, requested_by)

    def start_deletion(self, survey: Survey, requested_by: str) -> Job:
        """Listed with the erasures (the survey's own job list goes with it); the survey id leaves the job item
        when it is done, its title stays to say what was deleted."""
        params = {"survey_id": survey.id, "title": {"en": survey.title.en, "id": survey.title.id}}
        return self._start(new_token(), DELETE, NO_SURVEY, params, requested_by)

    def _start(self, job_id: str, kind: str, scope: str, params: dict, requested_by: str) -> Job:
        now = self.clock()
        job = Job(id=job_id, kind=kind, survey_id=scope, requested_by=requested_by, created_at=now.isoformat(),
                  updated_at=now.isoformat(), params=params)
        self.store.put_job(job, scope, int((now + timedelta(days=self.settings.ttl_days)).timestamp()))
        try:
            self.queue.send(job.id)
        except StoreUnavailable as error:
            self.store.fail_queued_job(job.id, self.clock().isoformat(), "could not be queued; please try again")
            raise error
        self.drain()
        return self.store.get_job(job.id)

    def drain(self) -> None:
        """In process only: run what was queued, each run with a budget of its own (as each SQS delivery has)."""
        while self.inline and self.queue.pending:
            self.run_job(self.queue.pending.pop(0), Budget(self.settings.run_seconds, self.settings.margin_seconds))

    # ---- running ---------------------------------------------------------------------------------------------
    def run_job(self, job_id: str, budget: Budget) -> str:
        """One run: 'done', 'failed', 'requeued' (budget spent, progress saved) or 'skipped' (ended already, or
        another run holds it). :raises StoreUnavailable: a store, S3 or SQS failure: the message is redelivered
        and the next run resumes from the last saved cursor."""
        now = self.clock()
        lease = new_token()
        until = now + timedelta(seconds=max(budget.remaining(), 1))
        job = self.store.claim_job(job_id, lease, now.isoformat(), until.isoformat())
        if job is None:
            return "skipped"
        run = _Run(self, job, lease, budget)
        if job.runs > MAX_RUNS:
            return run.fail(f"gave up after {MAX_RUNS} runs")
        work = {EXPORT: run.export, ERASE: run.erase, IMPORT: run.import_rows, RELABEL: run.relabel,
                DELETE: run.delete_survey}[job.kind]
        try:
            return work()
        except StoreUnavailable:
            raise  # passing: the message comes back and the next run resumes from the saved cursor
        except NotFound as error:  # the survey or the uploaded file is gone: no later run would do better
            return run.fail(f"not found: {error}")
        except Exception as error:  # a bug or bad data: recorded on the job, never retried for ever
            log.exception("owner job %s failed", job_id)
            return run.fail(f"{type(error).__name__}: {error}")

    def download_link(self, job: Job) -> str:
        """A fresh presigned link to a finished export, valid `link_seconds`; never stored."""
        return self.objects.download_link(job.result["key"], self.settings.link_seconds, job.params["filename"])


class _Run:
    """One run of one job under its lease."""

    def __init__(self, jobs: OwnerJobs, job: Job, lease: str, budget: Budget):
        self.jobs, self.store, self.job, self.lease, self.budget = jobs, jobs.store, job, lease, budget
        self.progress = dict(job.progress)

    def now(self) -> str:
        return self.jobs.clock().isoformat()

    def save(self, cursor: str) -> bool:
        return self.store.save_job_progress(self.job.id, self.lease, self.now(), self.progress, cursor)

    def requeue(self, cursor: str) -> str:
        """Budget spent: progress saved, lease released, a new message queued (if sending fails the error
        propagates, so this run's own message comes back instead)."""
        if self.store.save_job_progress(self.job.id, self.lease, self.now(), self.progress, cursor, release=True):
            self.jobs.queue.send(self.job.id)
        return "requeued"

    def end(self, result: dict) -> str:
        self.store.end_job(self.job.id, self.lease, self.now(), DONE, result,
                           forget_params=self.job.kind in (ERASE, DELETE))
        return DONE

    def fail(self, reason: str) -> str:
        upload = self.progress.get("upload_id")
        if upload and self.jobs.objects is not None:
            self.jobs.objects.abort_upload(self.job.params["key"], upload)
        self.store.end_job(self.job.id, self.lease, self.now(), FAILED, {}, error=reason[:500],
                           forget_params=self.job.kind == ERASE)
        return FAILED

    # ---- export: S3 multipart upload, one part per `part_bytes`, the cursor saved after each part ----------------
    def export(self) -> str:
        params, objects, settings = self.job.params, self.jobs.objects, self.jobs.settings
        survey = self.store.get_survey(self.job.survey_id)
        filters = Filters(params["first_day"], params["last_day"], tuple(params["segment"]) or None)
        if not self.progress.get("upload_id"):
            self.progress = {"upload_id": objects.start_upload(params["key"], CONTENT_TYPES[params["fmt"]]),
                             "parts": [], "rows": 0, "bytes": 0}
            if not self.save(""):
                objects.abort_upload(params["key"], self.progress["upload_id"])
                return "skipped"
        if params["fmt"] == "xlsx":
            return self._export_xlsx(survey, filters)
        cursor = saved = self.job.cursor
        buffer = io.BytesIO()  # getvalue() hands its bytes to the upload without a copy: one part in memory
        pending_rows = 0
        if params["fmt"] == "csv" and not self.progress["parts"]:
            buffer.write("".join(lines("csv", survey, [], params["properties"], tz_name=settings.tz_name,
                                        header=True)).encode())
        while True:
            if not self.budget.allows():
                return self.requeue(saved)  # rows after the last part are read again by the next run
            responses, cursor = self.store.response_page(survey.id, filters.first_day, filters.last_day, cursor,
                                                         settings.page_size)
            chosen = [r for r in responses if belongs(r, filters)]
            buffer.write("".join(lines(params["fmt"], survey, chosen, params["properties"],
                                        tz_name=settings.tz_name)).encode())
            pending_rows += len(chosen)
            if not cursor:
                break
            if buffer.tell() >= settings.part_bytes:
                self._upload_part(buffer.getvalue(), pending_rows)
                buffer = io.BytesIO()
                pending_rows = 0
                if not self.save(cursor):
                    return "skipped"  # the lease was lost: another run owns the job now
                saved = cursor
        return self._complete(buffer.getvalue(), pending_rows)

    def _export_xlsx(self, survey: Survey, filters: Filters) -> str:
        """A zip cannot be appended to by a later run: the workbook is written whole (to a temporary file, a row at
        a time), then uploaded by parts; an export that would outlast this run's budget fails and says so."""
        params, settings = self.job.params, self.jobs.settings
        out_of_time = []

        def chosen():
            cursor = ""
            while True:
                if not self.budget.allows():
                    out_of_time.append(True)  # the workbook ends here and is thrown away
                    return
                page, cursor = self.store.response_page(survey.id, filters.first_day, filters.last_day, cursor,
                                                        settings.page_size)
                yield from (r for r in page if belongs(r, filters))
                if not cursor:
                    return
        spool, count = xlsx_file(csv_columns(survey, params["properties"]),
                                 rows(survey, chosen(), params["properties"], tz_name=settings.tz_name))
        if out_of_time:
            spool.close()
            return self.fail("An XLSX file is written in one run and this export needs longer: export CSV instead.")
        with spool:
            while chunk := spool.read(settings.part_bytes):
                self._upload_part(chunk, 0)
        self.progress["rows"] = count
        return self._complete(b"", 0)

    def _upload_part(self, body: bytes, rows: int) -> None:
        number = len(self.progress["parts"]) + 1  # a part uploaded again after a crash replaces its first copy
        etag = self.jobs.objects.upload_part(self.job.params["key"], self.progress["upload_id"], number, body)
        self.progress["parts"] = self.progress["parts"] + [[number, etag]]
        self.progress["rows"] += rows
        self.progress["bytes"] += len(body)

    def _complete(self, last: bytes, rows: int) -> str:
        key, objects = self.job.params["key"], self.jobs.objects
        if last or not self.progress["parts"]:
            self._upload_part(last, rows)
        try:
            objects.complete_upload(key, self.progress["upload_id"], [tuple(p) for p in self.progress["parts"]])
        except NotFound:
            objects.size(key)  # completed by a run that stopped before recording it; NotFound if truly gone
        return self.end({"key": key, "rows": self.progress["rows"], "bytes": self.progress["bytes"],
                         "parts": len(self.progress["parts"])})

    # ---- erasure: the contact index a page at a time; erased entries are dropped, so the next page is the first ----
    def erase(self) -> str:
        contacts, at, key = self.job.params["contacts"], self.job.params["audit_at"], self.jobs.settings.audit_key
        erased = Erasure(**self.progress)
        surveys: dict = {}
        for contact in contacts:
            while True:
                if not self.budget.allows():
                    return self.requeue("")
                entries = self.store.holdings(contact, self.jobs.settings.page_size)
                if not entries:
                    break
                erased += erase_holdings(self.store, contact, entries, at, surveys)
                self.progress = asdict(erased)
                if not self.save(""):
                    return "skipped"
        forget_contacts(self.store, contacts)
        audit_erasure(self.store, key, contacts, self.job.requested_by, at, self.job.id, erased)
        self.progress = asdict(erased)
        return self.end(self.progress)

    # ---- survey deletion: the definition first, then a Scan page at a time (the cursor), then the files ----------
    def delete_survey(self) -> str:
        survey_id = self.job.params["survey_id"]
        self.store.delete_survey_definition(survey_id)  # each run: a crash before the first save left it maybe
        self.progress = {"items": 0, "responses": 0, "comments": 0, "cases": 0, "invitations": 0, "files": 0,
                         "scanned": False} | self.progress
        cursor = self.job.cursor
        while not self.progress["scanned"]:
            if not self.budget.allows():
                return self.requeue(cursor)
            counts, cursor = delete_page(self.store, survey_id, cursor, self.jobs.settings.page_size)
            self.progress = {k: v + counts.get(k, 0) for k, v in self.progress.items()} | {"scanned": not cursor}
            if not self.save(cursor):
                return "skipped"
        buckets = [b for b in (self.jobs.objects, self.jobs.logos) if b is not None]
        files, finished = delete_files(buckets, survey_id, self.budget.allows)
        self.progress["files"] += files
        if not finished:
            return self.requeue("")
        return self.end({k: v for k, v in self.progress.items() if k != "scanned"} | {"title": self.job.params["title"]})

    # ---- relabel: recent comments newest first; the cursor is the first comment not examined yet ----------------
    def relabel(self) -> str:
        done = relabel_recent(self.store, self.store.get_survey(self.job.survey_id), self.budget, self.job.cursor)
        self.progress = {"examined": self.progress.get("examined", 0) + done.examined,
                         "changed": self.progress.get("changed", 0) + done.changed}
        return self.requeue(done.cursor) if done.cursor else self.end(self.progress)

    # ---- import: rows of the uploaded file, a batch at a time; the cursor is the number of rows done ----------
    def import_rows(self) -> str:
        key = self.job.params["key"]
        survey = self.store.get_survey(self.job.survey_id)
        done = int(self.job.cursor or 0)
        self.progress = {"created": 0, "duplicates": 0, "refused": 0, "errors": [], "skipped": 0} | self.progress
        rows = islice(stored_rows(self.jobs.objects.lines(key), self.job.params.get("mapping")), done, None)
        batches = order_batches(rows, self.jobs.settings.import_batch)  # the cursor never falls inside an order
        while True:
            if not self.budget.allows():
                return self.requeue(str(done))
            batch = next(batches, None)
            if batch is None:
                break
            report = import_purchases(self.store, survey, batch, now=self.jobs.clock(),
                                      tz_name=self.jobs.settings.tz_name)
            done += len(batch)
            self.progress = {"created": self.progress["created"] + report.created,
                             "duplicates": self.progress["duplicates"] + report.duplicates,
                             "refused": self.progress["refused"] + len(report.errors),
                             "skipped": self.progress["skipped"] + len(report.skipped),
                             "errors": (self.progress["errors"] + [list(e) for e in report.errors])[:MAX_ERRORS_KEPT]}
            if not self.save(str(done)):
                return "skipped"
        self.jobs.objects.delete(key)  # the customers' contacts do not wait in the bucket once imported
        return self.end(self.progress)
