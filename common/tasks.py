"""Cloud Tasks: one task per job, named after it so production de-duplicates re-enqueues."""
from __future__ import annotations

import datetime as dt
import functools
import json

from common import auth
from common.config import get_settings
from common.errors import Unavailable


@functools.lru_cache(maxsize=1)
def client():
    from google.cloud import tasks_v2

    settings = get_settings()
    if settings.cloud_tasks_emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(settings.cloud_tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def enqueue_scan(job_id: str, delay_s: float = 0) -> None:
    """Ask Cloud Tasks to POST {job_id} to run_scan's task entry point."""
    from google.api_core import exceptions as gexc
    from google.cloud import tasks_v2
    from google.protobuf import timestamp_pb2

    settings = get_settings()
    queue = client().queue_path(settings.google_cloud_project, settings.tasks_region, settings.tasks_queue)
    http_request = {
        "http_method": tasks_v2.HttpMethod.POST,
        "url": settings.run_scan_task_url,
        "headers": {"Content-Type": "application/json", **auth.internal_headers()},
        "body": json.dumps({"job_id": job_id}).encode(),
    }
    if settings.tasks_service_account:
        http_request["oidc_token"] = {"service_account_email": settings.tasks_service_account,
                                      "audience": settings.run_scan_task_url}
    task = {"name": f"{queue}/tasks/scan-{job_id}", "http_request": http_request,
            # Cloud Run functions may run up to 60 min; the default 10 min deadline would re-deliver mid-run.
            "dispatch_deadline": {"seconds": 1800}}
    if delay_s:
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay_s))
        task["schedule_time"] = ts
    try:
        client().create_task(parent=queue, task=task, timeout=10)
    except gexc.AlreadyExists:
        pass  # the job's task exists already: that is the point of naming it
    except (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError) as exc:
        raise Unavailable(f"could not enqueue the scan: {exc}", code="QUEUE_UNAVAILABLE") from None
