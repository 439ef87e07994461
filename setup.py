"""Packaging for openapi-client-openai: the Python mirror of Perl's OpenAPI::Client::OpenAI."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'^__version__ = "([^"]+)"', (HERE / "openapi_client_openai" / "__init__.py").read_text(), re.M
)[1]

setup(
    name="openapi-client-openai",
    version=VERSION,
    description=(
        "Perl-compatible OpenAI client: OpenAPI::Client::OpenAI's calls, requests and "
        "errors in Python, with the real Perl client side by side"
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    # What CI tests (.ci/run: the machine's Python 3.11); 3.9 and 3.10 are past their end of life.
    python_requires=">=3.11",
    packages=find_packages(include=["openapi_client_openai*", "perl_compat*", "OpenAPI*"]),
    package_data={
        "openapi_client_openai": ["data/*.yaml", "py.typed"],
        "perl_compat": ["perl/*.pl", "perl/**/*.pm", "py.typed"],
        "OpenAPI": ["py.typed"],
    },
    zip_safe=False,  # the Perl side reads perl_compat/perl/ from disk
    # Floors found by running the suite on them: tox -e mindeps pins each one (and
    # tests/test_packaging.py checks that it pins exactly these).
    install_requires=[
        # Only the requests.Session path (transport/session.py) uses it, through its public API;
        # 2.30 is the first to allow urllib3 2.
        "requests>=2.30.0",
        # That path reads a body a piece at a time with urllib3's read1: from 2.2 on, a chunked
        # body comes piece by piece (2.0 and 2.1 block on an endless one and lose what came
        # before a reset, which tests/faults shows against Perl).
        "urllib3>=2.2.0",
        # 6.0.4: older releases' libyaml has no nesting limit and a spec nested 100,000 deep
        # kills the process (tests/test_bad_specs.py) instead of raising SpecError.
        "PyYAML>=6.0.4",
        # A faster YAML parser for cold starts (spec_yaml.py); PyYAML parses whatever it
        # cannot or where it is missing. 0.15.2 is the version its identity tests ran on.
        'rapidyaml>=0.15.2; platform_python_implementation == "CPython"',
        # 2.1.0: 2.0 pins attrs<22, which cannot be installed beside jsonschema (attrs>=22.2).
        "markdown-it-py>=2.1.0",
        # 1.15.1: the first release with wheels for Python 3.11.
        "cffi>=1.15.1",
    ],
    extras_require={
        "test": [
            "pytest>=8.2.0",  # importlib mode imports tests/ subpackages (8.1 does not)
            "hypothesis>=6.85.0",  # st.characters(exclude_categories=...)
            "jsonschema>=4.18.0",
            "mypy>=1.11.0",  # tests/test_stubs.py type-checks programs against generated stubs
            "packaging>=22.0",  # tests/test_packaging.py reads requirements and versions
            "setuptools>=64.0.0",  # tests/test_packaging.py builds the sdist
            "responses>=0.23.0",  # tests/test_useragent.py: a mocking library sees blocking calls
            "requests-mock>=1.11.0",  # the same, for requests-mock
        ],
    },
    entry_points={
        "console_scripts": ["openapi-client-openai=openapi_client_openai.cli:main"],
        # perl_compat plugs the side-by-side commands into our CLI, so that
        # openapi_client_openai itself never imports perl_compat.
        "openapi_client_openai.commands": [
            "compare = perl_compat.comparison:main_compare",
            "compare-call = perl_compat.comparison:compare",
            "compare-run = perl_compat.programs:main_compare_run",
            "record = perl_compat.cassettes:main_record",
            "replay = perl_compat.cassettes:main_replay",
            "port = perl_compat.port.command:main_port",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.11",
        "Typing :: Typed",
        "Programming Language :: Perl",
        "Topic :: Software Development :: Libraries",
    ],
)
