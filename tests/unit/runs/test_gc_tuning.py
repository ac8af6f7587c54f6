"""The collector around what a process loads once: off while it loads, then the loaded objects frozen
out of later collections, and the collector enabled again; the code location loads that way."""
import json
import subprocess
import sys

CODE = """
import gc, json
from pipelines.runs import gc_tuning
frozen_before = gc.get_freeze_count()
with gc_tuning.frozen_after_loading():
    during = gc.isenabled()
    kept = [[i] for i in range(10_000)]
print(json.dumps({"during": during, "after": gc.isenabled(), "frozen": gc.get_freeze_count() - frozen_before}))
"""


def test_loading_runs_without_collections_then_freezes_what_it_loaded():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["during"] is False and result["after"] is True
    assert result["frozen"] >= 10_000


def test_the_code_location_is_frozen_once_loaded():
    code = "import gc, pipelines.definitions; print(gc.isenabled(), gc.get_freeze_count())"
    enabled, frozen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                     check=True).stdout.split()
    assert enabled == "True" and int(frozen) > 300_000  # dagster, dbt-core, pandas and the assets
