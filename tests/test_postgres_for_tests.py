"""scripts/postgres-for-tests, run against stand-ins for the PostgreSQL tools it calls:
it picks the cluster on port 5432, and says what to do when it cannot give a URL."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "postgres-for-tests"
TOOLS = ("bash", "awk", "head", "cat")
STANDINS = {
    "pg_lsclusters": 'printf "%s" "$FAKE_CLUSTERS"',
    "id": 'echo "$FAKE_UID"',
    "pg_ctlcluster": 'echo "pg_ctlcluster $*" >> "$FAKE_LOG"',
    "su": 'echo "su $*" >> "$FAKE_LOG"; cat > "$FAKE_LOG.sql"',
    "psql": 'echo "psql $*" >> "$FAKE_LOG"; exit "$FAKE_PSQL_STATUS"',
}
ONLINE_5432 = "15 main 5432 online postgres /var/lib/postgresql/15/main /var/log/x.log\n"
URL_5432 = "postgresql+psycopg://hotline_test:hotline_test@127.0.0.1:5432/postgres"


@dataclass
class Run:
    stdout: str
    stderr: str
    calls: list[str]
    sql: str


def run(
    tmp_path: Path,
    clusters: str = ONLINE_5432,
    *,
    uid: int = 0,
    psql_logs_in: bool = False,
    installed: bool = True,
) -> Run:
    """The script with PATH holding the stand-ins and the few tools it needs, nothing else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    for name, body in STANDINS.items():
        if name == "pg_lsclusters" and not installed:
            continue
        stand_in = bin_dir / name
        stand_in.write_text(f"#!/bin/sh\n{body}\n")
        stand_in.chmod(0o755)
    log = tmp_path / "calls"
    log.touch()
    env = {
        "PATH": str(bin_dir),
        "FAKE_CLUSTERS": clusters,
        "FAKE_UID": str(uid),
        "FAKE_LOG": str(log),
        "FAKE_PSQL_STATUS": "0" if psql_logs_in else "2",
    }
    done = subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    sql = tmp_path / "calls.sql"
    return Run(
        stdout=done.stdout,
        stderr=done.stderr,
        calls=log.read_text().splitlines(),
        sql=sql.read_text() if sql.exists() else "",
    )


def test_as_root_the_cluster_on_5432_is_started_and_given_a_role(tmp_path: Path) -> None:
    clusters = (
        "16 main 5433 online postgres /var/lib/postgresql/16/main /var/log/y.log\n"
        "15 main 5432 down postgres /var/lib/postgresql/15/main /var/log/x.log\n"
    )
    done = run(tmp_path, clusters)
    assert done.stdout.strip() == URL_5432
    assert done.calls == ["pg_ctlcluster 15 main start", "su postgres -c psql -qtAX -p 5432"]
    assert "CREATE ROLE hotline_test LOGIN CREATEDB" in done.sql


def test_an_online_cluster_on_5432_is_not_restarted(tmp_path: Path) -> None:
    clusters = (
        "16 main 5433 online postgres /var/lib/postgresql/16/main /var/log/y.log\n" + ONLINE_5432
    )
    done = run(tmp_path, clusters)
    assert done.stdout.strip() == URL_5432
    assert done.calls == ["su postgres -c psql -qtAX -p 5432"]


def test_without_a_cluster_on_5432_the_first_one_is_used_and_said_so(tmp_path: Path) -> None:
    done = run(tmp_path, "16 main 5433 online postgres /d /l\n17 main 5434 online postgres /d /l\n")
    assert done.stdout.strip().endswith("@127.0.0.1:5433/postgres")
    assert "no cluster on port 5432" in done.stderr


def test_not_root_it_says_what_to_do_and_prints_no_url(tmp_path: Path) -> None:
    done = run(tmp_path, uid=1000)
    assert done.stdout == ""
    assert "run this as root" in done.stderr
    assert "HOTLINE_TEST_POSTGRES_URL" in done.stderr
    assert "postgresql+psycopg://user:password@127.0.0.1:5432/postgres" in done.stderr
    assert not any(call.startswith(("su ", "pg_ctlcluster")) for call in done.calls)


def test_not_root_the_role_a_root_run_made_is_used(tmp_path: Path) -> None:
    done = run(tmp_path, uid=1000, psql_logs_in=True)
    assert done.stdout.strip() == URL_5432
    assert done.stderr == ""


@pytest.mark.parametrize("uid", [0, 1000])
def test_installed_without_a_cluster_it_says_how_to_make_one(tmp_path: Path, uid: int) -> None:
    done = run(tmp_path, "", uid=uid)
    assert done.stdout == ""
    assert "pg_createcluster" in done.stderr
    assert "HOTLINE_TEST_POSTGRES_URL" in done.stderr


def test_without_postgresql_installed_it_prints_nothing_at_all(tmp_path: Path) -> None:
    done = run(tmp_path, installed=False)
    assert (done.stdout, done.stderr, done.calls) == ("", "", [])


def test_the_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)
