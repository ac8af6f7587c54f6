"""The collector around loading the pipeline: off while a command loads it, then the loaded objects
frozen out of later collections; untouched in any other process (tests, notebooks)."""
import subprocess
import sys

CODE = """
import gc, json
from pipelines import gc_tuning
if {command}:
    gc_tuning.for_this_command()
frozen_before = gc.get_freeze_count()
with gc_tuning.loading():
    during = gc.isenabled()
    kept = [[i] for i in range(10_000)]
print(json.dumps({{"during": during, "after": gc.isenabled(), "frozen": gc.get_freeze_count() - frozen_before}}))
"""


def _run(command: bool) -> dict:
    import json

    out = subprocess.run([sys.executable, "-c", CODE.format(command=command)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_command_loads_without_collections_then_freezes_what_it_loaded():
    result = _run(command=True)
    assert result["during"] is False and result["after"] is True
    assert result["frozen"] >= 10_000


def test_elsewhere_loading_leaves_the_collector_alone():
    assert _run(command=False) == {"during": True, "after": True, "frozen": 0}
