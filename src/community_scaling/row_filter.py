"""Row filters from study files, evaluated over columns only.

A study file is shared like data, so its expressions (`data.population`,
`data.alternative_outcomes`) must not run code. pandas' query/eval resolves
`@` names, attributes and calls in the caller's scope, so a study file could
call `os.system`. Here an expression is parsed with `ast` and evaluated by a
walk that knows only: column names (bare, or in backticks), number, string
and boolean literals, lists of them, comparisons (chained too), `in` /
`not in`, arithmetic, and `&`, `|`, `~`, `and`, `or`, `not`. Anything else
(calls, attributes, subscripts, `@`, lambdas, comprehensions) is an error.
As in pandas, & | ~ bind more loosely than comparisons.
"""

from __future__ import annotations

import ast
import io
import math
import operator
import re
import tokenize

import numpy as np
import pandas as pd

from .io import InputError, shortened

_BACKTICKED = re.compile(r"`([^`]*)`")
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
               ast.BitAnd: operator.and_, ast.BitOr: operator.or_}
# Literal arithmetic is done in Python integers, which grow without bound: "10 ** 10 ** 10" hangs.
MAX_LITERAL = 1e300
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Not, ast.Invert,
            ast.USub, ast.UAdd, ast.Compare, ast.In, ast.NotIn, ast.Name, ast.Load, ast.Constant,
            ast.List, ast.Tuple, *_COMPARE, *_ARITHMETIC)


def parse(expression: str, where: str) -> tuple[ast.Expression, dict[str, str]]:
    """The expression's syntax tree and its backticked column names, or InputError naming `where`."""
    if not isinstance(expression, str) or not expression.strip():
        raise InputError(f"{where}: expected a non-empty expression, got {expression!r}")
    quoted: dict[str, str] = {}

    def placeholder(match):
        name = f"_column_{len(quoted)}_"
        quoted[name] = match.group(1)
        return name

    try:
        source = _pandas_precedence(_BACKTICKED.sub(placeholder, expression), expression, where)
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, tokenize.TokenError) as exc:
        raise InputError(f"{where} {expression!r} is not a valid expression ({exc.msg}); "
                         "write comparisons of columns, e.g. \"age >= 18 & sex == 'F'\"") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise InputError(f"{where} {expression!r} uses {_describe(node)}, which study files may not: "
                             "only column names, literals, comparisons, arithmetic and & | ~ and or not")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool)):
            raise InputError(f"{where} {expression!r}: literal {node.value!r} is not a number, string or boolean")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise InputError(f"{where} {expression!r}: name {node.id!r} is not a column")
        if isinstance(node, ast.BinOp) and any(isinstance(side, ast.Constant) and isinstance(side.value, str)
                                               for side in (node.left, node.right)) and not isinstance(node.op, ast.Add):
            raise InputError(f"{where} {shortened(expression)}: arithmetic on the text literal in "
                             f"{shortened(ast.unparse(node))} is not allowed")
        if isinstance(node, (ast.BinOp, ast.Constant)):
            value = _literal_value(node)
            if value is not None and not abs(value) <= MAX_LITERAL:
                raise InputError(f"{where} {shortened(expression)}: the literal {shortened(ast.unparse(node))} is "
                                 f"beyond {MAX_LITERAL:g} in magnitude; write a smaller number")
    return tree, quoted


