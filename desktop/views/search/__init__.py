"""The global customer search: a box with results as you type from the cache, and the server's."""
