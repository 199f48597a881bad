"""The exceptions deli's Python package raises on a job's future."""


class WorkerDied(Exception):
    """The worker process running the job died: a crash (``signal`` says
    which, e.g. 11 for SIGSEGV, 9 for SIGKILL), an exit (``exit_code``), or
    a ``MemoryError`` under ``memory_limit`` (``exit_code`` 86). Only this
    job's future fails; the pool starts a new worker and carries on.

    >>> error = WorkerDied("the worker was killed by signal 9 (SIGKILL)", signal=9)
    >>> (error.signal, error.exit_code)
    (9, None)
    """

    def __init__(self, message, signal=None, exit_code=None):
        super().__init__(message)
        self.signal = signal
        self.exit_code = exit_code

    def __reduce__(self):
        return (type(self), (self.args[0], self.signal, self.exit_code))


class TimedOut(TimeoutError):
    """The job ran past its timeout; its worker was killed and replaced.

    >>> isinstance(TimedOut("slow"), TimeoutError)
    True
    """


class PoolShutdown(RuntimeError):
    """The pool was torn down (garbage-collected or its interpreter exiting
    without ``shutdown``) before the job ended.

    >>> isinstance(PoolShutdown("gone"), RuntimeError)
    True
    """


class RemoteTraceback(Exception):
    """The traceback text of a job's exception, as it was in the worker;
    set as that exception's ``__cause__`` (the standard executor does the
    same), so a printed traceback shows where the job failed.

    >>> "Traceback ..." in str(RemoteTraceback("Traceback ..."))
    True
    """

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return '\n"""\n%s"""' % self.text


class RemoteError(Exception):
    """A job raised an exception that could not travel back pickled; this
    carries its traceback text instead.

    >>> RemoteError("ValueError: x").args
    ('ValueError: x',)
    """
