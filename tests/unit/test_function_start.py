"""What a function does at start, in a fresh interpreter: it imports only what it uses, and a missing
variable stops it, named."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT


def _imports_after_loading(function: str, env: dict) -> subprocess.CompletedProcess:
    code = (f"import sys, runpy; runpy.run_path('functions/{function}/main.py'); "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('boto3', 'PIL', 'google') and (m.startswith('google.genai') or '.' not in m))))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_signed_url_and_events_never_import_genai_boto3_or_pillow():
    env = {"UPLOAD_BUCKET": "b", "UPLOAD_NAME_SECRETS": "k"}
    for function in ("signed_url", "events"):
        out = _imports_after_loading(function, env)
        assert out.returncode == 0, out.stderr
        loaded = out.stdout.split()
        assert "boto3" not in loaded and "PIL" not in loaded and "google.genai" not in loaded, (function, loaded)


def test_a_function_missing_a_required_variable_refuses_to_start_and_names_it():
    env = {k: v for k, v in os.environ.items() if k not in ("UPLOAD_BUCKET", "R2_ENDPOINT")}
    out = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('functions/run_scan/main.py')"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, env={**env, "PYTHONPATH": str(ROOT)})
    assert out.returncode != 0
    assert "UPLOAD_BUCKET" in out.stderr and "R2_ENDPOINT" in out.stderr
