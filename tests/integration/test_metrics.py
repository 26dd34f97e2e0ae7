"""`/metrics` during a small scenario, on PostGIS and SQLite: each figure against the API's own
answer (the map's states, the overdue list, the sockets connected, the requests made), and who
may read it (addresses behind trusted proxies, the bearer token)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch import deadlines
from dispatch.storage import tables as t
from server.channels import NAMESPACE
from tests.helpers import KEJING, ZHICHENG, count_rows, report

COMMANDER = "demo-commander"


def scrape(client, **environ: Any) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:  # type: ignore[no-untyped-def]
    """The samples of one scrape: {sample name: {sorted labels: value}}."""
    client.application.extensions["metrics"].figures.forget()
    r = client.get("/metrics", environ_base=environ)
    assert r.status_code == 200, r.data
    assert r.mimetype == "text/plain"
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def by(samples: dict[tuple[tuple[str, str], ...], float], *keys: str) -> Counter[Any]:
    """Sum a family's samples by the labels named."""
    total: Counter[Any] = Counter()
    for labels, value in samples.items():
        d = dict(labels)
        total[tuple(d[k] for k in keys) if len(keys) > 1 else d[keys[0]]] += value
    return Counter({k: v for k, v in total.items() if v})


def one(m: dict[str, Any], name: str, **labels: str) -> float:
    return m.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def _map(client, login) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/map/incidents", headers=login(COMMANDER))
    assert r.status_code == 200
    return [f["properties"] for f in r.get_json()["features"]]


