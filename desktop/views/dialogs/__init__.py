"""Dialogs of the desktop: sign-in and About (conflict resolution and new customer live with their screens)."""
