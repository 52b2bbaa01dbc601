"""exams.yaml -> SiteConfig: environments, ${VAR} and ${VAR:-default}, Proview loader URLs."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from . import i18n
from generator.diagnostics import Diagnostics, Position, shown_path
from generator.site.fields import LANGUAGE_CODE, Fields, closest, type_name
from generator.site.files import DEFAULT_MAX_FILE_BYTES, Refused, SiteFiles
from generator.site import pymarkdown
from generator.site.source import YList, YMap, load_yaml

ENVIRONMENTS = ("dev", "staging", "prod")
SDKS = ("v8", "legacy")
SESSION_TYPES = ("ai_proctor", "record_and_review", "live_proctor")
MARKDOWN_ENGINES = ("cmark-gfm", "python-markdown")  # the first is the default
# Public loader URLs (docs/proview.md); staging's is shared during onboarding, so it has none.
V8_LOADERS = {"prod": "https://prod.proview.io/init.js", "dev": "https://dev.proview.io/cdn/init.js"}
LEGACY_LOADER = "https://cdn.proview.io/init.js"
# Seed 001: "A Proview session must not be allowed to run for more than 90 minutes".
SESSION_LIMIT_MINUTES = 90
DEFAULT_REFRESH_MINUTES = 85

_VAR = re.compile(r"\$(\$|[{\ue000]([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\ue001]*))?[}\ue001])")
# `{environment: prod, dsn: ${PROVIEW_DSN}}` is how people write it, but braces end a flow mapping
# in YAML. Before parsing, the braces of ${...} become private-use characters of the same length
# (positions stay right), which expansion reads as braces.
_BRACED_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*(?::-[^}\n]*)?)\}")


def _protect_variables(text: str) -> str:
    return _BRACED_VAR.sub(lambda m: f"$\ue000{m.group(1)}\ue001", text)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class ProviewConfig:
    sdk: str
    environment: str
    loader_url: str
    dsn: str
    languages: tuple[str, ...]
    refresh_after_minutes: int
    # The legacy embed (docs/proview.md): account token and session type; see the legacy adapter.
    token: str = ""
    session_type: str = "ai_proctor"
    session_title: str | None = None
    preview_style: str | None = None


@dataclass(frozen=True)
class MarkdownConfig:
    """exams.yaml `markdown`: the engine that converts every text, and Python-Markdown's extensions."""

    engine: str = "cmark-gfm"
    extensions: tuple[str, ...] = ()
    # {extension: {setting: value}} as canonical JSON: hashable, and the same text for the same settings.
    extension_configs_json: str = "{}"

    @property
    def extension_configs(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.extension_configs_json)


@dataclass(frozen=True)
class SiteConfig:
    path: Path
    title: str
    base_url: str
    proview: ProviewConfig
    submission_url: str
    exam_files: tuple[Path, ...]
    # The folders a build may read from and its limit per file (exams.yaml `include_roots`, `limits`).
    files: SiteFiles
    templates_dir: Path | None = None
    # exams.yaml `messages`: {lang: {key: text}} over the package's catalogues (i18n.py).
    messages: i18n.Overrides = ()
    markdown: MarkdownConfig = MarkdownConfig()
    # submission.require_signed_links: pages start only from a signed launch link (`examsite links`).
    require_signed_links: bool = False

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def requires_https(self) -> bool:
        return self.proview.environment in ("staging", "prod")


def expand_variables(value: str, position: Position, *, environ: Mapping[str, str],
                     diagnostics: Diagnostics) -> str:
    """Replace ${VAR} and ${VAR:-default} with the environment's values; `$$` is a literal `$`."""

    def replace(match: re.Match) -> str:
        if match.group(1) == "$":
            return "$"
        name, default = match.group(2), match.group(3)
        if name in environ and (environ[name] or default is None):
            return environ[name]
        if default is not None:
            return default
        diagnostics.error(position, f"environment variable {name} is not set (used as ${{{name}}})")
        return ""

    return _VAR.sub(replace, value)


