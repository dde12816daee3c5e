"""deploy/nginx/hotline.conf, run by the real nginx in front of a real `hotline serve`.

The test copy is the example with its listen and ssl lines made plain HTTP on loopback
ports, the upstream pointed at the service, and a header timeout of 2 s instead of 10 s
so that waiting for it stays short. Every substitution must match exactly once: an
example that loses a limit fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from hotline.config import PROJECT_ROOT
from tests.test_production_start import GOOD, environment, free_port, serving

EXAMPLE = PROJECT_ROOT / "deploy" / "nginx" / "hotline.conf"
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)),
    None,
)
IN_CI = os.environ.get("CI") == "true"
HEADER_TIMEOUT = 2
CANARY = "+13125550177"
BODY_MARKER = "bodymarker"
KIB = 1024
FORGED = {"X-Twilio-Signature": "forged", "Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Proxy:
    url: str
    redirect_url: str
    service_url: str
    folder: Path
    port: int


def substitute(text: str, pattern: str, replacement: str) -> str:
    """`text` with the one match of `pattern` replaced; the example must have it."""
    replaced, count = re.subn(pattern, replacement, text)
    assert count == 1, f"{EXAMPLE.name}: expected one {pattern!r}, found {count}"
    return replaced


def plain_http(example: str, *, port: int, redirect_port: int, upstream: int) -> str:
    """The example on loopback ports without TLS, in front of the service at `upstream`."""
    text = substitute(example, r"\blisten 443 ssl;", f"listen 127.0.0.1:{port};")
    text = substitute(text, r"\blisten 80;", f"listen 127.0.0.1:{redirect_port};")
    text = substitute(text, r"\bserver 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};")
    text = substitute(
        text, r"\bclient_header_timeout 10s;", f"client_header_timeout {HEADER_TIMEOUT}s;"
    )
    kept = [line for line in text.splitlines() if not re.match(r"\s*(listen \[::\]|ssl_)", line)]
    return "\n".join(kept) + "\n"


def main_config(folder: Path, site: Path) -> str:
    """An nginx.conf of our own around the site, as Debian's includes conf.d/*.conf. It has
    an access log for the whole http block, as Debian's has: the site must turn it off."""
    temp = {kind: folder / kind for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    paths = "\n".join(f"    {kind}_temp_path {path};" for kind, path in temp.items())
    paths = paths.replace("    body_temp_path", "    client_body_temp_path")
    return (
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        + f"error_log {folder}/error.log info;\n"
        + "events { worker_connections 256; }\n"
        + f"http {{\n    access_log {folder}/access.log;\n{paths}\n    include {site};\n}}\n"
    )


def nginx_binary() -> str:
    if NGINX is None:
        if IN_CI:
            pytest.fail("nginx is not installed: .ci/run installs it; the proxy test must run")
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    return NGINX


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(log.read_text() if log.exists() else "nginx exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    binary = nginx_binary()
    folder = tmp_path_factory.mktemp("nginx")
    port, redirect_port, upstream = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    site = folder / "hotline.conf"
    site.write_text(
        plain_http(EXAMPLE.read_text(), port=port, redirect_port=redirect_port, upstream=upstream)
    )
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site))
    env = environment(folder, **{**GOOD, "HOTLINE_PUBLIC_URL": url})
    with serving(env, upstream):
        process = subprocess.Popen(
            [binary, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, process, folder / "error.log")
            yield Proxy(
                url=url,
                redirect_url=f"http://127.0.0.1:{redirect_port}",
                service_url=f"http://127.0.0.1:{upstream}",
                folder=folder,
                port=port,
            )
        finally:
            process.terminate()
            process.wait(timeout=10)


def signed(url: str, params: dict[str, str]) -> dict[str, str]:
    signature = RequestValidator(GOOD["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return {"X-Twilio-Signature": signature}


def call_params() -> dict[str, str]:
    return {"CallSid": "CA" + "7" * 32, "From": CANARY, "To": "+13125550100"}


def from_nginx(answer: httpx.Response, status: int) -> bool:
    """An answer nginx made itself: its HTML error page, not the service's JSON."""
    return (
        answer.status_code == status
        and answer.headers.get("content-type", "").startswith("text/html")
        and "nginx" in answer.text
    )


def test_a_signed_webhook_passes_through_and_is_answered(proxy: Proxy) -> None:
    url = f"{proxy.url}/twilio/voice"
    params = call_params()
    with httpx.Client(timeout=10) as client:
        for _ in range(3):  # over one kept-alive connection to the service
            answer = client.post(url, data=params, headers=signed(url, params))
            assert answer.status_code == 200, answer.text
            assert "<Gather" in answer.text
            assert answer.headers["strict-transport-security"] == "max-age=31536000"
            assert answer.headers["server"] == "nginx"  # no version


def test_a_forged_signature_is_refused_by_the_service_behind(proxy: Proxy) -> None:
    url = f"{proxy.url}/twilio/voice"
    answer = httpx.post(url, data=call_params(), headers={"X-Twilio-Signature": "forged"})
    assert answer.status_code == 403
    assert not from_nginx(answer, 403)
    assert "invalid signature" in answer.text


def test_a_webhook_without_a_signature_is_refused_by_nginx(proxy: Proxy) -> None:
    answer = httpx.post(f"{proxy.url}/twilio/sms", data={"Body": "hi"})
    assert from_nginx(answer, 403), answer.text
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_a_body_over_64_kib_to_a_webhook_is_refused_by_nginx(proxy: Proxy) -> None:
    body = f"Body={BODY_MARKER}" + "x" * (100 * KIB)
    answer = httpx.post(
        f"{proxy.url}/twilio/sms",
        content=body,
        headers=FORGED,
    )
    assert from_nginx(answer, 413), answer.text


def test_the_api_may_take_a_mebibyte_and_no_more(proxy: Proxy) -> None:
    url = f"{proxy.url}/api/v1/volunteers"
    headers = {"Content-Type": "application/json"}
    # 100 KiB gets past nginx to the service, which wants a token before it reads a
    # byte and closes the connection on the rest: nginx, still sending the body, then
    # sometimes sees the close before the answer (a 502 of its own), never its 413.
    within = httpx.post(url, content=b" " * (100 * KIB), headers=headers)
    assert not from_nginx(within, 413), within.text
    assert within.status_code in (401, 502)
    if within.status_code == 401:
        assert within.json()["error"] == "unauthorized"
    over = httpx.post(url, content=b" " * (2 * 1024 * KIB), headers=headers)
    assert from_nginx(over, 413), over.text


def test_a_head_sent_a_byte_at_a_time_is_cut_after_the_header_timeout(proxy: Proxy) -> None:
    connection = socket.create_connection(("127.0.0.1", proxy.port))
    connection.settimeout(0.4)
    started = time.monotonic()
    connection.sendall(b"POST /twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    closed_after = None
    try:
        for n in range(40):  # 40 lines, every 0.2 s: at most 8 s
            try:
                connection.sendall(f"X-Trickle-{n}: a\r\n".encode())
                if connection.recv(4096) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    finally:
        connection.close()
    assert closed_after is not None, "the connection was still open after 8 s"
    assert HEADER_TIMEOUT - 0.5 <= closed_after <= HEADER_TIMEOUT + 2


def test_a_body_sent_a_byte_at_a_time_is_cut_by_the_service_deadline(proxy: Proxy) -> None:
    """nginx's body timeout is between two reads; bodies stream to the service, whose
    10 s deadline is for the whole body, so a trickle ends there."""
    connection = socket.create_connection(("127.0.0.1", proxy.port))
    connection.settimeout(0.9)
    connection.sendall(
        b"POST /twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: forged\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
    )
    started = time.monotonic()
    answer = b""
    try:
        while time.monotonic() - started < 14:
            try:
                connection.sendall(b"a")
                chunk = connection.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            answer += chunk
            if not chunk:
                break
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    assert b" 408 " in answer.split(b"\r\n", 1)[0], answer[:200]
    assert elapsed < 13


def test_plain_http_is_sent_to_https_on_the_public_name(proxy: Proxy) -> None:
    answer = httpx.get(f"{proxy.redirect_url}/healthz?x=1")
    assert answer.status_code == 301
    assert answer.headers["location"] == "https://hotline.example.org/healthz?x=1"


def test_nginx_logs_no_request_and_no_body_or_number(proxy: Proxy) -> None:
    url = f"{proxy.url}/twilio/voice"
    params = call_params()
    assert httpx.post(url, data=params, headers=signed(url, params)).status_code == 200
    httpx.post(
        f"{proxy.url}/twilio/sms",
        content=f"From={CANARY}&Body={BODY_MARKER}" + "x" * (100 * KIB),
        headers=FORGED,
    )
    assert (proxy.folder / "access.log").read_text() == ""
    error_log = (proxy.folder / "error.log").read_text()
    assert "client intended to send too large body" in error_log  # it does log, at info
    for secret in (CANARY, CANARY[1:], CANARY.replace("+", "%2B"), BODY_MARKER):
        assert secret not in error_log


def test_the_tls_server_of_the_example_is_accepted_by_nginx(tmp_path: Path) -> None:
    """`nginx -t` on the example as shipped, with a certificate of our own."""
    binary = nginx_binary()
    certificate, key = self_signed(tmp_path)
    text = EXAMPLE.read_text()
    text = substitute(text, r"/etc/letsencrypt/\S+/fullchain\.pem", str(certificate))
    text = substitute(text, r"/etc/letsencrypt/\S+/privkey\.pem", str(key))
    # `nginx -t` does not listen, but a host without IPv6 refuses the [::] lines.
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    site = tmp_path / "hotline.conf"
    site.write_text(text)
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(tmp_path, site).replace("daemon off;\n", ""))
    done = subprocess.run(
        [binary, "-t", "-p", f"{tmp_path}/", "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotline.example.org")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certificate_path = folder / "fullchain.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = folder / "privkey.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


def directives(text: str) -> dict[str, list[str]]:
    """Each block of the example by its opening line (`server`, `location /twilio/`), with
    its own directives (not its children's) as lines without the semicolon."""
    blocks: dict[str, list[str]] = {}
    stack = ["main"]
    servers = 0
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.endswith("{"):
            name = line[:-1].strip()
            if name == "server":
                servers += 1
                name = f"server {servers}"
            stack.append(name)
            blocks.setdefault(name, [])
        elif line == "}":
            stack.pop()
        elif line:
            blocks.setdefault(stack[-1], []).append(line.rstrip(";"))
    return blocks


def test_the_example_keeps_the_limits_of_the_service() -> None:
    blocks = directives(EXAMPLE.read_text())
    tls = blocks["server 2"]
    assert "listen 443 ssl" in tls
    for directive in (
        "client_max_body_size 1m",
        "client_header_timeout 10s",
        "client_body_timeout 10s",
        "access_log off",
        "proxy_request_buffering off",
        "proxy_max_temp_file_size 0",
        "proxy_http_version 1.1",
        'proxy_set_header Connection ""',
        'add_header Strict-Transport-Security "max-age=31536000" always',
    ):
        assert directive in tls, directive
    assert "client_max_body_size 64k" in blocks["location /twilio/"]
    assert "access_log off" in blocks["server 1"]
    [read_timeout] = [d for d in tls if d.startswith("proxy_read_timeout ")]
    assert int(read_timeout.split()[1].rstrip("s")) < 15  # Twilio gives up at 15 s
    assert any(d.startswith("keepalive ") for d in blocks["upstream hotline_service"])
    text = EXAMPLE.read_text()
    assert "log_format" not in text
    assert "$request_body" not in text
