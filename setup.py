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
    python_requires=">=3.9",
    packages=find_packages(include=["openapi_client_openai*", "perl_compat*", "OpenAPI*"]),
    package_data={
        "openapi_client_openai": ["data/*.yaml"],
        "perl_compat": ["perl/*.pl", "perl/*/*.pm", "perl/*/*/*.pm"],
    },
    install_requires=[
        "requests>=2.25",
        "PyYAML>=5.4",
        # A faster YAML parser for cold starts (spec_yaml.py); PyYAML parses whatever it
        # cannot or where it is missing. 0.15.2 is the version its identity tests ran on.
        'rapidyaml>=0.15.2; platform_python_implementation == "CPython"',
        "markdown-it-py>=2.0",
        "cffi>=1.15",
    ],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "jsonschema>=4.18", "responses>=0.23", "requests-mock>=1.11"],
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
        "Programming Language :: Perl",
        "Topic :: Software Development :: Libraries",
    ],
)
