# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API key never shows: the full -vvvv output (stdout and stderr) of runs that succeed and runs that fail,
with the key given as a parameter and through NEON_API_KEY, is searched for the key and for any 12-character
piece of it. A ~/.netrc for the API host cannot replace the Bearer header (the emulator would answer 401), over
plain loopback http and over https (a TLS front on the emulator, trusted through REQUESTS_CA_BUNDLE).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import threading

import pytest

from scenarios import ADA_KEY, DEST, SRC
from test_faults import run_tasks

WRONG_KEY = "wrong0key0q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3j2k1l0z9x8c7v6b5n4m3q2"
NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def pieces(secret, size=12):
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def assert_never_shown(proc, *secrets):
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    for secret in secrets:
        leaked = sorted(piece for piece in pieces(secret) if piece in output)
        assert not leaked, "the key shows in the output: %s" % leaked[:3]


def tasks(emu, with_key):
    """A run that succeeds, then one that fails after talking to the API (a project that exists nowhere)."""
    base = {"api_url": emu.api_url, "source_org_id": SRC, "org_id": DEST}
    if with_key:
        base["api_key"] = ADA_KEY
    return [dict(base, projects=["p-plain-1"]), dict(base, projects=["p-plain-2", "p-nowhere-1"])]


@pytest.mark.parametrize("how", ["parameter", "NEON_API_KEY"])
def test_key_never_shows_at_vvvv_on_success_and_failure(emu, how):
    env = {"NEON_API_KEY": ADA_KEY} if how == "NEON_API_KEY" else {}
    (ok, failed), proc = run_tasks(tasks(emu, how == "parameter"), env=env, args=["-vvvv"])
    assert not ok["failed"] and ok["changed"] is True, ok
    assert failed["failed"] is True and failed["missing"] == ["p-nowhere-1"], failed
    assert NO_LOG_MARK in proc.stdout, "-vvvv must have printed the module arguments (masked)"
    assert_never_shown(proc, ADA_KEY)


def test_a_refused_key_never_shows_either(emu):
    """A wrong key (HTTP 401), a key with a newline (refused before sending), both from NEON_API_KEY."""
    params = {"api_url": emu.api_url, "source_org_id": SRC, "org_id": DEST, "projects": ["p-plain-1"]}
    (wrong,), proc = run_tasks([params], env={"NEON_API_KEY": WRONG_KEY}, args=["-vvvv"])
    # The first pages of the source and the destination are read side by side: both refused, nothing else sent.
    assert wrong["failed"] is True and "HTTP 401" in wrong["msg"] and wrong["api_requests"] == 2
    assert [entry["status"] for entry in emu.request_log] == [401, 401]
    assert_never_shown(proc, WRONG_KEY)
    (injected,), proc = run_tasks([params], env={"NEON_API_KEY": ADA_KEY + "\r\nX-Injected: 1"}, args=["-vvvv"])
    assert injected["failed"] is True and "not shown" in injected["msg"] and not injected["api_requests"]
    assert_never_shown(proc, ADA_KEY)
    assert emu.writes() == [] and len(emu.request_log) == 2


# -- ~/.netrc ----------------------------------------------------------------------------------------------------

def self_signed(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(certfile, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(keyfile, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return certfile, keyfile


class TlsFront:
    """https://127.0.0.1:PORT in front of the emulator's plain http (TLS terminated here, bytes relayed)."""

    def __init__(self, target_port, certfile, keyfile):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except (OSError, ssl.SSLError):
            conn.close()
            return
        threading.Thread(target=self._pump, args=(upstream, tls), daemon=True).start()
        self._pump(tls, upstream)

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, ssl.SSLError):
            pass
        for sock in (source, sink):
            try:
                sock.close()
            except OSError:
                pass

    def close(self):
        self.listener.close()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_netrc_for_the_api_host_cannot_replace_the_key(emu, tmp_path, scheme):
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1\n  login intruder\n  password netrc0password0that0must0never0be0sent\n")
    netrc.chmod(0o600)
    env = {"HOME": str(home), "NETRC": str(netrc), "NEON_API_KEY": ADA_KEY}
    front = None
    api_url = emu.api_url
    if scheme == "https":
        certfile, keyfile = self_signed(str(tmp_path))
        front = TlsFront(emu.port, certfile, keyfile)
        api_url = "https://127.0.0.1:%d/api/v2" % front.port
        env["REQUESTS_CA_BUNDLE"] = certfile          # the environment's CA bundle still applies to https
    try:
        params = {"api_url": api_url, "source_org_id": SRC, "org_id": DEST, "projects": ["p-plain-3"]}
        (result,), proc = run_tasks([params], env=env, args=["-vvvv"])
    finally:
        if front:
            front.close()
    # With the Basic credentials of the .netrc instead of the Bearer key, the emulator would answer 401.
    assert not result["failed"], result["msg"]
    assert result["transferred"] == ["p-plain-3"] and emu.ownership()["p-plain-3"] == DEST
    assert not [e for e in emu.request_log if e["status"] == 401]
    assert_never_shown(proc, ADA_KEY, "netrc0password0that0must0never0be0sent")
