"""The metrics, alerts and dashboard deploy.sh creates (monitoring/) name what the code logs."""
from __future__ import annotations

import json
import re

from tests.support import ROOT, log_metrics

MONITORING = ROOT / "monitoring"


def test_every_metric_counts_log_lines_the_code_writes_and_every_alert_and_chart_names_a_metric_and_label():
    metrics = log_metrics()
    source = "\n".join(p.read_text() for p in (ROOT / "common").rglob("*.py"))
    for name, metric in metrics.items():
        messages = re.findall(r'"([^"]*)"', re.search(r"jsonPayload\.message=(\([^)]*\)|\"[^\"]*\")",
                                                       metric["filter"]).group(1))
        for message in messages:
            assert re.search(r'log\.(info|warning|error|exception)\(\s*"' + re.escape(message) + '"', source), \
                (name, message)
        assert {label["key"] for label in metric["metricDescriptor"]["labels"]} == set(metric["labelExtractors"])
    documents = [json.loads(p.read_text()) for p in sorted((MONITORING / "policies").glob("*.json"))]
    documents.append(json.loads((MONITORING / "dashboard.json").read_text()))
    filters = re.findall(r'metric\.type=\\"logging\.googleapis\.com/user/([a-z_]+)\\"((?:[^"\\]|\\.)*)',
                         json.dumps(documents))
    assert {m for m, _ in filters} == set(metrics)  # every metric charted or alerted on, none unknown
    for metric, rest in filters:
        labels = {label["key"] for label in metrics[metric]["metricDescriptor"]["labels"]}
        assert set(re.findall(r"metric\.label\.([a-z_]+)", rest)) <= labels, (metric, rest)
    for group in re.findall(r'"metric\.label\.([a-z_]+)"', json.dumps(documents)):
        assert any(group in metrics[m]["labelExtractors"] for m in metrics), group
