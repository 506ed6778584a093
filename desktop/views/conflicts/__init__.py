"""The sync conflicts panel: open conflicts side by side (base, theirs, mine) and rejected changes."""