def test_every_figure_matches_the_apis_answer(app, client, login, ctx, clock):  # type: ignore[no-untyped-def]
    from server.extensions import socketio

    before = scrape(client)
    ctx.relay.start()
    try:
        # Three reports, 5 and 20 minutes apart: at 30 min 1 s the first is overdue, the
        # second near (its arrival warning, 10 min before its deadline, passed), the third on
        # time; a fourth in 克井 is accepted, then restored.
        reporter = login("demo-reporter")
        first = report(client, reporter).get_json()
        clock.advance(minutes=5)
        report(client, reporter, category="water_cut")
        clock.advance(minutes=15)
        third = report(client, reporter, category="road_blocked").get_json()
        kejing = report(client, reporter, code=KEJING).get_json()
        assert client.post(f"/api/v1/incidents/{kejing['id']}/accept",
                           headers=login(f"officer-{KEJING}")).status_code == 200
        clock.advance(minutes=10, seconds=1)
        refused = client.post("/api/v1/auth/token", json={"username": COMMANDER,
                                                          "password": "wrong"})
        assert refused.status_code == 401

        officer = socketio.test_client(app, namespace=NAMESPACE, auth={
            "token": client.post("/api/v1/auth/token", json={
                "username": f"officer-{ZHICHENG}", "password": "demo"}).get_json()[
                    "access_token"]})
        commander = socketio.test_client(app, namespace=NAMESPACE, auth={
            "token": login(COMMANDER)["Authorization"].split()[1]})
        assert officer.is_connected(NAMESPACE) and commander.is_connected(NAMESPACE)

        m = scrape(client)
        features = _map(client, login)
        # Open cases by status and by clock state: the map's own judgement, case for case.
        assert by(m["jiyuan311_open_cases"], "status", "state") == Counter(
            (f["status"], f["state"]) for f in features)
        assert by(m["jiyuan311_open_cases"], "state")["overdue"] == 1
        assert by(m["jiyuan311_open_cases"], "state")["near"] >= 1
        assert by(m["jiyuan311_unit_open_cases"], "unit", "state") == Counter(
            (u["code"], f["state"]) for f in features for u in f["units"])
        # Near and overdue: the map's, and the overdue list's (`?overdue=true`, open cases).
        states = Counter(f["state"] for f in features)
        assert one(m, "jiyuan311_cases_near") == states["near"]
        assert one(m, "jiyuan311_cases_overdue") == states["overdue"]
        listed = client.get("/api/v1/incidents?overdue=true&per_page=100",
                            headers=login(COMMANDER)).get_json()
        assert one(m, "jiyuan311_cases_overdue") == listed["total"] == 1
        assert listed["items"][0]["id"] == first["id"]
        # Sockets by role: the two connected here.
        assert one(m, "jiyuan311_sockets", role="officer") == 1
        assert one(m, "jiyuan311_sockets", role="commander") == 1
        assert one(m, "jiyuan311_sockets", role="reporter") == 0
        # The timers due and unfired: the database's count; their lateness once fired.
        due = _due(ctx, clock)
        assert due > 0 and one(m, "jiyuan311_timers_due_unfired") == due
        # The log's last seq and the relay, which pushed every event from memory: no lag.
        assert one(m, "jiyuan311_event_log_seq") == third_seq(ctx)
        assert one(m, "jiyuan311_relay_lag_events") == 0
        # Requests by route (the URL rule) and status; sign-in refusals.
        reports = ("/api/v1/incidents", "POST", "201")
        assert (one(m, "jiyuan311_http_requests_total", route=reports[0], method="POST",
                    status="201") - one(before, "jiyuan311_http_requests_total",
                                        route=reports[0], method="POST", status="201")) == 4
        accept = "/api/v1/incidents/<incident_id>/accept"
        assert one(m, "jiyuan311_http_requests_total", route=accept, method="POST",
                   status="200") >= 1
        assert not [labels for labels in m["jiyuan311_http_requests_total"]
                    if kejing["id"] in dict(labels)["route"]], "raw paths are not routes"
        assert (one(m, "jiyuan311_signin_refusals_total", status="401")
                - one(before, "jiyuan311_signin_refusals_total", status="401")) == 1
        assert one(m, "jiyuan311_http_request_duration_seconds_count", route=reports[0],
                   method="POST") >= 4
        assert one(m, "jiyuan311_db_pool_size") > 0
        assert one(m, "jiyuan311_scrape_ok", source="database") == 1

        # The timers fire (as the sweep does): none left due, each one's lateness observed,
        # and the relay that has not tailed the log yet shows the new events as its lag.
        relayed, watermark = ctx.relay.sent_seq, ctx.relay.watermark
        ctx.relay.watermark = None  # a relay that stopped meanwhile
        fired = deadlines.fire_due_timers(ctx)
        ctx.relay.watermark = watermark
        m = scrape(client)
        # (a repeated offer catching up is due again at once: what is left is the database's)
        assert fired >= due and one(m, "jiyuan311_timers_due_unfired") == _due(ctx, clock) < due
        lateness = "jiyuan311_timer_lateness_seconds_count"
        assert sum(m[lateness].values()) - sum(before.get(lateness, {}).values()) == fired
        assert relayed is not None
        assert one(m, "jiyuan311_relay_lag_events") == third_seq(ctx) - relayed > 0
        ctx.relay.flush()
        assert one(scrape(client), "jiyuan311_relay_lag_events") == 0

        officer.disconnect(namespace=NAMESPACE)
        m = scrape(client)
        assert one(m, "jiyuan311_sockets", role="officer") == 0
        assert one(m, "jiyuan311_sockets", role="commander") == 1
        commander.disconnect(namespace=NAMESPACE)
        assert third["id"]
    finally:
        ctx.relay.watermark = None


def _due(ctx, clock) -> int:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    with ctx.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.timers).where(
            t.timers.c.fired_at.is_(None), t.timers.c.due_at <= clock.now)).scalar_one())


