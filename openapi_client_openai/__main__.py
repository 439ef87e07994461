"""``python -m openapi_client_openai``: see cli.py."""

import sys

from .cli import main

sys.exit(main())
