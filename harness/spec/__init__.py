"""The OpenAPI description: built from the contract's tables, loaded, and used to read bodies."""

__all__: list[str] = []
