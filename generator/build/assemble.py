"""The whole output folder from the exams' outputs: the runtime, each language's messages, the
pages and images, manifest.json, _headers and robots.txt. The one assembly `build`, `check` and
the preview share."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

from generator import __version__
from generator.diagnostics import ExamsiteError
from generator.render.assets import Asset, language_assets
from generator.render.exam import ExamOutput
from generator.site.i18n import Overrides

MANIFEST = "manifest.json"
ROBOTS = "User-agent: *\nDisallow: /\n"
# Referrer: the CDN and the SDK see the exam site's origin (domain whitelisting) but never the
# page's query, which holds the attendee identifier.
REFERRER_POLICY = "strict-origin-when-cross-origin"


@dataclass(frozen=True)
class SiteFiles:
    files: Mapping[str, bytes]  # the output folder's contents, by path
    keys: Mapping[str, bytes]  # exam id -> its private answer key, never under the output folder


def assemble(assets: Mapping[str, Asset], outputs: Sequence[ExamOutput], overrides: Overrides) -> SiteFiles:
    """The output folder from the runtime's files and the exams' outputs, in the order given.

    The message catalogues are those of the languages of the outputs, not of what this build
    rendered: an exam taken from the cache needs its language's file as much as one rendered afresh."""
    files: dict[str, bytes] = {asset.name: asset.content for asset in assets.values()}
    for asset in language_assets((output.lang for output in outputs), overrides).values():
        files[asset.name] = asset.content
    digests: dict[str, str] = {}
    for output in outputs:
        files.update(output.files)
        digests.update((name, output.digest(name)) for name in output.files)
    files["robots.txt"] = ROBOTS.encode()
    files["_headers"] = headers_bytes({output.exam_id: output.policy for output in outputs})
    files[MANIFEST] = manifest_bytes(files, [output.manifest_entry for output in outputs], digests)
    return SiteFiles(files, {output.exam_id: output.key for output in outputs})


def source_date() -> str | None:
    """SOURCE_DATE_EPOCH as an ISO date, the only timestamp a reproducible build may carry."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError as error:
        raise ExamsiteError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not '{epoch}'") from error


def manifest_bytes(files: Mapping[str, bytes], exams: Sequence[Mapping], digests: Mapping[str, str]) -> bytes:
    """manifest.json: every exam with its parts, every file with its SHA-256 and size. `digests`
    holds those already known (the workers hash the pages they make)."""
    manifest: dict = {"generator": f"examsite {__version__}"}
    built = source_date()
    if built:
        manifest["built_at"] = built
    manifest["exams"] = list(exams)
    manifest["files"] = {name: {"sha256": digests.get(name) or hashlib.sha256(files[name]).hexdigest(),
                                "size": len(files[name])} for name in sorted(files)}
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def headers_bytes(page_policies: Mapping[str, str]) -> bytes:
    """Netlify / Cloudflare Pages `_headers`: the pages' CSP as a real header, caching for hashed assets."""
    lines = ["/*", "  X-Content-Type-Options: nosniff", f"  Referrer-Policy: {REFERRER_POLICY}", "",
             "/assets/*", "  Cache-Control: public, max-age=31536000, immutable", ""]
    for prefix, policy in sorted(page_policies.items()):
        lines += [f"/{prefix}/*", f"  Content-Security-Policy: {policy}", "  Cache-Control: no-cache", ""]
    return "\n".join(lines).encode("utf-8")