def _literal_value(node: ast.AST) -> float | complex | None:
    """The value of a subtree of number literals, computed in floats so it cannot hang
    (inf on overflow); None if it reads a column, holds text or divides by zero."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return None
        try:
            return float(node.value)
        except OverflowError:
            return math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal_value(node.operand)
        return None if value is None else -value if isinstance(node.op, ast.USub) else value
    if not isinstance(node, ast.BinOp) or isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        return None
    left, right = _literal_value(node.left), _literal_value(node.right)
    if left is None or right is None:
        return None
    try:
        return _ARITHMETIC[type(node.op)](left, right)
    except OverflowError:
        return math.inf
    except (ZeroDivisionError, TypeError):  # evaluate names a division by zero
        return None


def _pandas_precedence(source: str, expression: str, where: str) -> str:
    """Read & | ~ as and / or / not, below comparisons, as pandas' query does
    ("age >= 18 & sex == 'F'" is two comparisons, not `18 & sex`)."""
    words = {"&": " and ", "|": " or ", "~": " not "}
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    if any(t.type == tokenize.OP and t.string == "@" for t in tokens):
        raise InputError(f"{where} {expression!r} uses '@' (a reference to a Python name), which study files "
                         "may not: only column names, literals, comparisons, arithmetic and & | ~ and or not")
    return tokenize.untokenize([(t.type, words.get(t.string, t.string) if t.type == tokenize.OP else t.string)
                                for t in tokens])


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return "a function call"
    if isinstance(node, ast.Attribute):
        return f"an attribute (.{node.attr})"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return "'@' (a reference to a Python name)"
    return f"{type(node).__name__}"


def evaluate(frame: pd.DataFrame, expression: str, where: str) -> pd.Series:
    """A boolean Series over `frame`'s rows; missing values compare as False, as in pandas."""
    tree, quoted = parse(expression, where)

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Name):
            column = quoted.get(node.id, node.id)
            if column not in frame.columns:
                if column in ("True", "False"):
                    return column == "True"
                raise InputError(f"{where} {expression!r}: column {column!r} not found; "
                                 f"columns: {list(map(str, frame.columns))[:20]}")
            return frame[column]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [value(e) for e in node.elts]
            if any(isinstance(i, pd.Series) for i in items):
                raise InputError(f"{where} {expression!r}: lists may hold literals only")
            return items
        if isinstance(node, ast.BoolOp):
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            result = _as_bool(value(node.values[0]))
            for other in node.values[1:]:
                result = combine(result, _as_bool(value(other)))
            return result
        if isinstance(node, ast.UnaryOp):
            operand = value(node.operand)
            if isinstance(node.op, (ast.Not, ast.Invert)):
                return ~_as_bool(operand) if isinstance(operand, pd.Series) else not operand
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
                left, right = _as_bool(left), _as_bool(right)
            return _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node, ast.Compare):
            result, left = True, value(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = value(right_node)
                result = result & _compare(op, left, right)
                left = right
            return result
        raise InputError(f"{where} {expression!r}: {_describe(node)} is not allowed")  # unreachable after parse

    try:
        result = value(tree)
    except InputError:
        raise
    except Exception as exc:  # a type mismatch such as comparing numbers with text
        raise InputError(f"{where} {expression!r} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(result, pd.Series):
        raise InputError(f"{where} {expression!r} does not depend on any column")
    if not (pd.api.types.is_bool_dtype(result) or set(pd.unique(result.dropna())) <= {0, 1}):
        raise InputError(f"{where} {expression!r} gives {result.dtype} values, not true/false; "
                         "write a comparison, e.g. 'hours >= 45'")
    return result.fillna(False).astype(bool)


def _as_bool(value):
    if isinstance(value, pd.Series):
        if pd.api.types.is_bool_dtype(value) and not value.hasnans:
            return value
        return value.astype("boolean").fillna(False).astype(bool)  # text raises, and is named by evaluate
    return bool(value)


def _compare(op: ast.cmpop, left, right):
    if isinstance(op, (ast.In, ast.NotIn)) or isinstance(right, list):
        if not isinstance(op, (ast.In, ast.NotIn, ast.Eq, ast.NotEq)):
            raise InputError("a list can only be compared with in, not in, == or !=")
        if not isinstance(right, list) or not isinstance(left, pd.Series):
            raise InputError("'in' needs a column on the left and a list of literals on the right")
        inside = left.isin(right)
        return ~inside if isinstance(op, (ast.NotIn, ast.NotEq)) else inside
    result = _COMPARE[type(op)](left, right)
    return result.fillna(False) if isinstance(result, pd.Series) else np.bool_(result)
