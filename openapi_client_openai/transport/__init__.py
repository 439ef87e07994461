"""How requests travel: Mojo::UserAgent's semantics on every path.

    parser.py       reads a response as Mojo::Message::Response does (1xx, gzip, limits)
    wire.py         writes a request as Mojo does; where it goes (origin, proxy)
    finish.py       how a transfer ends: Mojo's error rules, keep-alive
    settings.py     one request's timeouts, limits, TLS and proxy, from the user agent
    blocking.py     blocking calls over our own sockets
    nonblocking.py  non-blocking calls on an asyncio loop
    session.py      blocking calls through a requests.Session (adapters, mocks)
    wsgi.py         calls served in-process by a WSGI app (Perl's ``app =>``)
    synthetic.py    a response from requests or WSGI, parsed like one from the wire
    cookies.py      Mojo's cookie jar on http.cookiejar
    tls.py          TLS contexts from the user agent's ca/cert/key/insecure

The user agent (``useragent.py``) picks the path for each request.
"""
