"""The corpus table and the idiom tests stay in step: every idiom a program uses has its test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .corpus import PROGRAMS, idioms

HERE = Path(__file__).resolve().parent


def idiom_tests() -> dict[str, str]:
    """test name (without ``test_``) -> its docstring, for every test in this package but this file."""
    found = {}
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == "test_corpus.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[node.name[len("test_") :]] = ast.get_docstring(node) or ""
    return found


def test_the_corpus_is_big_enough_and_named() -> None:
    assert len(PROGRAMS) >= 25
    assert len({program.source for program in PROGRAMS}) == len(PROGRAMS)
    for program in PROGRAMS:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+:\S+|https://\S+", program.source), program.source
        assert program.idioms and len(set(program.idioms)) == len(program.idioms), program.source


def test_every_idiom_has_one_test_and_every_test_an_idiom() -> None:
    tests = idiom_tests()
    assert sorted(tests) == sorted(idioms())


def test_each_test_states_the_perl_idiom_and_names_its_sources() -> None:
    used_by = idioms()
    for name, doc in idiom_tests().items():
        assert doc.startswith("Perl: "), name
        assert "From: " in doc, name
        repositories = {source.split(":")[0] for source in used_by[name] if ":" in source}
        named = doc.split("From: ", 1)[1]
        assert any(repo in named for repo in repositories) or not repositories, name
