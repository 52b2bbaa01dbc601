"""Results tooling (issue 6): grade submissions, fetch Proview ratings, and write the instructor's
report. (The service receiving submissions and callbacks is generator/collect, which imports this
package; this package imports nothing else of generator.)

    keys.py      keys/<exam-id>.json -> ExamKey
    sources.py   JSON Lines files / the preview's SQLite file -> Records (with their origin)
    draws.py     the page's seeded pool draws and shuffles, re-derived for a candidate
    links.py     signed launch-link tokens: make one, check one (and why it is refused)
    roster.py    a roster CSV -> one signed launch URL per candidate (`examsite links`)
    grade.py     keys + records -> one GradeRow per candidate and exam, Problems and conflicts
    export.py    grade rows as CSV (formula-safe) and JSON
    marks.py     the marking sheet for long_text answers, and the marks brought back
    ratings.py   Proview login + session-details client (token cache, 401, retries)
    store.py     callbacks and ratings in a SQLite file
    poller.py    fetch one rating into a store; say whether to ask again
    stats.py     item analysis: facility, discrimination, choices picked, Cronbach's alpha (pure)
    report.py    HTML report with an inline-SVG histogram and the item analysis, and its CSV
    cli.py       the click commands; COMMANDS is registered by generator/cli.py
"""
