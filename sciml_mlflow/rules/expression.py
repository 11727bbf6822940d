"""A small, safe evaluator for rule and figure-of-merit expressions.

Rule tables and report configs are data, often written by someone else, so ``eval`` is out of the
question.  The expression is parsed with :mod:`ast` and only a whitelist of nodes is interpreted:
numbers, ``True``/``False``, names of known variables (dotted hyperparameter keys such as
``benchmark.training.batch_size`` count as one name), arithmetic ``+ - * / // ** %``, comparisons,
``and``/``or``/``not``, a conditional ``a if c else b`` and the calls ``min``, ``max``, ``abs``, ``round``.
Everything else (attribute access on values, other calls, subscripts, lambdas, comprehensions, string
literals, dunder names) is rejected with an ExpressionError before anything is evaluated.

>>> evaluate("value <= 0.001 * benchmark.training.batch_size / 32",
...          {"value": 0.002, "benchmark.training.batch_size": 64})
True
"""

from __future__ import annotations

import ast
import math
import operator
from functools import lru_cache
from typing import Any, Callable, Dict, Mapping, Optional, Set

from sciml_mlflow.errors import ExpressionError

MAX_LENGTH = 1000  # characters; rule expressions are one-liners
MAX_EXPONENT = 1000  # bounds ``**`` so an expression cannot allocate a gigantic integer

_BINOPS: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: Dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_COMPARE: Dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_FUNCTIONS: Dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs, "round": round}
_CONSTANTS = {"True": True, "False": False, "inf": math.inf}


def _dotted(node: ast.AST) -> Optional[str]:
    """``a.b.c`` -> "a.b.c" when the chain is made of plain names only."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Validator(ast.NodeVisitor):
    """Walks the tree once and rejects anything outside the whitelist; collects variable names."""

    def __init__(self, text: str, known: Optional[Set[str]]) -> None:
        self.text, self.known, self.names = text, known, set()  # type: ignore[var-annotated]

    def fail(self, node: ast.AST, why: str) -> None:
        col = getattr(node, "col_offset", 0)
        raise ExpressionError(f"expression {self.text!r}: {why} at column {col}; allowed: numbers, hyperparameter "
                              f"names, + - * / // ** %, comparisons, and/or/not, min/max/abs/round")

    def _name(self, node: ast.AST, name: str) -> None:
        if any(p.startswith("_") for p in name.split(".")):
            self.fail(node, f"name {name!r} is not allowed (private/dunder)")
        if name in _CONSTANTS:
            return
        if self.known is not None and name not in self.known:
            what = "attribute access" if "." in name else "unknown name"
            self.fail(node, f"{what} {name!r} (not a known variable)")
        self.names.add(name)

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Expression):
            self.visit(node.body)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or isinstance(node.value, (int, float)):
                return
            self.fail(node, f"literal {node.value!r} of type {type(node.value).__name__} is not allowed")
        elif isinstance(node, ast.Name):
            self._name(node, node.id)
        elif isinstance(node, ast.Attribute):
            name = _dotted(node)
            if name is None:
                self.fail(node, "attribute access is not allowed")
            self._name(node, name)  # type: ignore[arg-type]
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                self.fail(node, f"operator {type(node.op).__name__} is not allowed")
            self.visit(node.left)
            self.visit(node.right)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                self.fail(node, f"operator {type(node.op).__name__} is not allowed")
            self.visit(node.operand)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self.visit(v)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARE:
                    self.fail(node, f"comparison {type(op).__name__} is not allowed")
            self.visit(node.left)
            for c in node.comparators:
                self.visit(c)
        elif isinstance(node, ast.IfExp):
            self.visit(node.test)
            self.visit(node.body)
            self.visit(node.orelse)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                self.fail(node, f"call of {ast.unparse(node.func)!r} is not allowed")
            if node.keywords:
                self.fail(node, "keyword arguments are not allowed")
            for a in node.args:
                if isinstance(a, ast.Starred):
                    self.fail(a, "star arguments are not allowed")
                self.visit(a)
        else:
            self.fail(node, f"{type(node).__name__} is not allowed")


@lru_cache(maxsize=512)
def _parse(text: str) -> ast.Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression of {len(text)} characters is longer than the {MAX_LENGTH} allowed")
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression {text!r} is not valid syntax: {exc.msg}") from None


def names(text: str) -> Set[str]:
    """Variable names an expression uses (validates it without values)."""
    v = _Validator(text, None)
    v.visit(_parse(text))
    return v.names


def validate(text: str, known: Optional[Set[str]] = None) -> None:
    """Raise ExpressionError unless ``text`` is a whitelisted expression over ``known`` names."""
    _Validator(text, known).visit(_parse(text))


def evaluate(text: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate ``text`` with ``variables`` (dotted keys allowed); raises ExpressionError on anything unsafe."""
    tree = _parse(text)
    _Validator(text, set(variables)).visit(tree)
    return _Eval(text, variables).run(tree.body)


class _Eval:
    def __init__(self, text: str, variables: Mapping[str, Any]) -> None:
        self.text, self.vars = text, variables

    def run(self, node: ast.AST) -> Any:  # noqa: C901 - one branch per whitelisted node
        try:
            return self._run(node)
        except ExpressionError:
            raise
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ExpressionError(f"expression {self.text!r} failed: {type(exc).__name__}: {exc}") from None

    def _run(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = _dotted(node)
            return _CONSTANTS[name] if name in _CONSTANTS and name not in self.vars else self.vars[name]  # type: ignore[index]
        if isinstance(node, ast.BinOp):
            left, right = self._run(node.left), self._run(node.right)
            if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise ExpressionError(f"expression {self.text!r}: exponent {right} exceeds {MAX_EXPONENT}")
            if isinstance(node.op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
                if abs(left).bit_length() * abs(right) > 100_000:
                    raise ExpressionError(f"expression {self.text!r}: power result too large")
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._run(node.operand))
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in node.values:
                    result = self._run(v)
                    if not result:
                        return result
                return result
            result = False
            for v in node.values:
                result = self._run(v)
                if result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self._run(node.left)
            for op, comp in zip(node.ops, node.comparators):
                right = self._run(comp)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self._run(node.body) if self._run(node.test) else self._run(node.orelse)
        if isinstance(node, ast.Call):
            return _FUNCTIONS[node.func.id](*[self._run(a) for a in node.args])  # type: ignore[attr-defined]
        raise ExpressionError(f"expression {self.text!r}: {type(node).__name__} is not allowed")  # unreachable


__all__ = ["evaluate", "validate", "names", "ExpressionError"]
