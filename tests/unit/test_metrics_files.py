"""The scrape of a gunicorn's workers' figures survives their births and deaths: a starting
worker's file is empty for a moment and a dead worker's live gauges are deleted between the
listing and the read; either once made `/metrics` answer 500 (prometheus/client_python#1199)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from server.metrics import SettledFiles


def _counted(folder: Path, pid: int, value: float) -> None:
    d = MmapedDict(str(folder / f"counter_{pid}.db"))
    d.write_value(mmap_key("jiyuan311_x", "jiyuan311_x_total", [], [], "x"), value, 0.0)
    d.close()


def _total(registry: CollectorRegistry) -> float:
    return sum(s.value for f in registry.collect() for s in f.samples if f.name == "jiyuan311_x")


def test_a_starting_workers_empty_file_is_read_as_nothing_yet(tmp_path: Path) -> None:
    _counted(tmp_path, 101, 3.0)
    (tmp_path / "counter_102.db").touch()  # created, not yet sized
    registry = CollectorRegistry()
    SettledFiles(registry, str(tmp_path))
    assert _total(registry) == 3.0


def test_a_file_deleted_during_the_read_makes_the_listing_be_taken_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _counted(tmp_path, 101, 3.0)
    _counted(tmp_path, 102, 4.0)
    real = SettledFiles.merge
    calls: list[int] = []

    def deleted_once(files, accumulate=True):  # type: ignore[no-untyped-def]
        calls.append(len(files))
        if len(calls) == 1:
            (tmp_path / "counter_102.db").unlink()  # child_exit, between glob and open
            raise FileNotFoundError(files[-1])
        return real(files, accumulate)

    monkeypatch.setattr(SettledFiles, "merge", staticmethod(deleted_once))
    registry = CollectorRegistry()
    SettledFiles(registry, str(tmp_path))
    assert _total(registry) == 3.0 and calls == [2, 1]


def test_a_folder_that_keeps_losing_files_fails_after_three_listings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _counted(tmp_path, 101, 3.0)
    calls: list[int] = []

    def always(files, accumulate=True):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise FileNotFoundError(files[0])

    monkeypatch.setattr(SettledFiles, "merge", staticmethod(always))
    registry = CollectorRegistry()
    SettledFiles(registry, str(tmp_path))
    with pytest.raises(FileNotFoundError):
        list(registry.collect())
    assert len(calls) == 3
