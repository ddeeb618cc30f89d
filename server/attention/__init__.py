"""Attention: the sources, harvesting, scoring and the trial document."""
