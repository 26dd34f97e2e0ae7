"""The request models' own rules, at their boundaries: a bounding box in range and in order, the
comma-separated filters, a statistics period given as a day or an instant, the text check, and
a fix's datum conversion. Every refusal names its field (as the API's 422 does)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from dispatch.errors import ValidationFailed
from dispatch.model import Category, Status
from geo.crs import to_wgs84
from mobile_api import schemas as s
from mobile_api.validation import validate

BEIJING = timezone(timedelta(hours=8))
BBOX_MESSAGE = "minLon,minLat,maxLon,maxLat out of range or min above max"


def _refused(model: type[s.Strict], data: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        validate(model, data)
    return [(e.field, e.message) for e in refused.value.errors]


# -- the bounding box ---------------------------------------------------------------------------

@pytest.mark.parametrize("bbox", [
    (-180.0, -90.0, 180.0, 90.0),           # the whole earth
    (112.5, 35.0, 112.5, 35.0),             # a point: min equal to max
    (-180.0, 35.0, -180.0, 35.1),
    (179.0, -90.0, 180.0, -90.0),
])
def test_a_bounding_box_within_the_earth_with_min_not_above_max_is_accepted(bbox: tuple[
        float, float, float, float]) -> None:
    assert s._bbox_in_range(bbox) == bbox
    text = ",".join(str(v) for v in bbox)
    assert validate(s.IncidentListQuery, {"bbox": text}).bbox == bbox
    assert validate(s.MapQuery, {"bbox": text}).bbox == bbox


EPS = 1e-9


@pytest.mark.parametrize("bbox", [
    (-180.0 - EPS, 35.0, 112.0, 35.1),      # west of the antimeridian
    (112.0, 35.0, 180.0 + EPS, 35.1),       # east of it
    (112.0 + EPS, 35.0, 112.0, 35.1),       # min lon above max lon
    (112.0, -90.0 - EPS, 112.1, 35.1),      # south of the pole
    (112.0, 35.0, 112.1, 90.0 + EPS),       # north of the pole
    (112.0, 35.0 + EPS, 112.1, 35.0),       # min lat above max lat
])
def test_a_bounding_box_off_the_earth_or_upside_down_is_refused(bbox: tuple[
        float, float, float, float]) -> None:
    with pytest.raises(ValueError, match=f"^{BBOX_MESSAGE}$"):
        s._bbox_in_range(bbox)
    text = ",".join(repr(v) for v in bbox)
    assert _refused(s.IncidentListQuery, {"bbox": text}) == [("bbox", BBOX_MESSAGE)]
    assert _refused(s.MapQuery, {"bbox": text}) == [("bbox", BBOX_MESSAGE)]


def test_no_bounding_box_is_no_filter() -> None:
    assert s._bbox_in_range(None) is None
    assert validate(s.MapQuery, {}).bbox is None


# -- the comma-separated filters ----------------------------------------------------------------

def test_a_comma_separated_filter_is_split_and_trimmed_and_empty_parts_dropped() -> None:
    assert s._split_commas(" reported, on_site,, ") == ["reported", "on_site"]
    assert s._split_commas(",") == []
    already = ["reported"]
    assert s._split_commas(already) is already
    query = validate(s.IncidentListQuery, {"status": "reported, on_site", "category": "power_cut"})
    assert (query.status, query.category) == ([Status.REPORTED, Status.ON_SITE],
                                              Category.POWER_CUT)
    assert _refused(s.IncidentListQuery, {"status": "reported,lost"})[0][0] == "status.1"


# -- a statistics period: a day or an instant ---------------------------------------------------

DATE_MESSAGE = "a date YYYY-MM-DD or an ISO 8601 datetime with an offset"


def test_a_day_is_read_as_a_date_and_an_instant_in_utc() -> None:
    assert s._date_or_instant("2026-11-01") == date(2026, 11, 1)
    instant = s._date_or_instant("2026-11-01T08:00:00+08:00")
    assert (instant, instant.tzinfo) == (datetime(2026, 11, 1, tzinfo=UTC), UTC)
    query = validate(s.StatsQuery, {"from": "2026-11-01", "to": "2026-12-01T00:00:00Z",
                                    "format": "csv"})
    assert (query.from_, query.to, query.format) == (
        date(2026, 11, 1), datetime(2026, 12, 1, tzinfo=UTC), "csv")


def test_a_date_or_a_datetime_given_as_one_is_kept() -> None:
    day, instant = date(2026, 11, 1), datetime(2026, 11, 1, 8, tzinfo=BEIJING)
    assert s._date_or_instant(day) is day
    assert s._date_or_instant(instant) is instant


@pytest.mark.parametrize("value,message", [
    (20261101, DATE_MESSAGE),
    ([2026, 11, 1], DATE_MESSAGE),
    ("2026-13-01", DATE_MESSAGE),                       # ten characters, not a day
    ("2026-11-01T25:00:00+08:00", DATE_MESSAGE),
    ("yesterday", DATE_MESSAGE),
    ("2026-11-01T08:00:00", "a datetime needs an offset (e.g. +08:00 or Z)"),
    ("2026-11-01 08:00", "a datetime needs an offset (e.g. +08:00 or Z)"),
    ("0001-01-01T00:00:00+14:00", "out of range once converted to UTC"),
])
def test_anything_else_is_refused_saying_what_is_expected(value: object, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        s._date_or_instant(value)
    assert str(refused.value) == message
    assert _refused(s.StatsQuery, {"to": value}) == [("to", message)]


def test_the_time_of_a_request_is_kept_as_the_same_instant_in_utc() -> None:
    at = datetime(2026, 11, 27, 10, tzinfo=BEIJING)
    assert (s._utc(at), s._utc(at).tzinfo) == (datetime(2026, 11, 27, 2, tzinfo=UTC), UTC)


# -- the text check -----------------------------------------------------------------------------

def test_the_text_check_refuses_by_kind_of_field_and_passes_what_is_not_text() -> None:
    assert s._text("a\tb", one_line=False) == "a\tb"
    with pytest.raises(ValueError, match="^contains a tab \\(U\\+0009\\), which is not accepted "
                                         "in a one-line field$"):
        s._text("a\tb", one_line=True)
    with pytest.raises(ValueError, match="U\\+000B"):
        s._text("a\x0bb", one_line=False)
    assert s._text(12, one_line=True) == 12
    assert _refused(s.SiteCreate, {"name": "a\tb", "location": {"lat": 35.0, "lon": 112.6}}
                    )[0][0] == "name"
    assert validate(s.NoteRequest, {"note": "a\tb"}).note == "a\tb"


# -- a fix's datum ------------------------------------------------------------------------------

@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_a_fix_in_a_chinese_datum_is_converted_to_wgs84(crs: str) -> None:
    fix = validate(s.LocationIn, {"lat": 35.05, "lon": 112.6, "crs": crs})
    lon, lat = to_wgs84(112.6, 35.05, crs)
    point = fix.wgs84_point()
    assert (point.x, point.y) == (float(lon), float(lat))
    assert (point.x, point.y) != (112.6, 35.05)
    assert validate(s.LocationIn, {"lat": 35.05, "lon": 112.6}).wgs84_point().coords[0] == (
        112.6, 35.05)