def _expand_tree(node: Any, position: Position, *, environ: Mapping[str, str], diagnostics: Diagnostics) -> Any:
    if isinstance(node, YMap):
        for key in list(node):
            node[key] = _expand_tree(node[key], node.value_at(key), environ=environ, diagnostics=diagnostics)
        return node
    if isinstance(node, YList):
        for index, item in enumerate(node):
            node[index] = _expand_tree(item, node.item_at(index), environ=environ, diagnostics=diagnostics)
        return node
    if isinstance(node, str) and "$" in node:
        return expand_variables(node, position, environ=environ, diagnostics=diagnostics)
    return node


def _merge(base: YMap, override: YMap) -> YMap:
    """`override` laid over `base`, mapping by mapping, keeping each value's own position."""
    merged = YMap(base)
    merged.pos, merged.key_pos, merged.value_pos = base.pos, dict(base.key_pos), dict(base.value_pos)
    for key, value in override.items():
        if isinstance(value, YMap) and isinstance(base.get(key), YMap):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
            merged.key_pos[key] = override.key_at(key)
            merged.value_pos[key] = override.value_at(key)
    return merged


def check_url(url: str, position: Position, *, what: str, https_only: bool, diagnostics: Diagnostics) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        diagnostics.error(position, f"{what} must be an absolute http(s) URL, not '{url}'")
        return False
    if https_only and parts.scheme != "https":
        diagnostics.error(position, f"{what} must use https in the staging and prod environments, not '{url}'")
        return False
    return True


# What the preview's stand-in gets for credentials it does not need (a token must look like a GUID).
STAND_IN_CREDENTIALS = {"dsn": "examsite-preview", "token": "00000000-0000-0000-0000-000000000000"}


def _placeholder_credentials(tree: YMap, environ: Mapping[str, str], diagnostics: Diagnostics) -> None:
    proview = tree.get("proview")
    if not isinstance(proview, YMap):
        return
    needed = "token" if proview.get("sdk") == "legacy" else "dsn"
    for key, placeholder in STAND_IN_CREDENTIALS.items():
        value = proview.get(key)
        if key != needed:
            continue
        if isinstance(value, str) and value.strip():
            unset = [m.group(2) for m in _VAR.finditer(value)
                     if m.group(1) != "$" and m.group(3) is None and not environ.get(m.group(2))]
            if not unset:
                continue
            where, what = proview.value_at(key), f"{', '.join(unset)} is not set"
        else:
            where, what = proview.value_at(key) if key in proview else proview.pos, f"proview.{key} is not set"
        proview[key] = placeholder
        diagnostics.warning(where, f"{what}: the preview's Proview stand-in runs without it; `examsite build` "
                                   "needs it")


