"""What a run talks to: the HTTP seam (transport), replayed fixtures, the reads on them."""

__all__: list[str] = []
