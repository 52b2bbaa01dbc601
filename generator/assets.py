"""The browser runtime's files, published under content-hashed names with SRI digests."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .compact import compact

ASSET_DIR = Path(__file__).parent / "assets"
# Logical name -> source file. The SDK adapter is chosen by proview.sdk.
RUNTIME_FILES = {"exam.js": "exam.js", "exam.css": "exam.css"}
SDK_ADAPTERS = {"v8": "sdk-v8.js", "legacy": "sdk-legacy.js"}
FAKE_LOADERS = {"v8": "proview-fake.js", "legacy": "proview-fake-legacy.js"}


@dataclass(frozen=True)
class Published:
    """What a page needs of a runtime file: where it is and its SRI digest. A rebuild takes these
    from the build index rather than making the runtime (which imports Pygments, for the code
    colours) to render one exam."""

    name: str  # path under the output folder, e.g. assets/exam.3f2a….js
    integrity: str  # the value of an `integrity` attribute

    def url_from(self, prefix: str) -> str:
        return prefix + self.name.removeprefix("assets/")


@dataclass(frozen=True)
class Asset(Published):
    content: bytes


def make_asset(filename: str, content: bytes) -> Asset:
    stem, dot, suffix = filename.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:16]
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()
    return Asset(f"assets/{stem}.{digest}{dot}{suffix}", integrity, content)


def runtime_assets(sdk: str, fake_proview: bool) -> dict[str, Asset]:
    """The runtime for one SDK target: exam.js, exam.css, sdk.js and, for previews, the fake loader."""
    files = dict(RUNTIME_FILES, **{"sdk.js": SDK_ADAPTERS[sdk]})
    if fake_proview:
        files["proview-fake.js"] = FAKE_LOADERS[sdk]
    from .highlight import stylesheet

    contents = {name: (ASSET_DIR / source).read_bytes() for name, source in files.items()}
    # Code highlighting's colours are generated (checked for contrast), then shipped with the page's CSS.
    contents["exam.css"] += b"\n" + stylesheet().encode()
    return {name: make_asset(files[name], compact(files[name], content)) for name, content in sorted(contents.items())}
