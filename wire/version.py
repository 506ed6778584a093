"""Protocol and schema versions of the wire format."""

from typing import Final

PROTOCOL_VERSION: Final = 1
PROTOCOL_MIN: Final = 1
PROTOCOL_MAX: Final = 1
#: additive schema changes within protocol 1 raise this; the client stores unknown fields in `extra`
SCHEMA_VERSION: Final = 1
