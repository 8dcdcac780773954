"""A real Dovecot IMAP server for tests and benchmarks, entirely inside a temporary directory.

    with Dovecot() as server:                      # or Dovecot(tls=True) for IMAPS and STARTTLS
        server.add_user("support", "secret")
        server.append("support", "secret", [raw_bytes, ...])
        settings = {"imap": server.imap_settings("support", "secret")}

It writes its own config (passwd-file users, maildirs, base_dir, state_dir and log under the directory, a free
loopback port), runs `dovecot -F -c <conf>` in the foreground as a child process and stops it by that PID, so
it never touches a system Dovecot. Dovecot refuses to run its login processes as root: as root they run as
`dovenull` (or `nobody`) and mail is stored as `dovecot` (or `nobody`); as any other user, as that user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _account(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"none of the users {names} exists; install dovecot-imapd (it creates dovecot, dovenull)")


class Dovecot:
    """One Dovecot instance on 127.0.0.1 (plain IMAP on `port`; with tls=True also IMAPS on `tls_port`)."""

    def __init__(self, root: Path | None = None, *, tls: bool = False):
        self.root = Path(root or tempfile.mkdtemp(prefix="rapport-dovecot-"))
        self._own_root = root is None
        self.tls = tls
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.process: subprocess.Popen | None = None
        self.users: dict[str, str] = {}
        if os.geteuid() == 0:
            login = _account("dovenull", "nobody")
            self.mail_user = _account("dovecot", "nobody")
        else:
            login = self.mail_user = pwd.getpwuid(os.geteuid())
        self.login_user = login.pw_name

    @property
    def conf(self) -> Path:
        """The config file."""
        return self.root / "dovecot.conf"

    @property
    def ca_file(self) -> str | None:
        """The self-signed certificate (with tls=True), to trust as a CA."""
        return str(self.root / "cert.pem") if self.tls else None

    def start(self) -> Dovecot:
        """Write the config and start the server; returns once it accepts connections."""
        if not os.path.exists(DOVECOT):
            raise RuntimeError("Dovecot is not installed: apt-get install dovecot-imapd")
        self.root.chmod(0o755)  # the unprivileged login processes must reach base_dir
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.root / "mail", self.mail_user.pw_uid, self.mail_user.pw_gid)
        (self.root / "passwd").touch()
        if self.tls:
            self._certificate()
        self.conf.write_text(self._config())
        log = open(self.root / "stdout.log", "wb")  # noqa: SIM115  (kept open for the child's lifetime)
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not start listening on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server by its PID and remove its directory (if this object made it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> str:
        """What the server logged (for failure messages)."""
        out = []
        for name in ("stdout.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                out.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(out)

    def add_user(self, name: str, password: str) -> None:
        """A mail user. Add users before start(): a running Dovecot looks at the passwd file at most once a
        second, so a user added while it runs takes a second (this waits for it)."""
        if ":" in name + password or "\n" in name + password:
            raise ValueError("user names and passwords cannot contain ':' or line breaks here")
        self.users[name] = password
        uid, gid = self.mail_user.pw_uid, self.mail_user.pw_gid
        lines = [f"{u}:{{PLAIN}}{p}:{uid}:{gid}::{self.root / 'mail' / u}::" for u, p in self.users.items()]
        (self.root / "passwd").write_text("\n".join(lines) + "\n")
        if self.process is not None:
            time.sleep(1.1)

    def connect(self, user: str, password: str | None = None) -> imaplib.IMAP4:
        """A logged-in imaplib client."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        client.login(user, password if password is not None else self.users[user])
        return client

    def append(self, user: str, password: str | None, messages: list[bytes], mailbox: str = "INBOX") -> None:
        """Put messages into a mailbox with IMAP APPEND (creating the mailbox if needed)."""
        client = self.connect(user, password)
        try:
            if mailbox != "INBOX":
                client.create(f'"{mailbox}"')
            for raw in messages:
                typ, data = client.append(f'"{mailbox}"', None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def create_mailbox(self, user: str, mailbox: str) -> None:
        """Create a folder (for example the move-to folder)."""
        client = self.connect(user)
        try:
            client.create(f'"{mailbox}"')
        finally:
            client.logout()

    def imap_settings(self, user: str, password: str | None = None, *, security: str = "plain", **extra) -> dict:
        """The `imap` part of an email inbox's settings for this server."""
        port = self.tls_port if security == "tls" else self.port
        settings = {
            "host": "localhost" if security != "plain" else "127.0.0.1",
            "port": port,
            "security": security,
            "username": user,
            "password": password if password is not None else self.users[user],
            "allow_private": True,  # the test server is on loopback: allowed explicitly, past the SSRF guard
        }
        if security != "plain":
            settings["ca_file"] = self.ca_file
        return settings | extra

    def _certificate(self) -> None:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem"),
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def _config(self) -> str:
        r = self.root
        group = grp.getgrgid(self.mail_user.pw_gid).gr_name
        ssl = (
            f"ssl = yes\nssl_cert = <{r / 'cert.pem'}\nssl_key = <{r / 'key.pem'}\nssl_min_protocol = TLSv1.2\n"
            if self.tls
            else "ssl = no\n"
        )
        imaps = (
            f"inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.tls_port}\n  }}"
            if self.tls
            else ("inet_listener imaps {\n    port = 0\n  }")
        )
        return f"""# Written by tests/channels/email/dovecot.py for one test run.
base_dir = {r / "run"}
state_dir = {r / "state"}
instance_name = rapport-test-{self.port}
log_path = {r / "dovecot.log"}
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {self.login_user}
default_internal_user = {self.mail_user.pw_name}
default_internal_group = {group}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {r / "passwd"}
}}
userdb {{
  driver = passwd-file
  args = {r / "passwd"}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  {imaps}
  chroot =
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""
