"""Readers for the datasets `timeline import` takes in: ACLED (CSV and API) and UCDP GED."""
