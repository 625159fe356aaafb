"""HAR exchanges: written redacted, read back checked, gathered into cassettes."""

__all__: list[str] = []
