"""The safe evaluator: arithmetic and comparisons over known names, nothing else."""

import pytest

from sciml_mlflow.errors import ExpressionError
from sciml_mlflow.rules.expression import evaluate, names

VARS = {"value": 0.002, "benchmark.training.batch_size": 64, "x": 3}


@pytest.mark.parametrize("text, expected", [
    ("value <= 0.001 * benchmark.training.batch_size / 32", True),
    ("value <= 0.001 * benchmark.training.batch_size / 64", False),
    ("x ** 2 % 5 + -x", 1),
    ("x // 2 == 1 and not (x < 0 or False)", True),
    ("min(x, 2) + max(1, x) + abs(-1)", 6),
    ("1 < x <= 3", True),
    ("x if x > 2 else 0", 3),
])
def test_accepts_arithmetic_and_comparisons(text, expected):
    assert evaluate(text, VARS) == expected


@pytest.mark.parametrize("text", [
    "x.__class__",                  # dunder attribute
    "().__class__.__bases__",       # attribute on a value
    "x.real",                       # attribute that is not a known dotted name
    "__import__('os')",             # dunder name and call
    "open('f')",                    # call outside the whitelist
    "x[0]",                         # subscript
    "lambda: 1",                    # lambda
    "[i for i in (1, 2)]",          # comprehension
    "{i: i for i in (1,)}",         # dict comprehension
    "'a' == 'a'",                   # string literals
    "y + 1",                        # unknown name
    "min(*[1, 2])",                 # star args
    "(x := 2)",                     # assignment expression
    "x in (1, 2)",                  # membership (not whitelisted)
    "9 ** 9 ** 9",                  # exponent bomb
    "1 +",                          # syntax
])
def test_rejects_everything_else(text):
    with pytest.raises(ExpressionError):
        evaluate(text, VARS)


def test_names_lists_dotted_variables():
    assert names("value <= 0.001 * benchmark.training.batch_size / 32") == {"value", "benchmark.training.batch_size"}
