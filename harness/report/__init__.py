"""What a run leaves: summary.json, report.html, junit.xml, and the terminal's table."""

__all__: list[str] = []
