"""`pytest --full` (nightly / benchmark runs): the reliability scenarios with SYNC.md §5's trial
counts and the sync model with its full example counts. The choice travels in an environment
variable so that subprocesses under test see it too."""

FULL_ENV = "LIAISON_FULL"
