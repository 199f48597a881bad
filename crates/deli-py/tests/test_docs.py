"""The examples in the package's docstrings run and hold."""

import doctest
import importlib

import pytest

MODULES = ["deli", "deli._executor", "deli._scope", "deli._errors", "deli._calls", "deli.asyncio", "deli.trace"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
    assert tried > 0