def load_config(path: Path, env_name: str | None, diagnostics: Diagnostics, *,
                environ: Mapping[str, str] | None = None, stand_in: bool = False) -> SiteConfig | None:
    """Read exams.yaml for one environment; None when it has errors (all of them reported).

    `stand_in`: for the preview's local Proview stand-in, which needs no credentials: an unset
    DSN or account token is a warning, and a placeholder stands in for it."""
    environ = os.environ if environ is None else environ
    shown = shown_path(path)
    try:
        text = SiteFiles.of(path.parent).read_text(path, "the site configuration", shown)
    except Refused as error:
        diagnostics.error(Position(shown, 1, 1), str(error))
        return None
    except OSError as error:
        diagnostics.error(Position(shown, 1, 1), f"cannot read the site configuration: {error.strerror}")
        return None
    except ValueError:
        diagnostics.error(Position(shown, 1, 1), "the site configuration is not UTF-8 text")
        return None
    tree = load_yaml(_protect_variables(text), shown, diagnostics)
    if tree is None:
        if not diagnostics.has_errors:
            diagnostics.error(Position(shown, 1, 1), "the site configuration is empty")
        return None
    top = Fields.of(tree, Position(shown, 1, 1), "the site configuration", diagnostics)
    if top is None:
        return None
    top.check_unknown(("site", "proview", "submission", "exams", "environments", "messages", "include_roots",
                       "limits", "markdown"))

    environments = top.mapping_of("environments", "'environments'")
    if environments is not None:
        for name in environments.mapping:
            override = Fields.of(environments.mapping[name], environments.at(name), f"environment '{name}'", diagnostics)
            if override is not None:
                override.check_unknown(("site", "proview", "submission", "exams"))
    if env_name is not None:
        known = list(environments.mapping) if environments is not None else []
        if env_name not in known:
            listed = ", ".join(known) if known else "none are defined under 'environments'"
            diagnostics.error(top.pos, f"unknown environment '{env_name}' (--env); known: {listed}")
            return None
        if isinstance(environments.mapping[env_name], YMap):
            tree = _merge(tree, environments.mapping[env_name])
    tree.pop("environments", None)
    if stand_in:
        _placeholder_credentials(tree, environ, diagnostics)
    tree = _expand_tree(tree, tree.pos, environ=environ, diagnostics=diagnostics)
    top = Fields(tree, "the site configuration", diagnostics)

    site = top.mapping_of("site", "'site'")
    title, base_url = "Exams", ""
    if site is not None:
        site.check_unknown(("title", "base_url"))
        title = site.string("title", "Exams") or "Exams"
        base_url = site.string("base_url", "") or ""

    proview = _load_proview(top, diagnostics)
    requires_https = proview is not None and proview.environment in ("staging", "prod")
    if base_url and site is not None:
        if check_url(base_url, site.at("base_url"), what="site.base_url", https_only=requires_https,
                     diagnostics=diagnostics):
            base_url = base_url.rstrip("/") + "/"

    submission_url = ""
    require_signed_links = False
    submission = top.mapping_of("submission", "'submission'")
    if submission is None:
        diagnostics.error(top.pos, "the site configuration needs 'submission' with the 'url' where pages POST answers")
    else:
        submission.check_unknown(("url", "require_signed_links"))
        submission_url = submission.string("url", "", required=True) or ""
        require_signed_links = submission.boolean("require_signed_links", False)
        if submission_url:
            check_url(submission_url, submission.at("url"), what="submission.url", https_only=requires_https,
                      diagnostics=diagnostics)
    if proview is not None and proview.loader_url:
        position = tree["proview"].value_at("loader_url") if isinstance(tree.get("proview"), YMap) else top.pos
        check_url(proview.loader_url, position, what="proview.loader_url", https_only=requires_https,
                  diagnostics=diagnostics)

    files = _site_files(top, path.parent, diagnostics)
    exam_files = _exam_files(top, path.parent, files, diagnostics)
    messages = _load_messages(top, diagnostics)
    templates = _templates(path.parent, files, Position(shown, 1, 1), diagnostics)
    markdown = _load_markdown(top, diagnostics)
    if diagnostics.has_errors or proview is None:
        return None
    return SiteConfig(
        path=path,
        title=title,
        base_url=base_url,
        proview=proview,
        submission_url=submission_url,
        exam_files=exam_files,
        files=files,
        templates_dir=templates,
        messages=messages,
        markdown=markdown,
        require_signed_links=require_signed_links,
    )


