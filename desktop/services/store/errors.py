"""The offline cache's typed errors: each carries a message fit to show the user."""


class CacheError(Exception):
    """The cache cannot be used (a newer schema, a missing driver, an unusable file)."""


class CacheKeyError(CacheError):
    """The encryption key is wrong or missing: the file is left untouched."""


class LocalEditError(CacheError):
    """A local edit was refused (unknown record, invalid values, an op the entity does not take)."""
