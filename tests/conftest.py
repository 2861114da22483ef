"""Fixtures shared across the test folders."""

import dataclasses
import socket

import pytest

from leannet.data.download import SOURCES


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def offline_environment(monkeypatch, tmp_path):
    """No LEANNET_DATA, a fresh cache and home under tmp_path, unreachable mirrors: a test
    that uses it can neither find the developer's data nor reach the internet."""
    monkeypatch.delenv("LEANNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    dead = (closed_port_url(),)
    for name, source in list(SOURCES.items()):
        monkeypatch.setitem(SOURCES, name, dataclasses.replace(source, mirrors=dead))
