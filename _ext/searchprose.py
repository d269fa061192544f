"""Sphinx extension for how the pages are found and read without sight of the code or the figures.

The search index reads a page's prose and outputs, not its code: a chapter's code cells are folded on the page;
indexed, their identifiers outranked the text (a search for a quantity found the cells that compute it). The HTML
keeps every cell; only what the index is fed drops the code cells' input.

A figure a notebook cell drew has no alt text of its own (the renderer gives it its file name): it gets the
title of the section it sits in, "Figure: <section>", with its number within that section where there are more."""
from __future__ import annotations

import re

from docutils import nodes
from sphinx.search import IndexBuilder

_feed = IndexBuilder.feed


def _is_code_input(node) -> bool:
    return isinstance(node, nodes.container) and (node.get("nb_element") == "cell_code_source"
                                                  or "cell_input" in node.get("classes", []))


def prose_only(doctree: nodes.document) -> nodes.document:
    """A copy of `doctree` without its notebook code cells' input."""
    copy = doctree.deepcopy()
    for node in list(copy.findall(_is_code_input)):
        node.parent.remove(node)
    return copy


def _feed_prose(self, docname, filename, title, doctree):
    return _feed(self, docname, filename, title, prose_only(doctree))


def _section_title(node) -> str:
    while node is not None:
        if isinstance(node, nodes.section) and node.children and isinstance(node[0], nodes.title):
            return node[0].astext()
        node = node.parent
    return ""


def figure_alt(app, doctree: nodes.document) -> None:
    """Alt text for every image whose alt is missing or merely its file name."""
    images = [im for im in doctree.findall(nodes.image) if not im.get("alt") or im.get("alt") == im.get("uri")
              or re.search(r"\.(png|svg|jpe?g)$", im.get("alt", ""))]
    titles = [_section_title(im.parent) or "this page" for im in images]
    seen: dict = {}
    for im, title in zip(images, titles):
        seen[title] = seen.get(title, 0) + 1
        n = titles.count(title)
        im["alt"] = f"Figure: {title}" + (f" ({seen[title]} of {n})" if n > 1 else "")


def setup(app):
    IndexBuilder.feed = _feed_prose
    app.connect("doctree-read", figure_alt)
    # a figure pasted from another page (a glue directive) arrives after reading: name it when the page is written
    app.connect("doctree-resolved", lambda app, doctree, docname: figure_alt(app, doctree))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
