"""Markdown shown in a notebook with every HTML tag in it rendered as text.

Notebook summaries interpolate study-file and data strings (titles, community
names, caveats). IPython's Markdown passes raw HTML through to nbconvert's page,
so a title holding <script> ran in the reader's browser; here the Markdown is
rendered by markdown-it with raw HTML turned off, so tags arrive escaped."""

from __future__ import annotations

from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": False}).enable("table")


def to_html(text: str) -> str:
    """The Markdown `text` as HTML in which any tag it carried is escaped text."""
    return _RENDERER.render(text)


class Markdown:
    """Drop-in for IPython.display.Markdown in the notebooks, escaping raw HTML."""

    def __init__(self, text: str):
        self.text = str(text)

    def _repr_html_(self) -> str:
        return to_html(self.text)

    def __repr__(self) -> str:  # the text/plain form
        return self.text
