"""End-to-end benchmark of the gateway: the real server, driven over HTTP, next to the floor.

    .venv/bin/python -m tools.bench                      # full run, prints the section
    .venv/bin/python -m tools.bench --write docs/performance.md
    .venv/bin/python -m tools.bench --quick              # smoke run: tiny sizes, seconds
    tools/bench/run [same options]                       # the same, from any directory

Why a separate tool and not tests: numbers depend on the machine and its load; a test
would either fail at random or pin nothing. The smoke test (tests/bench) only proves
that this command runs.

How: the gateway is started as users start it (``edxml-gateway serve`` on a fresh SQLite
file, and on a fresh PostgreSQL database with ``--workers``); separate client processes
send prebuilt raw SOAP requests over keep-alive ``http.client`` connections; the floor
(the edXML library's parse + validate + read + verify, and one insert + commit of the
bytes) is measured in this process in the same run. Modules: ``procs`` (/proc readings),
``gateway`` (databases and server processes), ``packages`` (signed packages and SOAP
requests), ``load`` (client processes), ``floor``, ``seed`` (bulk-loaded deliveries),
``scenarios`` (what is measured), ``report`` (the docs/performance.md section).
"""
