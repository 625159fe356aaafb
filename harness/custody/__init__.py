"""Custody: what a run may spend, what is its own, and what it may delete, audited in one room.

`gate` (every create: the budget, custody, the send, the answer) ; `budget` (units held
until the inventory shows no image) ; `keeper` (each create attempt, pending until a
listing settles it) ; `ownership` (the proofs, pure) ; `names` (tagged names) ; `ledger`
(the same on disk, sealed) ; `cleanup` (the one code that deletes) ; `carry` (what earlier
runs and lost xdist workers owe). SECURITY.md maps each promise to its test.
"""

__all__: list[str] = []
