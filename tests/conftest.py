"""Every test's Dagster instance is temporary: without DAGSTER_HOME, a run records into the instance
beside its (temporary) warehouse, never into the developer's."""
import pytest


@pytest.fixture(autouse=True)
def _no_dagster_home(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
