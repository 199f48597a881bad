"""Helpers pickled by reference into workers (so keep this module light)."""


def run_chunk(fn, chunk):
    """Runs ``fn(*args)`` for every ``args`` of ``chunk``: one job of a
    ``map`` with ``chunksize > 1``.

    >>> run_chunk(pow, [(2, 3), (3, 2)])
    [8, 9]
    """
    return [fn(*args) for args in chunk]


def ready(*args):
    """The initializer of a pool that has none: the worker answers it once
    it has started, so job timeouts never count a worker's start-up.

    >>> ready()
    """
