"""Port a Perl codebase that uses OpenAPI::Client::OpenAI: inventory its calls, translate them.

* ``reader``: Perl files found and parsed by PPI (Perl's own parser, through
  ``perl/PerlCompat/Port.pm``), answered as plain data;
* ``values``: the Perl side's descriptions of arguments, and which are literal data;
* ``idioms``: the table of Mojo idioms (``$tx->res->json``, ``$client->ua->...``) and
  their Python spellings, with whether this package supports each today;
* ``scan``: clients, call sites and idioms found in the parsed files, checked
  against the spec in use;
* ``translate``: each call site written with this package;
* ``parity``: literal call sites run through Perl and Python against the mock;
* ``report``: the text and JSON reports; ``command``: ``openapi-client-openai port``.

Importing this package loads no Perl.
"""
