"""Examples the README runs: a response parser for `ncp-harness fuzz-parser`."""