def _load_proview(top: Fields, diagnostics: Diagnostics) -> ProviewConfig | None:
    proview = top.mapping_of("proview", "'proview'")
    if proview is None:
        diagnostics.error(top.pos, "the site configuration needs a 'proview' section with at least the 'dsn'")
        return None
    proview.check_unknown((
        "sdk", "environment", "loader_url", "dsn", "languages", "refresh_after_minutes",
        "token", "session_type", "session_title", "preview_style",
    ))
    sdk = proview.string("sdk", "v8")
    if sdk not in SDKS:
        diagnostics.error(proview.at("sdk"), f"proview.sdk must be one of {', '.join(SDKS)}, not '{sdk}'")
        sdk = "v8"
    environment = proview.string("environment", "dev")
    if environment not in ENVIRONMENTS:
        diagnostics.error(proview.at("environment"),
                          f"proview.environment must be one of {', '.join(ENVIRONMENTS)}, not '{environment}'")
        environment = "dev"
    loader_url = proview.string("loader_url")
    if not loader_url:
        if sdk == "legacy":
            loader_url = LEGACY_LOADER
        elif environment in V8_LOADERS:
            loader_url = V8_LOADERS[environment]
        else:
            diagnostics.error(proview.pos, "the staging environment has no public loader URL: set proview.loader_url "
                                           "to the staging URL Talview shared during onboarding")
            loader_url = ""
    dsn = proview.string("dsn", "") or ""
    token = proview.string("token", "") or ""
    session_type = proview.string("session_type", "ai_proctor") or "ai_proctor"
    reported = any(d.position == proview.at("dsn") for d in diagnostics.items) if proview.has("dsn") else False
    if sdk == "v8" and not dsn.strip() and not reported:
        # Proview.init rejects an empty DSN with "Missing DSN" in the candidate's browser: say it now.
        diagnostics.error(proview.at("dsn"), "Missing DSN: set proview.dsn to the project DSN Talview provisioned "
                                             "(for example dsn: ${PROVIEW_DSN})")
    if sdk == "legacy":
        if not _GUID.match(token):
            shown = f"'{token}'" if token else "missing"
            diagnostics.error(proview.at("token"), "proview.token must be the legacy account token, a GUID such as "
                                                   f"b3f6224e-d072-4aea-9053-9216b9994d43 ({shown})")
        if session_type not in SESSION_TYPES:
            diagnostics.error(proview.at("session_type"),
                              f"proview.session_type must be one of {', '.join(SESSION_TYPES)}, not '{session_type}'")
    languages = proview.language_list("languages")
    refresh = proview.integer("refresh_after_minutes", DEFAULT_REFRESH_MINUTES, minimum=1)
    if refresh is not None and refresh >= SESSION_LIMIT_MINUTES:
        diagnostics.error(proview.at("refresh_after_minutes"),
                          f"proview.refresh_after_minutes must be below {SESSION_LIMIT_MINUTES}: a Proview session "
                          "must not run longer than 90 minutes")
        refresh = DEFAULT_REFRESH_MINUTES
    return ProviewConfig(
        sdk=sdk,
        environment=environment,
        loader_url=loader_url,
        dsn=dsn,
        languages=languages,
        refresh_after_minutes=refresh or DEFAULT_REFRESH_MINUTES,
        token=token,
        session_type=session_type,
        session_title=proview.string("session_title"),
        preview_style=proview.string("preview_style"),
    )


def _load_messages(top: Fields, diagnostics: Diagnostics) -> i18n.Overrides:
    """`messages: {fr: {start: "Commencer"}}`: any interface message, per language. Unknown keys and
    placeholders the page does not fill in are errors, so a typo never ships an untranslated page."""
    section = top.mapping_of("messages", "'messages'")
    if section is None:
        return ()
    known = sorted(i18n.reference())
    result = []
    for lang, texts in section.mapping.items():
        if not isinstance(lang, str) or not LANGUAGE_CODE.match(lang):
            diagnostics.error(section.mapping.key_at(lang), f"'{lang}' under 'messages' is not a language code "
                                                            "such as en, fr or pt-BR")
            continue
        fields = Fields.of(texts, section.at(lang), f"messages for '{lang}'", diagnostics)
        if fields is None:
            continue
        found = []
        for key, text in fields.mapping.items():
            if not i18n.known_key(str(key)):
                close = closest(str(key), known)
                hint = f"; did you mean '{close}'?" if close else "; the keys are those of generator/site/messages/en.json"
                diagnostics.error(fields.mapping.key_at(key), f"unknown message '{key}' in messages for '{lang}'{hint}")
                continue
            if not isinstance(text, str) or not text.strip():
                diagnostics.error(fields.at(key), f"message '{key}' for '{lang}' must be a non-empty text, "
                                                  f"not {type_name(text) if text != '' else 'empty text'}")
                continue
            unknown = i18n.placeholders(text) - i18n.allowed_placeholders(key)
            if unknown:
                allowed = ", ".join("{" + name + "}" for name in sorted(i18n.allowed_placeholders(key))) or "none"
                diagnostics.error(fields.at(key), f"message '{key}' for '{lang}' uses "
                                                  f"{', '.join('{' + name + '}' for name in sorted(unknown))}, which the "
                                                  f"page does not fill in (it knows: {allowed})")
                continue
            found.append((key, text))
        result.append((lang, tuple(sorted(found))))
    return tuple(sorted(result))


