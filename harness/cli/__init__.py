"""The `ncp-harness` command: its options (args) and its commands."""

__all__: list[str] = []
