"""Results tooling (issue 6): grade submissions, fetch Proview ratings, and write the instructor's
report. (The service receiving submissions and callbacks is generator/collect, which imports this
package; this package imports nothing else of generator.)

    keys.py      keys/<exam-id>.json -> ExamKey
    sources.py   JSON Lines files / the preview's SQLite file -> Records (with their origin)
    grade.py     keys + records -> one GradeRow per candidate and exam, and Problems (pure)
    export.py    grade rows as CSV (formula-safe) and JSON
    ratings.py   Proview login + session-details client (token cache, 401, retries)
    store.py     callbacks and ratings in a SQLite file
    poller.py    fetch one rating into a store; say whether to ask again
    report.py    HTML report with an inline-SVG histogram, and its CSV
    cli.py       the click commands; COMMANDS is registered by generator/cli.py
"""
