"""A production start: the demo only when asked for, and every problem told in a line.

These run the real `hotline` command in a subprocess, the way a deployer meets it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from hotline.config import PROJECT_ROOT, REQUIRED, Settings, production_settings, variable_name
from hotline.errors import ConfigError

HOTLINE = str(Path(sys.executable).with_name("hotline"))
# A deployment's settings, in the shapes Twilio and the service expect.
GOOD = {
    "TWILIO_ACCOUNT_SID": "AC" + "a1" * 16,
    "TWILIO_AUTH_TOKEN": "f" * 32,
    "HOTLINE_PUBLIC_URL": "https://hotline.coalition.net",
    "HOTLINE_SECRET_KEY": "s" * 40,
    "HOTLINE_BACKUP_NUMBER": "+13125551234",
}
# A PostgreSQL URL that nothing answers, with a password that must never be printed.
DEAD_DATABASE = "postgresql+psycopg://hotline:sup3r-s3cret@127.0.0.1:9/hotline"


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    """A clean environment: nothing of the developer's own settings leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_"))}
    env["HOTLINE_DATA_DIR"] = str(tmp_path / "data")
    env.update(values)
    return env


def hotline(*args: str, env: Mapping[str, str], timeout: float = 30) -> tuple[int, str]:
    done = subprocess.run(
        [HOTLINE, *args], env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_without_settings_serve_and_worker_refuse_naming_each_variable(
    tmp_path: Path, command: list[str]
) -> None:
    code, output = hotline(*command, env=environment(tmp_path))
    assert code == 2
    lines = output.strip().splitlines()
    assert lines == [f"hotline: {name} is not set" for name in REQUIRED]
    assert not (tmp_path / "data").exists()  # nothing seeded, nothing written


def test_each_malformed_variable_is_one_line_and_quotes_no_value(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        **{
            **GOOD,
            "TWILIO_ACCOUNT_SID": "AC123",
            "HOTLINE_SECRET_KEY": "short-secret-value",
            "HOTLINE_PUBLIC_URL": "http://hotline.coalition.net",
            "HOTLINE_BACKUP_NUMBER": "+1 312 555 0111",
        },
    )
    code, output = hotline("serve", env=env)
    assert code == 2
    assert output.strip().splitlines() == [
        "hotline: TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits",
        "hotline: HOTLINE_SECRET_KEY must have at least 32 characters",
        "hotline: HOTLINE_PUBLIC_URL must start with https:// (Twilio signs that URL)",
        "hotline: HOTLINE_BACKUP_NUMBER is a fictional 555-01xx number: set one that rings",
    ]
    assert "short-secret-value" not in output


def test_a_bad_value_is_named_and_never_echoed(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        **{
            **GOOD,
            "HOTLINE_DATABASE_URL": "postgres://hotline:sup3r-s3cret@db/hotline",
            "HOTLINE_BACKUP_NUMBER": "call-me-maybe",
            "HOTLINE_TIMEZONE": "Mars/Olympus",
        },
    )
    code, output = hotline("worker", env=env)
    assert code == 2
    lines = output.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("hotline: HOTLINE_DATABASE_URL uses 'postgres'")
    assert lines[1] == "hotline: HOTLINE_BACKUP_NUMBER it is not a phone number"
    assert lines[2].startswith("hotline: HOTLINE_TIMEZONE is not a time zone")
    assert "sup3r-s3cret" not in output
    assert "call-me-maybe" not in output
    assert "Traceback" not in output


def test_a_misspelt_variable_is_pointed_out(tmp_path: Path) -> None:
    env = environment(tmp_path, **GOOD, HOTLINE_BAKCUP_NUMBER_2="+13125551235")
    del env["TWILIO_AUTH_TOKEN"]
    code, output = hotline("serve", env=env)
    assert code == 2
    assert (
        "hotline: warning: HOTLINE_BAKCUP_NUMBER_2 is not a setting of this service; "
        "did you mean HOTLINE_BACKUP_NUMBER_2?"
    ) in output
    assert "hotline: TWILIO_AUTH_TOKEN is not set" in output


def test_the_example_file_is_refused_until_its_values_are_replaced(tmp_path: Path) -> None:
    values = dict(
        line.split("=", 1)
        for line in (PROJECT_ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(REQUIRED) <= set(values)
    with pytest.raises(ConfigError) as refused:
        production_settings(**{_field(k): v for k, v in values.items()})
    problems = str(refused.value).splitlines()
    assert len(problems) == len(REQUIRED)


def test_the_example_file_lists_every_setting() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z_0-9]+)=", text, re.MULTILINE))
    expected = {variable_name(name) for name in Settings.model_fields}
    assert listed == expected


def test_the_readme_production_commands_start_as_written(tmp_path: Path) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.DOTALL))
    assigned = dict(re.findall(r"\b([A-Z][A-Z_0-9]+)=(\S+)", commands))
    assert set(REQUIRED) <= set(assigned), "the README's commands set every required variable"
    assert "--demo" not in commands
    settings = production_settings(**{_field(k): v for k, v in assigned.items()})
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://")


