"""Finding Perl files and reading them with PPI, through either way of reaching Perl."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from perl_compat.interpreter import available
from perl_compat.port import reader
from perl_compat.port.reader import common_root, perl_files, read_files, read_source

from ..conftest import require
from .conftest import PERL_DIR


def test_perl_files_are_found_recursively_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "lib" / "A").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    for name in ("x.pl", "lib/A/B.pm", "t/c.t", "README.md", ".git/hook.pl", "script"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("1;\n")
    found = [str(p.relative_to(tmp_path)) for p in perl_files([tmp_path])]
    assert found == ["x.pl", "lib/A/B.pm", "t/c.t"]
    # A file named explicitly is read whatever its name; each file once.
    assert perl_files([tmp_path / "script", tmp_path / "x.pl", tmp_path])[:2] == [
        tmp_path / "script",
        tmp_path / "x.pl",
    ]
    assert len(perl_files([tmp_path, tmp_path / "x.pl"])) == 3
    with pytest.raises(FileNotFoundError, match=r"no such file or directory: .*nowhere"):
        perl_files([tmp_path / "nowhere"])


def test_names_are_relative_to_the_common_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert common_root([tmp_path / "a", tmp_path / "b"]) == tmp_path
    assert common_root([tmp_path / "a"]) == tmp_path / "a"


def test_a_file_that_cannot_be_read_is_reported_and_the_rest_still_read(ppi: dict, tmp_path: Path) -> None:
    (tmp_path / "good.pl").write_text("my $c = OpenAPI::Client::OpenAI->new;\n$c->listModels;\n")
    os.symlink(tmp_path / "gone.pl", tmp_path / "dangling.pl")
    parsed = {p.path: p for p in read_files(perl_files([tmp_path]), root=tmp_path)}
    assert parsed["dangling.pl"].error.startswith("cannot read it:")
    assert parsed["good.pl"].error is None and len(parsed["good.pl"].chains) == 2


def test_a_file_too_large_is_not_parsed(ppi: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1024 * 1024)
    (tmp_path / "huge.pl").write_bytes(b"# padding\n" * 120_000)
    (parsed,) = read_files([tmp_path / "huge.pl"])
    assert parsed.error == "not parsed: larger than 1 MB" and parsed.chains == []


def test_latin_1_source_is_read_as_perl_reads_its_bytes(ppi: dict, tmp_path: Path) -> None:
    (tmp_path / "old.pl").write_bytes(b"$client->getRun({thread_id => 'caf\xe9', run_id => 'r'});\n")
    (parsed,) = read_files([tmp_path / "old.pl"])
    (chain,) = parsed.chains
    assert chain["links"][0]["args"][0]["items"][1] == {"t": "str", "v": "caf\u00e9"}
    assert parsed.utf8 is False


def test_values_as_perl_reads_them(ppi: dict) -> None:
    source = r"""use utf8;
$c->op({a => -3, b => 0x1F, c => 1e3, d => "x\ty", e => 'it\'s', f => [qw(p q)], g => \@l, h => \0,
        i => JSON::PP::true, j => Mojo::JSON->false, k => !!1, l => "v=$v", m => "$h->{x}",
        n => sub { my ($x) = @_ }});
"""
    parsed = read_source(source)
    items = parsed.chains[0]["links"][0]["args"][0]["items"]
    values = dict(zip((i["v"] for i in items[::2]), items[1::2]))
    assert values["a"]["t"] == "num" and values["a"]["v"] == -3
    assert values["e"] == {"t": "str", "v": "it's"}
    assert values["b"]["v"] == 31 and values["c"]["v"] == 1000
    assert values["d"] == {"t": "str", "v": "x\ty"}
    assert values["f"]["t"] == "array" and values["f"]["items"] == [
        {"t": "qw", "words": ["p", "q"], "line": 2}
    ]
    assert values["g"]["t"] == "ref" and values["g"]["of"]["text"] == "@l"
    assert [values[k]["v"] for k in "hijk"] == [False, True, False, True]
    assert values["l"]["parts"] == [{"s": "v="}, {"var": "$v"}]
    assert values["m"]["t"] == "expr"  # more than a simple scalar: not guessed
    assert values["n"]["t"] == "sub" and values["n"]["params"] == ["$x"]
    assert parsed.utf8 is True


def test_both_ways_of_reaching_perl_read_the_same(ppi: dict) -> None:
    require(bool(available()), f"libperl cannot be embedded here: {available().reason}")
    files = perl_files([PERL_DIR])
    through_subprocess = [p.chains for p in read_files(files, mode="subprocess")]
    embedded = [p.chains for p in read_files(files, mode="embedded")]
    assert through_subprocess == embedded and any(through_subprocess)


CHILD = """
import os, signal, sys, threading
from perl_compat.interpreter import get_interpreter
from perl_compat.port.reader import read_source

read_source('$c->op({a => "x\\\\ty"});', mode="embedded")
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    get_interpreter().eval("my $t = time; 1 while time - $t < 5; 0")
except KeyboardInterrupt:
    print("interrupted")
"""


def test_reading_leaves_the_embedded_interpreter_its_sigint(ppi: dict) -> None:
    require(bool(available()), f"libperl cannot be embedded here: {available().reason}")
    # In a child: SIGINT reaching a Perl call without Perl's handler ends the process.
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, env=ppi)
    assert done.stdout.strip() == "interrupted", done.stderr
