"""Client conformance: a simulator in front of a client, every request it sends checked."""

__all__: list[str] = []
