"""What the analyst sees: the charts of EVENT.md from the marts, as PNGs and one self-contained HTML page."""
from pipelines.report.render import SPECS, Report, build_report

__all__ = ["SPECS", "Report", "build_report"]