def _field(variable: str) -> str:
    return {variable_name(name): name for name in Settings.model_fields}[variable]


def test_an_unreachable_database_is_two_lines_with_the_password_hidden(tmp_path: Path) -> None:
    env = environment(tmp_path, HOTLINE_DATABASE_URL=DEAD_DATABASE)
    code, output = hotline("db", "upgrade", env=env)
    assert code == 2
    lines = output.strip().splitlines()
    assert len(lines) == 2, output
    assert lines[0].startswith("hotline: the database does not answer: ")
    assert "HOTLINE_DATABASE_URL" in lines[1]
    assert "sup3r-s3cret" not in output
    assert "Traceback" not in output


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` made read-only, for root as well (the tests run as root in CI)."""
    path.chmod(0o400)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o600)


def test_a_read_only_database_file_refuses_start_up(tmp_path: Path) -> None:
    env = environment(tmp_path, **GOOD)
    assert hotline("db", "upgrade", env=env)[0] == 0
    database = tmp_path / "data" / "hotline.db"
    with read_only(database):
        code, output = hotline("serve", env=env)
    assert code == 2
    assert output.strip().splitlines() == [
        f"hotline: the database file {database} cannot be written: check its owner and "
        "permissions (HOTLINE_DATABASE_URL, HOTLINE_DATA_DIR)"
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(env: Mapping[str, str], port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [HOTLINE, "serve", "--port", str(port)],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "")
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_with_the_database_down_at_start_the_service_answers_calls_and_is_not_ready(
    tmp_path: Path,
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = environment(
        tmp_path, **{**GOOD, "HOTLINE_PUBLIC_URL": public}, HOTLINE_DATABASE_URL=DEAD_DATABASE
    )
    # A key file from an earlier start: without one, a start cannot tell whether the
    # database holds data made with a key, and refuses.
    keys = tmp_path / "data" / "keys"
    keys.mkdir(parents=True)
    (keys / "pseudonym.json").write_text('{"epoch": 1, "key": "' + "A" * 43 + '="}')
    with serving(env, port) as process:
        params = {"CallSid": "CA" + "1" * 32, "From": "+13125550188", "To": "+13125550100"}
        url = f"{public}/twilio/voice"
        signature = RequestValidator(GOOD["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
        answer = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        assert "<Gather" in answer.text
        ready = httpx.get(f"{public}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False
        assert httpx.get(f"{public}/local-twilio/2010-04-01/Accounts").status_code == 404
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "the database does not answer; starting anyway" in output
    assert "sup3r-s3cret" not in output
    assert "+13125550188" not in output


def test_without_a_key_file_and_without_the_database_the_start_is_refused(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path, **GOOD, HOTLINE_DATABASE_URL=DEAD_DATABASE)
    code, output = hotline("serve", env=env)
    assert code == 2
    [line] = output.strip().splitlines()[-1:]
    assert "pseudonym key file" in line
    assert "does not exist and the database cannot be checked" in line


def test_the_readme_lists_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("**Environment:**", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"`([A-Z][A-Z_0-9]+)`", table))
    assert {variable_name(name) for name in Settings.model_fields} <= listed
