"""Settings come from the environment; production settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


SETTINGS_FROM_ENVIRONMENT = {
    "DEBUG",
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "ALLOWED_HOSTS",
}


def manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if key not in SETTINGS_FROM_ENVIRONMENT}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-grade-secret-key-" + "k3y" * 20,
    "ALLOWED_HOSTS": "id.example.com",
}


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off():
    result = manage("check", DEBUG="false", SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("value", ["ture", "maybe", "2"])
def test_booleans_refuse_anything_but_true_or_false(value):
    result = manage("check", **{**PRODUCTION, "DEBUG": value})

    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
