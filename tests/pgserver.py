"""Start and stop a throwaway PostgreSQL server for the tests, then delete it.

The server lives in one folder (cluster, socket, log), listens on 127.0.0.1 only,
on a free port, trusts every local connection and never calls fsync. As root,
``initdb`` and ``pg_ctl`` run as the ``postgres`` user, which owns the folder.

Only the standard library is used: ``.ci/run`` starts the server before the
virtualenv exists::

    dir="$(mktemp -d)"
    exports="$(python3 -m tests.pgserver start --dir "$dir")"  # export POSTGRES_...
    eval "$exports"
    python3 -m tests.pgserver stop --dir "$dir"

From Python, ``with running() as server:`` gives ``server.host``, ``.port``,
``.user`` and ``.password``.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
SUPERUSER = "postgres"
# Trust authentication ignores it; clients that insist on one get this.
PASSWORD = "postgres"
START_ATTEMPTS = 3

SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}


class PostgresServerError(RuntimeError):
    """Say why the throwaway server could not be started or stopped."""


@dataclass(frozen=True)
class Server:
    """Say where a running throwaway server listens and how to log in."""

    host: str
    port: int
    user: str
    password: str
    directory: str

    def exports(self) -> str:
        """Return a shell line that exports the ``POSTGRES_*`` variables."""
        variables = {
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
        }
        pairs = " ".join(f"{k}={shlex.quote(v)}" for k, v in variables.items())
        return f"export {pairs}"


def find_bindir() -> Path | None:
    """Return the folder holding ``initdb`` and ``pg_ctl``, newest version first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not candidates:
        return None
    newest = max(candidates, key=lambda path: int(Path(path).parts[-3]))
    return Path(newest).parent


def start(
    directory: str | os.PathLike[str], settings: dict[str, str] | None = None
) -> Server:
    """Create a cluster in ``directory`` (empty or missing) and start it.

    ``settings`` override those of :data:`SETTINGS` (``postgresql.conf`` values).

    On failure, the folder is deleted and nothing is left running.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresServerError(
            "initdb not found: install PostgreSQL (apt-get install -y postgresql)."
        )
    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        # Perhaps another server's: leave it alone.
        raise PostgresServerError(f"{folder} is not empty: give an empty folder.")
    try:
        return _start(bindir, folder, settings or {})
    except BaseException:
        stop(folder)
        raise


def _start(bindir: Path, folder: Path, settings: dict[str, str]) -> Server:
    owner = _server_user()
    if owner is not None:
        shutil.chown(folder, owner.pw_uid, owner.pw_gid)
    folder.chmod(0o700)
    data = folder / "data"
    _run(
        owner,
        folder,
        str(bindir / "initdb"),
        "--pgdata",
        str(data),
        "--username",
        SUPERUSER,
        "--auth",
        "trust",
        "--encoding",
        "UTF8",
        "--locale",
        "C",
        "--no-sync",
        "--no-instructions",
    )
    chosen = {
        **SETTINGS,
        **settings,
        "unix_socket_directories": f"'{folder}'",
    }
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# Throwaway test server (tests/pgserver.py).\n")
        conf.writelines(f"{name} = {value}\n" for name, value in chosen.items())
    last_error: PostgresServerError | None = None
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        try:
            _run(
                owner,
                folder,
                str(bindir / "pg_ctl"),
                "start",
                "--pgdata",
                str(data),
                "--log",
                str(folder / "server.log"),
                "--wait",
                "--timeout",
                "60",
                "-o",
                f"-p {port}",
            )
        except PostgresServerError as error:
            # Someone may have taken the port between our check and the bind.
            last_error = error
            continue
        return Server(HOST, port, SUPERUSER, PASSWORD, str(folder))
    raise PostgresServerError(f"{last_error}\n{_tail(folder / 'server.log')}")


def stop(directory: str | os.PathLike[str]) -> None:
    """Stop the server in ``directory`` at once, then delete the folder."""
    folder = Path(directory).resolve()
    data = folder / "data"
    bindir = find_bindir()
    try:
        if bindir is not None and (data / "postmaster.pid").exists():
            _run(
                _server_user(),
                folder,
                str(bindir / "pg_ctl"),
                "stop",
                "--pgdata",
                str(data),
                "--mode",
                "immediate",
                "--wait",
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running(settings: dict[str, str] | None = None) -> Iterator[Server]:
    """Run a throwaway server for the length of the ``with`` block."""
    server = start(tempfile.mkdtemp(prefix="incidents-pg-"), settings)
    try:
        yield server
    finally:
        stop(server.directory)


def _server_user() -> pwd.struct_passwd | None:
    # PostgreSQL refuses to run as root: as root, act as the postgres user.
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresServerError(
            "Running as root, but there is no postgres user to run the server as."
        ) from None


def _run(owner: pwd.struct_passwd | None, cwd: Path, *command: str) -> None:
    if owner is not None:
        command = ("runuser", "-u", owner.pw_name, "--", *command)
    # Output goes to a file, never a pipe: the server inherits pg_ctl's streams,
    # and a pipe it holds open would hang "$(python3 -m tests.pgserver start)".
    with tempfile.TemporaryFile() as output:
        completed = subprocess.run(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if completed.returncode != 0:
            output.seek(0)
            text = output.read().decode("utf-8", "replace")
            raise PostgresServerError(
                f"{shlex.join(command)} exited with {completed.returncode}:\n{text}"
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """Start or stop a server from the shell; ``start`` prints ``export`` lines."""
    parser = argparse.ArgumentParser(prog="python -m tests.pgserver")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", required=True, help="folder of the cluster")
    arguments = parser.parse_args(argv)
    try:
        if arguments.action == "start":
            print(start(arguments.dir).exports())
        else:
            stop(arguments.dir)
    except PostgresServerError as error:
        print(f"pgserver: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
