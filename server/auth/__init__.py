"""Authentication and authorization: passwords, tokens, the current principal."""
