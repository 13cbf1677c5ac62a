"""Starts gcloud-tasks-emulator (in its own venv) bound to 127.0.0.1 instead of its hard-coded [::]."""
import sys

import grpc
from gcloud_tasks_emulator import __main__ as cli

_make_server = grpc.server


def _loopback_server(*args, **kwargs):
    server = _make_server(*args, **kwargs)
    add_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_port(address.replace("[::]", "127.0.0.1"))
    return server


grpc.server = _loopback_server

if __name__ == "__main__":
    sys.argv = ["gcloud-tasks-emulator", "start", *sys.argv[1:]]
    sys.exit(cli.main())
