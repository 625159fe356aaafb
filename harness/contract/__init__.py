"""createServerImageFromSnapshot's contract: seed tables, wire, readings, rulebook, oracle."""

__all__: list[str] = []
