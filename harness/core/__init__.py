"""Values every layer shares, blind to the action: errors, answers, signing, safe text."""

__all__: list[str] = []
