"""ARCHITECTURE.md stays true to the code: its layers are the import contract's, and
every part of the package is on its map."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "ARCHITECTURE.md").read_text()


def block_after(heading: str) -> list[str]:
    """The lines of the first code block under `heading`."""
    section = PAGE.split(f"## {heading}", 1)[1]
    return section.split("```", 2)[1].strip("\n").splitlines()


def test_the_layers_on_the_page_are_the_ones_lint_imports_checks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    expected = [layer.replace("hotline.", "") for layer in layers]
    drawn = [re.split(r"\s{2,}", line.strip())[0] for line in block_after("Which way imports go")]
    assert drawn == expected


def test_every_part_of_the_package_is_on_the_map() -> None:
    package = ROOT / "src" / "hotline"
    parts = {p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    parts |= {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    mapped = set(re.findall(r"[├└]── ([a-z0-9_]+(?:\.py)?)", "\n".join(block_after("The parts"))))
    mapped = {m.rstrip("/") for m in mapped}
    assert parts - mapped == set()
    assert mapped - parts == set()


def test_the_pure_modules_named_are_the_ones_the_contract_keeps_pure() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (pure,) = [c["source_modules"] for c in contracts if c["name"].startswith("pure flows")]
    bullet = PAGE.split("- The pure modules (", 1)[1].split(")", 1)[0]
    named = set(re.findall(r"`([a-z0-9_.]+)`", bullet))
    assert named == {module.removeprefix("hotline.") for module in pure}