def _load_markdown(top: Fields, diagnostics: Diagnostics) -> MarkdownConfig:
    """`markdown: {engine: python-markdown, extensions: [...], extension_configs: {...}}`, as MkDocs's
    markdown_extensions: each extension is loaded here, so an unknown one, or an unknown setting,
    is an error at its line rather than a failure in the middle of a build."""
    section = top.mapping_of("markdown", "'markdown'")
    if section is None:
        return MarkdownConfig()
    section.check_unknown(("engine", "extensions", "extension_configs"))
    engine = section.string("engine", MARKDOWN_ENGINES[0]) or MARKDOWN_ENGINES[0]
    if engine not in MARKDOWN_ENGINES:
        close = closest(engine, MARKDOWN_ENGINES)
        hint = f"; did you mean '{close}'?" if close else ""
        diagnostics.error(section.at("engine"), f"markdown.engine must be one of {', '.join(MARKDOWN_ENGINES)}, "
                                                f"not '{engine}'{hint}")
        return MarkdownConfig()
    extensions = section.string_list("extensions") or ()
    configs = section.mapping_of("extension_configs", "'markdown.extension_configs'")
    if engine != "python-markdown":
        for key in ("extensions", "extension_configs"):
            if section.has(key):
                diagnostics.error(section.mapping.key_at(key), f"markdown.{key} are Python-Markdown's: set "
                                                               "markdown.engine to python-markdown to use them "
                                                               "(cmark-gfm has tables and ~~strikethrough~~ built in)")
        return MarkdownConfig()
    settings: dict[str, dict[str, Any]] = {}
    if configs is not None:
        for name in configs.mapping:
            if name not in extensions:
                diagnostics.error(configs.mapping.key_at(name), f"extension_configs has settings for '{name}', "
                                                                "which is not in markdown.extensions")
                continue
            options = Fields.of(configs.mapping[name], configs.at(name), f"the settings of '{name}'", diagnostics)
            if options is not None:
                if not _settable(options.mapping):
                    diagnostics.error(configs.at(name), f"the settings of '{name}' must be texts, numbers, "
                                                        "true/false, lists and mappings")
                    continue
                settings[str(name)] = dict(options.mapping)
    listed = section.mapping["extensions"] if isinstance(section.mapping.get("extensions"), YList) else None
    for index, name in enumerate(extensions):
        problem = pymarkdown.extension_problem(name, settings.get(name, {}))
        if problem is None:
            continue
        setting, message = problem
        if setting is not None:
            position = configs.mapping[name].key_at(setting) if configs is not None else section.pos
        else:
            position = listed.item_at(index) if listed is not None else section.at("extensions")
        diagnostics.error(position, message)
    return MarkdownConfig(engine, extensions, json.dumps(settings, sort_keys=True, ensure_ascii=False))


