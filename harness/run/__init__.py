"""A run: the exchange loop, budgets, custody, cleanup, preflight, and the run's log."""

__all__: list[str] = []
