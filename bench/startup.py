"""Start-up costs a user feels, each in a fresh process: import, construct (cache cold
and warm), the first access to an operation's method, its first docstring, and the
YAML parse alone with each parser.

    .venv/bin/python bench/startup.py [--spec PATH] [--rounds N] [--tree DIR ...]

``--tree`` adds a source tree to compare (e.g. an older checkout made with ``git
archive REF | tar -x -C DIR``); the working tree is always measured. Rounds are
interleaved tree by tree; medians and min-max are printed. ``PYTHONDONTWRITEBYTECODE``
is unset for the children (with it, every import recompiles: tens of milliseconds
that no user pays), and each tree's bytecode is compiled once before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = HERE.parent / "shared" / "openapi" / "openai-openapi.yaml"
SITE_PACKAGES = [p for p in sys.path if p.endswith("site-packages")]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from openapi_client_openai import OpenAI
t1 = time.perf_counter()
client = OpenAI(sys.argv[1])
t2 = time.perf_counter()
client.getRun
t3 = time.perf_counter()
client.createChatCompletion
t4 = time.perf_counter()
docs_before = any(m.startswith(("markdown_it", "openapi_client_openai.docgen")) for m in sys.modules)
client.getRun.__doc__
t5 = time.perf_counter()
import openapi_client_openai
assert openapi_client_openai.__file__.startswith(sys.argv[2]), openapi_client_openai.__file__
print(json.dumps({"import": t1 - t0, "construct": t2 - t1, "first access getRun": t3 - t2,
                  "first access createChatCompletion": t4 - t3, "first getRun.__doc__": t5 - t4,
                  "docs imported by access": docs_before}))
"""

PARSERS = r"""
import gc, json, sys, time
text = open(sys.argv[1], encoding="utf-8").read()
out = {}
gc.disable()
try:
    from openapi_client_openai import spec_yaml
except ImportError:  # a tree from before spec_yaml.py: PyYAML only
    from openapi_client_openai.spec import _parse
    t0 = time.perf_counter(); _parse(text.encode(), "spec")
    out["parse, PyYAML (libyaml)"] = time.perf_counter() - t0
else:
    t0 = time.perf_counter(); spec_yaml.parse_pyyaml(text, "spec")
    out["parse, PyYAML (libyaml)"] = time.perf_counter() - t0
    t0 = time.perf_counter(); fast = spec_yaml.parse_fast(text, quiet=False); t1 = time.perf_counter()
    if fast is not spec_yaml._REFUSED:
        out["parse, rapidyaml + walk"] = t1 - t0
print(json.dumps(out))
"""


def run(tree: Path, program: str, *args: str, cache: str | None = None) -> dict:
    # -S: no site hooks, so an editable install of the working tree cannot shadow ``tree``;
    # the environment's site-packages (PyYAML, requests...) come through PYTHONPATH instead.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        PYTHONPATH=os.pathsep.join([str(tree), *SITE_PACKAGES]),
        OPENAI_API_KEY="sk-bench",
        OPENAPI_CLIENT_OPENAI_CACHE=cache or "off",
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", program, *args],
        cwd=tempfile.gettempdir(),  # -c puts the working directory first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=str(DEFAULT_SPEC))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tree", action="append", default=[], help="another source tree to measure")
    options = parser.parse_args()
    trees = [HERE, *(Path(t).resolve() for t in options.tree)]
    samples: dict[tuple[str, str], list] = {}
    with tempfile.TemporaryDirectory() as scratch:
        warm = {tree: os.path.join(scratch, f"warm{i}") for i, tree in enumerate(trees)}
        for tree in trees:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=False)
            run(tree, CHILD, options.spec, str(tree), cache=warm[tree])  # fills the warm cache
        for number in range(options.rounds):
            for tree in trees if number % 2 == 0 else reversed(trees):
                cold = os.path.join(scratch, f"cold{number}-{trees.index(tree)}")
                for label, result in (
                    ("cold", run(tree, CHILD, options.spec, str(tree), cache=cold)),
                    ("warm", run(tree, CHILD, options.spec, str(tree), cache=warm[tree])),
                    ("", run(tree, PARSERS, options.spec)),
                ):
                    for key, value in result.items():
                        samples.setdefault((str(tree), f"{key} ({label})" if label else key), []).append(
                            value
                        )
    for tree in trees:
        print(f"\n{tree}")
        for (where, measure), values in samples.items():
            if where != str(tree):
                continue
            if isinstance(values[0], bool):
                print(f"  {measure:<48} {values[0]}")
                continue
            ms = sorted(v * 1000 for v in values)
            print(f"  {measure:<48} {statistics.median(ms):8.2f} ms   ({ms[0]:.2f} - {ms[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
