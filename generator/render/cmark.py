"""cmark-gfm's HTML for a Markdown text, through cmarkgfm's compiled library, freeing what it allocates.

cmarkgfm's own functions (2025.10.22) free neither the document tree nor the HTML string that
cmark returns: about 2.5 KB lost a text, 250 MB over a 1000-exam build's workers, and without
bound in the preview's long-running server. So the library's calls are made here, and the two
frees added: the tree with cmark_node_free, the string with the allocator cmark made it with.
Neither is in cmarkgfm's cffi interface, so they are called through ctypes; both are exported by
its library, as cmark's public API. Where they are not (no such build is known), the text goes
through cmarkgfm's own function: the same HTML, and the leak.
"""

from __future__ import annotations

import ctypes
from functools import cache

from cmarkgfm import _cmark  # the compiled library and its cffi interface
from cmarkgfm.cmark import Options, markdown_to_html_with_extensions

OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE  # raw HTML kept, for nh3
EXTENSIONS = (b"table", b"strikethrough")


class _Allocator(ctypes.Structure):
    """cmark_mem: the functions cmark allocates with; its HTML must be freed with the same free()."""

    _fields_ = [("calloc", ctypes.c_void_p), ("realloc", ctypes.c_void_p),
                ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p))]


@cache
def _freeing() -> tuple | None:
    """(free the HTML, free a tree, the extensions), once per process; None where the library's
    frees cannot be reached through ctypes (a build of cmarkgfm that does not export them)."""
    try:
        library = ctypes.CDLL(_cmark.__file__)  # the same library, already loaded by the import above
        allocator, free_tree = library.cmark_get_default_mem_allocator, library.cmark_node_free
    except (OSError, AttributeError):
        return None
    allocator.restype = ctypes.POINTER(_Allocator)
    free_tree.argtypes, free_tree.restype = [ctypes.c_void_p], None
    _cmark.lib.cmark_gfm_core_extensions_ensure_registered()
    extensions = tuple(_cmark.lib.cmark_find_syntax_extension(name) for name in EXTENSIONS)
    assert all(extension != _cmark.ffi.NULL for extension in extensions)
    return allocator().contents.free, free_tree, extensions


def _address(pointer) -> int:
    return int(_cmark.ffi.cast("uintptr_t", pointer))


def to_html(source: str) -> str:
    """CommonMark with GFM tables and ~~strikethrough~~; raw HTML is kept (the caller sanitizes it)."""
    freeing = _freeing()
    if freeing is None:  # the same HTML, leaking as cmarkgfm does
        return markdown_to_html_with_extensions(source, OPTIONS, [name.decode() for name in EXTENSIONS])
    free_html, free_tree, extensions = freeing
    lib = _cmark.lib
    text = source.encode("utf-8")
    parser = lib.cmark_parser_new(OPTIONS)
    try:
        for extension in extensions:
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        lib.cmark_parser_feed(parser, text, len(text))
        tree = lib.cmark_parser_finish(parser)  # the caller's to free, not the parser's
        try:
            html = lib.cmark_render_html(tree, OPTIONS, lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return _cmark.ffi.string(html).decode("utf-8")
            finally:
                free_html(_address(html))
        finally:
            free_tree(_address(tree))
    finally:
        lib.cmark_parser_free(parser)
