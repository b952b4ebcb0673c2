"""User Markdown rendered with markdown-it-py, then sanitised with nh3 (no raw HTML survives)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table")
_md.enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr",
}


def _demote_headings(html: str) -> str:
    """Page headings belong to the page: user ``#``/``##`` become h3/h4."""
    for level, target in (("h2", "h4"), ("h1", "h3")):
        html = html.replace(f"<{level}>", f"<{target}>").replace(f"</{level}>", f"</{target}>")
    return html


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _demote_headings(_md.render(text))
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer",
    )
    # Bandit B704 accepted (docs/security-checks.md): nh3 above keeps only ALLOWED_TAGS and
    # http(s)/mailto links, so the markup is safe to mark as such.
    return Markup(clean)  # nosec B704
