"""How much of the library's code is input checking: ``python -m benchmarks.validation_share``.

Counts the code lines (no blank lines, comments or docstrings) of ``lstmbook/*.py`` that
check inputs: the checking helpers (``_checks``, and any function named ``_check_*``,
``check_*``, ``_as_*`` or ``as_*``), and elsewhere every ``if`` whose body only raises a
``TypeError``/``ValueError``, with its condition, and every statement that calls a checking
helper (``units = _check_int(units, "units")``). Prints one line per module and the total.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "lstmbook"
HELPER = re.compile(r"_?(check|as)_\w*")
ERRORS = {"TypeError", "ValueError"}


def code_lines(source: str) -> set[int]:
    """Line numbers that hold code: not blank, not only a comment, not a docstring."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                              tokenize.DEDENT, tokenize.ENDMARKER):
            lines.update(range(token.start[0], token.end[0] + 1))
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            lines -= set(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def raises_only(node: ast.If) -> bool:
    def is_error(stmt):
        if not isinstance(stmt, ast.Raise) or stmt.exc is None:
            return False
        call = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(call, ast.Name) and call.id in ERRORS
    return all(is_error(stmt) for stmt in node.body) and not node.orelse


def calls_a_check(value) -> bool:
    """Whether ``value`` is a call to a checking helper, perhaps inside a tuple or comprehension."""
    if isinstance(value, ast.Call):
        calls = [value]
    elif isinstance(value, (ast.Tuple, ast.GeneratorExp, ast.ListComp)):
        calls = [node for node in ast.walk(value) if isinstance(node, ast.Call)]
    else:
        calls = []
    for call in calls:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if HELPER.fullmatch(name):
            return True
    return False


def checking_lines(path: Path) -> tuple[int, int]:
    source = path.read_text(encoding="utf-8")
    code = code_lines(source)
    if path.name == "_checks.py":
        return len(code), len(code)
    checking = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and HELPER.fullmatch(node.name):
            checking.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, ast.If) and raises_only(node):
            checking.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, (ast.Expr, ast.Assign)) and calls_a_check(node.value):
            checking.update(range(node.lineno, node.end_lineno + 1))
    return len(checking & code), len(code)


def main() -> None:
    total_checking = total_code = 0
    for path in sorted(ROOT.glob("*.py")):
        checking, code = checking_lines(path)
        total_checking += checking
        total_code += code
        share = checking / max(code, 1)
        print(f"{path.name:16s} {checking:5d} of {code:5d} code lines check inputs ({share:.0%})")
    print(f"{'lstmbook':16s} {total_checking:5d} of {total_code:5d} code lines check inputs "
          f"({total_checking / total_code:.0%})")


if __name__ == "__main__":
    main()
