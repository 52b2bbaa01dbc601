"""Rendering: an exam model into pages (Jinja, Markdown, MathML, highlighting), their CSP and
page contract, and the browser runtime they load (runtime/)."""
