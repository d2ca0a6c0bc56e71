"""A self-contained HTML page: what `autograd.explore` and the training explorer return.

The page carries everything it shows (inline SVG, style and script, its data as JSON)
and loads nothing from anywhere, so it works offline, from a file and inside a
notebook. Data goes in as JSON inside ``<script type="application/json">`` with
``<``, ``>`` and ``&`` written as ``\\u003c``-style escapes, so no text from Python
(a label, a title) can close the script or open an element; the page's script puts
text on screen with ``textContent`` only.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["Page", "display_text", "script_json"]

# Longer labels are cut (visibly) where they are shown: Graphviz refuses strings of
# 16,384 characters and more, and a box that wide is unreadable anyway.
MAX_SHOWN = 200

# The page may run only what it carries: no request of any kind leaves it.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def display_text(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` as a picture or a page shows it: every character that cannot be shown or
    sent (a NUL or another control character but the newline and tab, a lone surrogate,
    which UTF-8 cannot encode) written as a visible escape such as ``\\x00`` or
    ``\\ud800``, and text past `limit` characters cut, saying how long it was.
    """
    if len(text) <= limit and text.isprintable():  # the usual label: nothing to do
        return text
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        if (code < 32 and ch not in "\n\t") or code == 127:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    if len(text) > limit:
        out.append(f"\u2026 ({len(text):,} characters)")
    return "".join(out)


def script_json(data: Any) -> str:
    """`data` as JSON that is safe inside an HTML ``<script>`` element.

    Full precision: Python writes each float with `repr`, which JavaScript's
    ``JSON.parse`` reads back to the same double. A non-finite number is refused
    (JSON has none), so nothing arrives on the page as NaN.
    """
    text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class Page:
    """An interactive page: ``.html`` (a whole document), ``.save(path)``, and inline
    display in a notebook (``_repr_html_``, the same page without the document around it).

    `title` is shown as text (escaped). `style`, `body` and `script` are the page's own
    markup, written by this package; `data` is handed to the script as JSON (read it
    with ``JSON.parse(container.querySelector("script.bpl-data").textContent)``).
    Several pages can share one notebook: each lives in a ``div`` with its own id, which
    its script receives as ``CONTAINER_ID``.
    """

    def __init__(self, title: str, style: str, body: str, script: str, data: Any) -> None:
        title = display_text(title)
        payload = script_json(data)
        digest = hashlib.sha256((title + body + payload).encode("utf-8")).hexdigest()[:12]
        self.title = title
        self.container_id = f"bpl-{digest}"  # stable: re-running a notebook does not churn
        script_text = script.replace("CONTAINER_ID", json.dumps(self.container_id))
        self._fragment = (
            f'<div class="bpl-page" id="{self.container_id}" tabindex="0">'
            f"<style>{style}</style>"
            f'<div class="bpl-title">{html.escape(title)}</div>'
            f"{body}"
            f'<script type="application/json" class="bpl-data">{payload}</script>'
            f"<script>{script_text}</script>"
            f"</div>"
        )

    @property
    def html(self) -> str:
        """The whole page as one HTML document (UTF-8)."""
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title></head>\n"
            f"<body>{self._fragment}</body></html>\n"
        )

    def _repr_html_(self) -> str:
        return self._fragment

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (UTF-8; ``.html`` or ``.htm``) and return it as a `Path`."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"save: a page is HTML; got the path {str(path)!r}, use one ending in .html"
            )
        target.write_text(self.html, encoding="utf-8")
        return target

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"<{kind} {self.title!r}: .html, .save(path), shown inline in a notebook>"