def _settable(value: Any) -> bool:
    """Can JSON hold this setting (texts, numbers, true/false, lists, mappings)? A date cannot."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and _settable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_settable(item) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _glob_files(root: Path, pattern: str, plain: set[Path] | None = None) -> list[Path]:
    """The files `pattern` matches under `root`, as Path.glob finds them, sorted by their parts
    (Path's own order, 30 times cheaper than comparing Paths). Matched a folder at a time with
    os.scandir, whose entries know whether they are files: Path.glob and a stat of each match
    cost a rebuild of 1000 exams 15 ms. Recursive and absolute patterns go to Path.glob.
    `plain` gets the matches known to be no symlink, as their folder's entries tell for free."""
    parts = pattern.split("/")
    if "**" in parts or "" in parts:
        return sorted((p for p in root.glob(pattern) if p.is_file()), key=lambda p: p.parts)
    folders = [str(root)]
    no_links: set[str] = set()
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if not any(c in part for c in "*?["):
            candidates = [os.path.join(folder, part) for folder in folders]
            folders = [c for c in candidates if (os.path.isfile(c) if last else os.path.isdir(c))]
            continue
        matched = []
        for folder in folders:
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if fnmatchcase(entry.name, part) and (entry.is_file() if last else entry.is_dir()):
                            matched.append(entry.path)
                            if last and not entry.is_symlink():
                                no_links.add(entry.path)
            except OSError:  # not a folder, or unreadable: nothing matches in it
                continue
        folders = matched
    folders.sort(key=lambda path: path.split("/"))  # as by parts: they share one prefix
    found = [Path(path) for path in folders]
    if plain is not None:
        plain.update(path for path, name in zip(found, folders) if name in no_links)
    return found


def _site_files(top: Fields, folder: Path, diagnostics: Diagnostics) -> SiteFiles:
    """`include_roots`: folders besides exams.yaml's that exams may read, relative to it; `limits`."""
    roots = [folder.resolve()]
    entries = top.sequence("include_roots")
    for index, entry in enumerate(entries or ()):
        position = entries.item_at(index)  # type: ignore[union-attr]
        if not isinstance(entry, str) or not entry.strip() or "\0" in entry:
            diagnostics.error(position, "each entry of 'include_roots' must be a folder, relative to exams.yaml")
            continue
        root = (folder / entry).resolve()
        if not root.is_dir():
            diagnostics.error(position, f"'include_roots' lists '{entry}', which is not a folder")
            continue
        roots.append(root)
    max_file_bytes = DEFAULT_MAX_FILE_BYTES
    limits = top.mapping_of("limits", "'limits'")
    if limits is not None:
        limits.check_unknown(("max_file_bytes",))
        max_file_bytes = limits.integer("max_file_bytes", DEFAULT_MAX_FILE_BYTES, minimum=1) or DEFAULT_MAX_FILE_BYTES
    return SiteFiles(tuple(roots), max_file_bytes)


def _templates(folder: Path, files: SiteFiles, position: Position, diagnostics: Diagnostics) -> Path | None:
    """The site's templates/ folder, when it has one; its files too are read by the build."""
    templates = folder / "templates"
    if not templates.is_dir():
        return None
    for parent, folders, names in os.walk(templates):
        for name in folders + names:
            path = Path(parent, name)
            try:
                files.confined(path, "the template", shown_path(path))
            except Refused as error:
                diagnostics.error(position, str(error))
    return templates


def _exam_files(top: Fields, root: Path, files: SiteFiles, diagnostics: Diagnostics) -> tuple[Path, ...]:
    patterns = top.sequence("exams", required=True)
    if patterns is None:
        return ()
    found: list[Path] = []
    folders: dict[str, bool] = {}  # folder -> whether it resolves inside the site's folders
    plain: set[Path] = set()  # matches known to be no symlink
    for index, pattern in enumerate(patterns):
        position = patterns.item_at(index)
        if not isinstance(pattern, str) or not pattern:
            diagnostics.error(position, "each entry of 'exams' must be a file name or a glob such as exams/*.yaml")
            continue
        if os.path.isabs(pattern):
            diagnostics.error(position, f"'{pattern}' is an absolute path: name exam files relative to exams.yaml, "
                                        "such as exams/*.yaml")
            continue
        matches = _glob_files(root, pattern, plain) if any(c in pattern for c in "*?[") \
            else ([root / pattern] if (root / pattern).is_file() else [])
        if not matches:
            diagnostics.error(position, f"no exam file matches '{pattern}'")
        matches = _confined(files, matches, root, position, diagnostics, folders, plain)
        seen = set(found)  # a set: `in` on the list made 500 exam files cost 125,000 comparisons
        found.extend(m for m in matches if m not in seen)
    return tuple(found)


def _confined(files: SiteFiles, matches: list[Path], root: Path, position: Position, diagnostics: Diagnostics,
              folders: dict[str, bool], plain: set[Path]) -> list[Path]:
    """The matches inside the site's folders; each other one is an error. A folder is resolved once;
    a file in it that is known to be no link is then inside too (resolving each of 1000 exam files,
    or asking whether it is a link, cost a rebuild 30 ms)."""
    kept = []
    for match in matches:
        folder = os.path.dirname(match)
        if folder not in folders:
            folders[folder] = files.inside(Path(folder))
        if folders[folder] and match in plain:
            kept.append(match)
            continue
        try:
            files.confined(match, "the exam file", os.path.relpath(match, root))
        except Refused as error:
            diagnostics.error(position, str(error))
            continue
        kept.append(match)
    return kept