def third_seq(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return uow.events.last_seq()


def test_the_scrape_keeps_its_database_figures_a_few_seconds(client, login, ctx):  # type: ignore[no-untyped-def]
    """Cached per process (DISPATCH_METRICS_CACHE_SECONDS, 5 s): a scrape right after another
    reads the log's seq again but not the cases."""
    figures = client.application.extensions["metrics"].figures
    figures.forget()
    client.get("/metrics")
    report(client, login("demo-reporter"))
    r = client.get("/metrics").get_data(as_text=True)
    assert "jiyuan311_open_cases{" not in r  # the case is not in the kept figures yet
    figures.forget()
    assert 'jiyuan311_open_cases{state="on_time",status="dispatched"} 1.0' in client.get(
        "/metrics").get_data(as_text=True)
    assert count_rows(ctx, t.incidents) == 1


# -- who may read them --------------------------------------------------------------------------
@pytest.mark.parametrize(("address", "served"), [
    ("127.0.0.1", True), ("::1", True), ("10.1.2.3", True), ("172.16.0.9", True),
    ("172.31.255.255", True), ("192.168.1.20", True), ("fd00::5", True),
    ("::ffff:10.0.0.7", True), ("172.32.0.1", False), ("203.0.113.5", False),
    ("8.8.8.8", False), ("2001:db8::1", False), ("::ffff:8.8.8.8", False), ("0.0.0.0", False),
    ("", False), ("not-an-address", False),
])
def test_without_a_token_only_internal_addresses_are_served(client, address, served):  # type: ignore[no-untyped-def]
    r = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert r.status_code == (200 if served else 403)
    if not served:
        assert r.mimetype == "application/problem+json"
        assert b"jiyuan311" not in r.data


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory, clock):  # type: ignore[no-untyped-def]
    """An app behind one trusted proxy (as in docker-compose.yml), on SQLite."""
    from tests.integration.test_headers import side_app

    with side_app() as build:
        app = build(TESTING=True, SECRET_KEY="s", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                    INSTANCE_PATH=str(tmp_path_factory.mktemp("proxied")), CLOCK=clock,
                    TRUSTED_PROXY_HOPS=1)
        yield app.test_client()


@pytest.mark.parametrize(("peer", "forwarded", "served"), [
    # The load balancer (a private peer) reports a client on the internet: refused.
    ("10.0.0.2", "203.0.113.5", False),
    # A client that forges an internal address first: the proxy appends the real one.
    ("10.0.0.2", "127.0.0.1, 203.0.113.5", False),
    ("10.0.0.2", "10.9.9.9", True),  # an internal client through the balancer
    # Prometheus scraping the web process directly (no proxy, no header).
    ("10.0.0.3", None, True),
])
def test_behind_a_proxy_the_client_it_reports_is_judged(behind_proxy, peer, forwarded, served):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    r = behind_proxy.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": peer})
    assert r.status_code == (200 if served else 403)


@pytest.fixture(scope="module")
def with_token(tmp_path_factory, clock):  # type: ignore[no-untyped-def]
    from tests.integration.test_headers import side_app

    with side_app() as build:
        app = build(TESTING=True, SECRET_KEY="s", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                    INSTANCE_PATH=str(tmp_path_factory.mktemp("tokened")), CLOCK=clock,
                    METRICS_TOKEN="s3cret-metrics-token")
        yield app.test_client()


@pytest.mark.parametrize(("authorization", "address", "status"), [
    ("Bearer s3cret-metrics-token", "203.0.113.5", 200),   # the token, from anywhere
    ("bearer s3cret-metrics-token", "127.0.0.1", 200),
    (None, "127.0.0.1", 401),                              # with a token set, loopback too
    ("Bearer s3cret-metrics-toke", "127.0.0.1", 401),      # one character short
    ("Bearer s3cret-metrics-tokenx", "127.0.0.1", 401),    # one past it
    ("Basic s3cret-metrics-token", "127.0.0.1", 401),
    ("Bearer ", "10.0.0.1", 401),
])
def test_with_a_token_the_token_alone_opens_them(with_token, authorization, address, status):  # type: ignore[no-untyped-def]
    headers = {"Authorization": authorization} if authorization else {}
    r = with_token.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert r.status_code == status
    if status == 401:
        assert r.get_json()["errors"][0]["field"] == "Authorization"


def test_the_sweep_beats_and_a_late_timer_is_observed(ctx, client, login, clock):  # type: ignore[no-untyped-def]
    from server.realtime import sweep

    report(client, login("demo-reporter"))
    clock.advance(minutes=31)
    sweep(ctx, "web")
    m = scrape(client)
    assert one(m, "jiyuan311_sweep_last_success_timestamp_seconds", process="web") > 0
    # The arrival's overdue timer, due at 30 min and a microsecond, fired a minute late.
    buckets = m["jiyuan311_timer_lateness_seconds_bucket"]
    assert one(m, "jiyuan311_timer_lateness_seconds_count", kind="overdue") >= 2
    assert buckets[(("kind", "overdue"), ("le", "30.0"))] < buckets[
        (("kind", "overdue"), ("le", "60.0"))]
    assert one(m, "jiyuan311_timers_due_unfired") == _due(ctx, clock)
