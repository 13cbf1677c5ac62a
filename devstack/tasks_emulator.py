"""Starts gcloud-tasks-emulator (in its own venv) bound to 127.0.0.1 instead of its hard-coded [::]."""
import sys

import grpc
from gcloud_tasks_emulator import __main__ as cli
from gcloud_tasks_emulator import server

_make_server = grpc.server


def _loopback_server(*args, **kwargs):
    server = _make_server(*args, **kwargs)
    add_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_port(address.replace("[::]", "127.0.0.1"))
    return server


grpc.server = _loopback_server


def _with_backoff(submit):
    """Failed tasks wait RETRY_BACKOFF_S before their next attempt, like a queue with --min-backoff.

    The emulator re-queues a failed task for immediate redelivery and dispatches one task at a time,
    so a task answered 503 ("busy: another delivery is running this job") would be retried in a tight
    loop ahead of every newer task. Cloud Tasks waits at least the queue's min backoff (2 s in deploy.sh).
    """
    import datetime as dt
    import os

    backoff = float(os.environ.get("TASKS_RETRY_BACKOFF_S", "0.5"))

    def submit_task(self, task_name, force_run=False):
        task = submit(self, task_name, force_run)
        failed = task.last_attempt and 400 <= task.last_attempt.response_status.code < 600
        due = task.schedule_time and task.schedule_time.replace(tzinfo=dt.timezone.utc) > dt.datetime.now(dt.timezone.utc)
        if failed and not due and not force_run:
            task.schedule_time = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=backoff)
        return task

    return submit_task


server.QueueState.submit_task = _with_backoff(server.QueueState.submit_task)

if __name__ == "__main__":
    sys.argv = ["gcloud-tasks-emulator", "start", *sys.argv[1:]]
    sys.exit(cli.main())
