"""Recommended offers on the server: the affinity model, region signals, blocked pairs, acceptance.

`affinity.recompute` counts baskets in SQL and writes the model's `affinity` rows through the
ChangeWriter (synced in `ref`); `schedule` runs it at start-up when stale and every few hours;
`signals` and `blocks` hold the admin's region signals and blocked pairs; `acceptance` reports
how customers answered the offers. See docs/offers.md.
"""
