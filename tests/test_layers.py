"""Twilio's REST client and request validator each live in one module only."""

from __future__ import annotations

import ast

from hotline.config import PROJECT_ROOT

SOURCE = PROJECT_ROOT / "src" / "hotline"
ALLOWED = {
    "twilio.rest": {"telephony/twilio_gateway.py"},
    "twilio.request_validator": {"telephony/signature.py", "simulator/call.py"},
}


def imports(path: str) -> set[str]:
    tree = ast.parse((SOURCE / path).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_each_twilio_part_is_imported_only_where_it_belongs() -> None:
    files = [str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.py")]
    for module, allowed in ALLOWED.items():
        users = {f for f in files if any(m.startswith(module) for m in imports(f))}
        assert users <= allowed, (module, users - allowed)
        assert users, f"{module} is used somewhere"
