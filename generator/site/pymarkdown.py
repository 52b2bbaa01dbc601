"""Python-Markdown's HTML for a Markdown text, with the extensions exams.yaml names (`markdown:`).

The engine a site chooses with `markdown: {engine: python-markdown}`; cmark-gfm (cmark.py) is the
default. Python-Markdown itself is imported only when a site chooses it: it and its extensions
load in tens of milliseconds that a cmark-gfm build does not spend. Its raw HTML is kept, as
cmark's is, for render/markdown.py to sanitize.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from generator.site.fields import closest

ENTRY_POINTS = "markdown.extensions"  # where Python-Markdown finds extensions by short name


class Converter:
    """One Markdown instance, reset before each text (footnotes and abbreviations are per text)."""

    def __init__(self, extensions: Sequence[str], configs: Mapping[str, Mapping[str, Any]]) -> None:
        import markdown

        self._markdown = markdown.Markdown(extensions=list(extensions), extension_configs=dict(configs))

    def to_html(self, source: str) -> str:
        return self._markdown.reset().convert(source)


def extension_problem(name: str, settings: Mapping[str, Any]) -> tuple[str | None, str] | None:
    """Why extension `name` with `settings` cannot be used: (the setting at fault, or None for the
    extension itself; the message), or None when it loads and accepts them."""
    import markdown

    probe = markdown.Markdown()
    try:
        extension = probe.build_extension(name, {})
    except ImportError as error:
        module = name.split(":")[0]
        if error.name is not None and module != error.name and not module.startswith(error.name + "."):
            # The extension's own module is there; something it imports is not.
            return None, f"Markdown extension '{name}' cannot be loaded: {error}"
        close = closest(name, known_extensions())
        hint = f"; did you mean '{close}'?" if close else f"; Python-Markdown's own are {', '.join(known_extensions())}"
        return None, f"unknown Markdown extension '{name}': no installed module has that name{hint}"
    except Exception as error:  # an extension's own code may fail any way
        return None, f"Markdown extension '{name}' cannot be loaded: {error}"
    known = list(extension.getConfigs())
    for key in settings:
        if key not in known:
            close = closest(str(key), known)
            hint = (f"; did you mean '{close}'?" if close else
                    f"; it has {', '.join(known)}" if known else "; it has none")
            return str(key), f"Markdown extension '{name}' has no setting '{key}'{hint}"
    try:
        markdown.Markdown(extensions=[name], extension_configs={name: dict(settings)}).convert("")
    except Exception as error:
        return None, f"Markdown extension '{name}' does not accept these settings: {error}"
    return None


def known_extensions() -> list[str]:
    """The extensions installed under a short name (Python-Markdown's own, and packages' that register one)."""
    from importlib import metadata

    return sorted({entry.name for entry in metadata.entry_points(group=ENTRY_POINTS)})


def extension_packages(extensions: Sequence[str]) -> tuple[str, ...]:
    """'name=version' of the installed packages the extensions come from, for the cache's salt: a
    new version of an extension may render differently. Python-Markdown's own extensions come
    with its version, which the salt holds already."""
    others = [name for name in extensions if not _own(name)]
    if not others:
        return ()
    from importlib import metadata  # here: reading every package's metadata takes a tenth of a second

    by_name = {entry.name: entry for entry in metadata.entry_points(group=ENTRY_POINTS)}
    owners = metadata.packages_distributions()
    found = set()
    for name in others:
        entry = by_name.get(name)
        if entry is not None and entry.dist is not None:
            found.add(f"{entry.dist.name}={entry.dist.version}")
            continue
        for distribution in owners.get(name.split(":")[0].split(".")[0], ()):
            found.add(f"{distribution}={metadata.version(distribution)}")
    return tuple(sorted(found))


def _own(name: str) -> bool:
    """Is `name` one of Python-Markdown's own extensions ("toc", "markdown.extensions.toc")?"""
    from importlib.util import find_spec

    module = name.split(":")[0]
    if module.startswith("markdown.extensions."):
        return True
    return "." not in module and find_spec(f"markdown.extensions.{module}") is not None
