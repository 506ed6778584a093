"""The wire format shared by the desktop and the central CRM API.

It imports neither side (an import-linter contract checks this). Pydantic models describe every
request and response (and feed the server's OpenAPI document); msgspec structs in `wire.fast`
decode the sync page path, which must validate well over 150,000 records a second.
"""

from wire.version import PROTOCOL_MAX, PROTOCOL_MIN, PROTOCOL_VERSION, SCHEMA_VERSION

__all__ = ["PROTOCOL_MAX", "PROTOCOL_MIN", "PROTOCOL_VERSION", "SCHEMA_VERSION"]
