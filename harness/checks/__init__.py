"""Judges: an answer against its verdict, a client's request, captured traffic, a parser."""

__all__: list[str] = []
