"""Authentication: API tokens kept as hashes in a file, and OIDC/JWT bearer tokens."""
