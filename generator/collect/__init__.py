"""`examsite collect` (issue 17): the production service that receives the pages' submissions and
Proview's termination callbacks, on SQLite (one machine) or PostgreSQL (several).

    settings.py    Settings and Limits: what a running service needs, from the CLI or the environment
    limits.py      body size, JSON depth and number size: bad input refused before it costs much
    payload.py     the submission payload (docs/page-contract.md) checked, in canonical form
    callbacks.py   the termination callback (seed 002) checked; the callback URL's secret token
    cors.py        which origins may POST submissions from a browser
    migrations.py  the versioned schema, for both databases
    storage.py     the storage interface
    database.py    `open_storage(url)`: SQLite (sqlite.py) or PostgreSQL (postgres.py)
    sqlite.py      SQLite: one writer thread, group commits, acknowledged after a durable commit
    postgres.py    PostgreSQL: psycopg 3 with a connection pool
    poller.py      fetches ratings, claiming each job in the database so instances never share one
    app.py         the Starlette application; `create_app(settings)` and the `from_environment` factory
    server.py      uvicorn with explicit limits (and a header timeout uvicorn lacks)
    cli.py         `examsite collect serve`

This package imports `generator.results` and nothing else of `generator`: the CLI layer hands it
what it needs (default origins from exams.yaml, the keys folder).
"""
