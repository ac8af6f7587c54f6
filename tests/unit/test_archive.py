import json

import pytest

from pipelines.archive import Archive, ArchiveError, PayloadMeta


def meta(**kw):
    base = {"source": "farside", "endpoint": "all", "url": "https://example.invalid/x", "partition": "2026-02-06",
            "content_type": "text/html", "mode": "simulated", "fetched_at": "2026-02-06T14:00:00Z"}
    return PayloadMeta(**{**base, **kw})


def test_write_is_content_addressed_and_idempotent(tmp_path):
    archive = Archive(tmp_path)
    first = archive.write(b"<table>1</table>", meta(), "html")
    again = archive.write(b"<table>1</table>", meta(fetched_at="2026-02-06T15:00:00Z"), "html")
    other = archive.write(b"<table>2</table>", meta(), "html")
    assert first.path == again.path
    assert other.path != first.path
    assert first.path.parent == tmp_path / "farside" / "2026-02-06"
    assert first.path.name == first.meta.sha256[:16] + ".html"
    sidecar = json.loads(first.path.with_name(first.path.name + ".meta.json").read_text())
    assert set(sidecar) >= {"source", "endpoint", "url", "params", "fetched_at", "partition", "sha256",
                            "content_type", "mode"}
    assert sidecar["fetched_at"] == "2026-02-06T14:00:00Z"  # the stored file is never rewritten
    assert len(archive.list("farside")) == 2


def test_read_verifies_sha256(tmp_path):
    archive = Archive(tmp_path)
    stored = archive.write(b'{"a": 1}', meta(), "json")
    assert stored.read() == b'{"a": 1}'
    stored.path.write_bytes(b'{"a": 2}')
    with pytest.raises(ArchiveError, match="corrupt"):
        archive.list("farside")[0].read()


def test_list_filters_by_partition_window(tmp_path):
    archive = Archive(tmp_path)
    for day in ("2026-02-04", "2026-02-05", "2026-02-06"):
        archive.write(day.encode(), meta(partition=day), "txt")
    from datetime import date

    listed = archive.list("farside", date(2026, 2, 5), date(2026, 2, 5))
    assert [p.meta.partition for p in listed] == ["2026-02-05"]


def test_partial_write_leaves_no_visible_payload(tmp_path):
    archive = Archive(tmp_path)
    stored = archive.write(b"x", meta(), "txt")
    stored.path.with_name(stored.path.name + ".meta.json").unlink()  # as if killed before the meta landed
    assert archive.list("farside") == []


def import_meta(**params):
    return PayloadMeta(source="canonical-csv", endpoint="etf_flows", url="file:///x/etf_flows.csv",
                       partition="2026-02-05", mode="real",
                       params={"dataset": "etf_flows", "first": "2026-02-05", "last": "2026-02-06", **params})


def test_an_imported_file_is_stored_once_and_every_import_of_it_is_recorded(tmp_path):
    archive = Archive(tmp_path)
    data = b"trade_date,ticker,flow_usd,source\n2026-02-05,IBIT,1.0,f\n"
    first = archive.record_import(data, import_meta(), "csv", {"at": "2026-03-01T10:00:00.000001Z", "run_id": "r1"})
    again = archive.record_import(data, import_meta(), "csv", {"at": "2026-03-01T10:00:05.000000Z", "run_id": "r1"})
    later = archive.record_import(data, import_meta(), "csv", {"at": "2026-03-02T09:00:00.000000Z", "run_id": "r2",
                                                                "replace": True})
    assert first.path == again.path == later.path
    assert first.path == tmp_path / "canonical-csv" / "2026-02-05" / f"{first.meta.sha256[:16]}.csv"
    assert first.path.read_bytes() == data
    assert again.meta.params["imports"] == first.meta.params["imports"]  # the same run twice: recorded once
    (listed,) = archive.list("canonical-csv")
    assert [e["run_id"] for e in listed.meta.params["imports"]] == ["r1", "r2"]
    assert listed.meta.fetched_at == "2026-03-02T09:00:00.000000Z"  # the latest import


def test_forgetting_an_import_restores_the_meta_or_removes_the_file(tmp_path):
    archive = Archive(tmp_path)
    data = b"trade_date,ticker,flow_usd,source\n2026-02-05,IBIT,1.0,f\n"
    archive.record_import(data, import_meta(), "csv", {"at": "2026-03-01T10:00:00.000000Z", "run_id": "r1"})
    second = archive.record_import(data, import_meta(), "csv", {"at": "2026-03-02T10:00:00.000000Z", "run_id": "r2"})
    archive.forget_import(second, "r2")
    (listed,) = archive.list("canonical-csv")
    assert [e["run_id"] for e in listed.meta.params["imports"]] == ["r1"]
    assert listed.meta.fetched_at == "2026-03-01T10:00:00.000000Z"
    archive.forget_import(listed, "r1")
    assert archive.list("canonical-csv") == [] and not listed.path.exists()


def test_failed_fetch_responses_are_kept_apart_and_old_metas_still_load(tmp_path):
    archive = Archive(tmp_path)
    good = archive.write(b'{"result": []}', meta(), "json")
    failed = archive.write(b'{"result": []}', meta(fetch_ok=False, fetch_error="boom", http_status=200), "json")
    assert failed.path != good.path and failed.path.name.endswith(".failed.json")  # same bytes, two files
    assert [p.path for p in archive.list("farside")] == [good.path]
    assert {p.path for p in archive.list("farside", include_failed=True)} == {good.path, failed.path}
    assert failed.failed_fetch and not good.failed_fetch
    assert archive.list("farside", include_failed=True)[0].meta.http_status in (None, 200)
    # a meta written before these fields existed
    sidecar = good.path.with_name(good.path.name + ".meta.json")
    old = {k: v for k, v in json.loads(sidecar.read_text()).items() if k not in ("fetch_ok", "fetch_error", "http_status")}
    sidecar.write_text(json.dumps(old))
    reloaded = next(p for p in archive.list("farside", include_failed=True) if p.path == good.path)
    assert reloaded.meta.fetch_ok and reloaded.meta.fetch_error == "" and reloaded.meta.http_status is None
