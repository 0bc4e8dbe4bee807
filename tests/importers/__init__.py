"""Tests of the source parsers (ACLED CSV and API, UCDP GED)."""
