"""The jobs of deli-bench's `python` suite, in a module of their own so
every pool's workers import them by name (never by re-running a script)."""

import hashlib


def identity(n):
    """The tiny job: returns its argument."""
    return n


def hash_chain(rounds):
    """The cpu job: SHA-256 applied `rounds` times from b"deli"; hex digest."""
    digest = b"deli"
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()
