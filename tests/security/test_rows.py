"""The audit suite has one module per row of the security table (docs: SECURITY.md), each
with tests in it, so a promise without a test shows up as a failure here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent
#: the table's "area" column -> the module proving it
ROWS = {
    "passwords": "test_passwords",
    "login throttling": "test_login_throttling",
    "enumeration": "test_enumeration",
    "session fixation": "test_session_fixation",
    "logout": "test_logout",
    "cookies": "test_cookies",
    "`next`": "test_next",
    "access control": "test_access_control",
    "CSRF": "test_csrf",
    "XSS": "test_xss",
    "mass assignment": "test_mass_assignment",
    "SQL": "test_sql",
    "limits": "test_limits",
    "headers": "test_headers",
    "secret key": "test_secret_key",
    "audit": "test_audit",
    "concurrency": "test_concurrency",
    "idempotency": "test_idempotency",
    "errors": "test_errors",
    "migrations": "test_migrations",
}
#: the shared team document, beside the project when it is checked out in the workplace
SECURITY_MD = HERE.parents[2] / "shared" / "docs" / "SECURITY.md"


def _test_names(module: Path) -> list[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return [node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")]


@pytest.mark.parametrize("area", sorted(ROWS))
def test_every_row_has_a_module_with_tests(area: str) -> None:
    module = HERE / f"{ROWS[area]}.py"
    assert module.is_file(), f"the row {area!r} has no module {module.name}"
    assert _test_names(module), f"{module.name} has no tests"


def test_the_rows_are_the_security_tables_rows() -> None:
    if not SECURITY_MD.is_file():
        pytest.skip("the shared SECURITY.md is not beside this checkout")
    areas = re.findall(r"^\| ([^|]+?) \| [^|]+ \| [^|]+ \|$", SECURITY_MD.read_text("utf-8"),
                       flags=re.MULTILINE)
    assert set(areas) - {"area", "---"} == set(ROWS)
