"""The registry: ClinicalTrials.gov records, fetched and kept fresh."""
