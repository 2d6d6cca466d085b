"""config/gunicorn.conf.py: what it reads from the environment, and nothing gunicorn would silently ignore."""

import runpy

import pytest
from gunicorn.config import KNOWN_SETTINGS

from tests.reliability.harness import GUNICORN_CONF

ENVIRONMENT = ("PORT", "BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT")


@pytest.fixture
def load(monkeypatch):
    def load(**env):
        for name in ENVIRONMENT:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        namespace = runpy.run_path(str(GUNICORN_CONF))
        return {name: value for name, value in namespace.items() if not name.startswith("_") and name != "os"}

    return load


def test_every_name_is_a_gunicorn_setting(load):
    # gunicorn skips names it does not know without a word: a typo would quietly keep the default.
    assert set(load()) <= {setting.name for setting in KNOWN_SETTINGS}


def test_defaults_listen_on_loopback_with_workers_sized_to_the_cpus(load, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)

    config = load()

    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] == 5
    assert config["timeout"] == 30
    assert config["control_socket_disable"] is True


def test_workers_are_capped_on_big_machines(load, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)), raising=False)

    assert load()["workers"] == 8


def test_environment_overrides(load):
    assert load(PORT="9001")["bind"] == ["127.0.0.1:9001"]
    assert load(PORT="9001", BIND="0.0.0.0:8080")["bind"] == ["0.0.0.0:8080"]
    assert load(WEB_CONCURRENCY="3")["workers"] == 3
    assert load(GUNICORN_TIMEOUT="90")["timeout"] == 90


def test_access_log_leaves_out_query_strings_and_referrers(load):
    # %(r)s is the request line with its query string, %(q)s the query string, %(f)s the Referer: admin searches
    # carry names and document numbers in them.
    log_format = load()["access_log_format"]

    assert not any(atom in log_format for atom in ("%(r)s", "%(q)s", "%(f)s"))
    assert "%(U)s" in log_format and "%({x-request-id}o)s" in log_format
