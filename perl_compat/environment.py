"""The environment the Perl stack needs, for both ways of running it.

Debian's JSON::Validator lacks the OpenAPI 3.1 meta-schema and would fetch it from
the network: ``JSON_VALIDATOR_CACHE_PATH`` must name a directory holding it. In a
checkout laid out as this project's (``../shared/perl-peer/jvcache`` beside the
repository) that one is used unless the variable is already set. Mojo must use its
pure-Perl reactor: with EV it reaps every child process (breaking ``subprocess``
return codes in the embedding Python) and EV's state does not survive an
interpreter restart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

CHECKOUT_JV_CACHE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "shared",
    "perl-peer",
    "jvcache",
)


def perl_settings(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables to add to ``env`` (default: this process's) before Perl starts."""
    env = os.environ if env is None else env
    settings = {"MOJO_REACTOR": "Mojo::Reactor::Poll"}
    if "JSON_VALIDATOR_CACHE_PATH" not in env and os.path.isdir(CHECKOUT_JV_CACHE):
        settings["JSON_VALIDATOR_CACHE_PATH"] = CHECKOUT_JV_CACHE
    return settings
