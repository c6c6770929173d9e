"""Export of a large survey through the owner job (`survey-app export`, which runs the same job the dashboard
queues) from DynamoDB Local to S3 (a moto server on its own port), in a fresh process per survey size: responses per
second and the process's peak memory (its own VmHWM), which must stay flat as the survey grows: the job holds one
8 MB part at a time, never the export. Every row of the S3 object is counted afterwards.

The peak is the child's own VmHWM, not wait4's ru_maxrss: Linux carries a parent's high-water mark into its child
across fork and exec (see common.CLI_WITH_PEAK), so a child of this process, grown by seeding, used to be reported at this
process's peak. The part is a BytesIO whose getvalue() hands its bytes to the upload uncopied (a bytearray and
bytes(buffer) held each part twice); tests/integration/test_export_memory.py holds the job's own allocations under
1.5x the part at every upload."""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import boto3
from common import (CLI_WITH_PEAK, REGION, ROOT, app_environment, dynamodb_local, free_port, new_store, peak_kb_of,
                    print_result, row, seed_survey)

BUCKET = "bench-exports"


def seed_responses(store, survey, count: int) -> None:
    """`count` answered responses over 90 days, with a comment on every other one, by the bulk history loader."""
    from survey_app.services import PastAnswer, import_history

    now = datetime.now(timezone.utc)
    import_history(store, survey, (
        PastAnswer(answers={"nps": i % 11, **({"reason": f"Pengiriman cepat, barang bagus nomor {i}"} if i % 2 else {})},
                   language="id", submitted_at=now - timedelta(minutes=i * 90 * 1440 / count),
                   customer_name=f"Pelanggan {i}", properties={"product": "Kopi Gayo 250g", "store": "Bandung"})
        for i in range(count)), "Asia/Jakarta")


def export_once(store, survey, s3_endpoint: str) -> tuple[float, int, str]:
    """(seconds, peak resident KB, S3 key) of one CLI run (`survey-app export`), measured on the child alone."""
    env = app_environment(store) | {"SURVEY_EXPORTS_BUCKET": BUCKET, "AWS_ENDPOINT_URL_S3": s3_endpoint}
    command = [sys.executable, "-c", CLI_WITH_PEAK, "export", "--survey", survey.id, "--format", "csv"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors = process.communicate()[1].decode()
    seconds = time.perf_counter() - started
    if process.returncode != 0 or "s3://" not in errors:
        raise RuntimeError(f"export failed: {errors[-500:]}")
    return seconds, peak_kb_of(errors), errors.split(f"s3://{BUCKET}/")[1].split()[0]


def count_rows(s3, key: str) -> int:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return sum(1 for _ in csv.DictReader(io.StringIO(body)))


def run(quick: bool = False) -> dict:
    from moto.server import ThreadedMotoServer

    sizes = (1_000, 10_000) if quick else (10_000, 100_000)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    s3_endpoint = f"http://127.0.0.1:{port}"
    results = {}
    try:
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=s3_endpoint)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        with dynamodb_local() as endpoint:
            for count in sizes:
                store = new_store(endpoint)
                survey = seed_survey(store)
                seed_responses(store, survey, count)
                seconds, peak_kb, key = export_once(store, survey, s3_endpoint)
                (job,) = store.recent_jobs(survey.id)
                written = count_rows(s3, key)
                if written != count or job.result["rows"] != count:
                    raise RuntimeError(f"{count} responses, {written} rows in S3, job says {job.result['rows']}")
                results[count] = (seconds, peak_kb, job.result["bytes"], job.result["parts"], job.runs)
    finally:
        server.stop()
    small, large = sizes[0], sizes[-1]
    memory_ratio = results[large][1] / results[small][1]
    rows_out = [row(f"Export job, {n:,} responses to S3",
                    f"{n / s:.0f} responses/s ({s:.0f} s), {b / 1024 / 1024:.1f} MB in {parts} part(s), "
                    f"{runs} run(s), peak {kb / 1024:.0f} MB")
                for n, (s, kb, b, parts, runs) in results.items()]
    rows_out.append(row(f"Export job peak memory, {large:,} vs {small:,} responses",
                        f"{results[large][1] / 1024:.0f} MB", f"{results[small][1] / 1024:.0f} MB",
                        f"{memory_ratio:.2f}x", "flat (≤ 1.2x)", memory_ratio <= 1.2))
    notes = ["time includes the CLI's own start-up (~2 s); each run has the jobs function's budget "
             "(SURVEY_JOB_DEFAULT_SECONDS, 240 s, less a 30 s margin) and saves its cursor after every 8 MB part, "
             "so a longer export continues in a next run instead of being killed",
             "every row in the S3 object is counted after the run and must equal the responses seeded; "
             "S3 is a moto server (no network latency): on AWS each 8 MB part upload adds its transfer time",
             f"what the flat target can see: the {large:,}-response export is {results[large][2] / 2**20:.1f} MB, so a "
             f"job that held the whole export instead of one part would peak about "
             f"{(results[large][1] * 1024 + results[large][2]) / (results[small][1] * 1024):.2f}x the "
             f"{small:,}-response run"]
    return {"rows": rows_out, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 responses")
    print_result(run(**vars(parser.parse_args())))
