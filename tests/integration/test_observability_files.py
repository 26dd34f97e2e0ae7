"""deploy/'s observability files hold: the alert rules and the scrape configuration pass promtool
(Debian's prometheus package, installed by scripts/ensure-tools.sh), each alert fires on the series
that should fire it (promtool's rule tests), and every expression of the dashboard and the rules
names a metric the product exports, while every metric it exports has a panel."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from server import metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HISTOGRAMS = ("jiyuan311_http_request_duration_seconds", "jiyuan311_timer_lateness_seconds")
NAME = re.compile(r"\bjiyuan311_[a-z0-9_]+")


def exported() -> set[str]:
    """The sample names the product exports (a histogram's as its buckets, count and sum)."""
    names = set(metrics.NAMES)
    for h in HISTOGRAMS:
        names |= {h + "_bucket", h + "_count", h + "_sum"}
    return names


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is required: run scripts/ensure-tools.sh (make tools)")
    return subprocess.run([tool, *args], cwd=DEPLOY, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args", [
    ("check", "rules", "prometheus-rules.yml"),
    ("check", "config", "prometheus.yml"),
    ("test", "rules", "prometheus-rules.test.yml"),
])
def test_promtool_accepts_the_rules_and_the_config(args: tuple[str, ...]) -> None:
    done = promtool(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_promtool_bites() -> None:
    """The check is real: a rule with a broken expression is refused."""
    broken = DEPLOY / "broken-rules.test-tmp.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n"
                      "        expr: max(jiyuan311_cases_overdue\n")
    try:
        assert promtool("check", "rules", broken.name).returncode != 0
    finally:
        broken.unlink()


def _rule_exprs() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus-rules.yml").read_text())
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


def test_the_alerts_the_issue_asks_for_are_there() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus-rules.yml").read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert {"OverdueCasesRising", "RelayLagging", "TimerBacklog", "NoScheduler"} <= set(alerts)
    assert "jiyuan311_sweep_last_success_timestamp_seconds" in alerts["NoScheduler"]["expr"]
    assert "absent(" in alerts["NoScheduler"]["expr"]  # no process sweeping at all fires too


def test_the_dashboard_is_grafana_json_and_names_only_exported_metrics() -> None:
    dash = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert dash["title"] and dash["uid"] and dash["schemaVersion"] >= 30
    panels = dash["panels"]
    assert len({p["id"] for p in panels}) == len(panels) >= 12
    used: set[str] = set()
    for panel in panels:
        assert panel["title"] and panel["type"] in {"timeseries", "stat", "bargauge", "gauge"}
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
        assert panel["datasource"]["type"] == "prometheus"
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = set(NAME.findall(target["expr"]))
            assert names, (panel["title"], target["expr"])
            assert names <= exported(), (panel["title"], names - exported())
            used |= names
    for expr in _rule_exprs():
        assert set(NAME.findall(expr)) <= exported(), expr
    # Every family the product exports has a panel (a histogram through its buckets).
    families = {n.removesuffix("_bucket") for n in used}
    assert set(metrics.NAMES) - families == set()


def test_the_dashboards_panels_are_the_ones_exported_by_a_scrape(client) -> None:  # type: ignore[no-untyped-def]
    """The names the test above checks against are what /metrics really sends (those it can
    send without Redis or a sweep)."""
    from prometheus_client.parser import text_string_to_metric_families

    assert client.get("/healthz").status_code == 200  # a request timed before the scrape
    sent = {s.name for f in text_string_to_metric_families(
        client.get("/metrics").get_data(as_text=True)) for s in f.samples}
    sent |= {f.name for f in text_string_to_metric_families(
        client.get("/metrics").get_data(as_text=True))}
    expected = exported() - {"jiyuan311_rq_jobs", "jiyuan311_relay_lag_events",
                             "jiyuan311_relay_seq", "jiyuan311_timer_lateness_seconds_bucket",
                             "jiyuan311_timer_lateness_seconds_count",
                             "jiyuan311_timer_lateness_seconds_sum",
                             "jiyuan311_sweep_last_success_timestamp_seconds",
                             "jiyuan311_signin_refusals_total", "jiyuan311_open_cases",
                             "jiyuan311_unit_open_cases", *HISTOGRAMS,
                             "jiyuan311_timer_lateness_seconds"}
    assert expected - sent == set()


def test_the_kubernetes_probes_use_liveness_and_readiness_as_documented() -> None:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s-probes.yaml").read_text()) if d]
    assert len(docs) == 3
    web, scheduler, worker = docs
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 5000}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 5000}
    assert scheduler["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 9100}
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 9100}
