"""Contract-test and fuzz harness for NCP's createServerImageFromSnapshot (VPC Server API v2)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
