"""The project's paperwork agrees with itself: licence, changelog, docs site navigation."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml

import storebridge
from tests.support.paths import REPO_ROOT

OFFLINE_PLUGINS = {"search", "mkdocstrings"}
"""Plugins known to build without network access; the site must build offline."""


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _nav_pages(entries: list[Any]) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


def test_licence_file_is_the_mit_licence_the_package_declares() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert "LICENSE" in project["license-files"]
    text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_changelog_has_a_section_for_the_current_version() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert storebridge.__version__ in versions
    assert _pyproject()["project"]["version"] == storebridge.__version__


def test_dev_install_brings_the_docs_toolchain() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    assert any(d.startswith("mkdocs-material") for d in extras["docs"])
    assert any(d.startswith("mkdocstrings[python]") for d in extras["docs"])
    assert "storebridge[docs]" in extras["dev"]


def test_every_docs_page_is_in_the_site_navigation_and_builds_offline() -> None:
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = set(_nav_pages(config["nav"]))
    docs = REPO_ROOT / "docs"
    on_disk = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
    assert on_disk - in_nav == set(), "pages missing from mkdocs.yml nav"
    assert in_nav - on_disk == set(), "nav entries without a page"
    plugins: dict[str, Any] = {}
    for entry in config["plugins"]:
        name, options = (entry, None) if isinstance(entry, str) else next(iter(entry.items()))
        plugins[name] = options or {}
    assert set(plugins) <= OFFLINE_PLUGINS, f"not known to build offline: {set(plugins)}"
    assert plugins["mkdocstrings"]["handlers"]["python"]["paths"] == ["src", "adapters"]
