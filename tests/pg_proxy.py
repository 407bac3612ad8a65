"""A TCP proxy a test can cut: "the database is unreachable" for one test server,
without stopping the PostgreSQL cluster that other runs share, or "Shopify refuses
connections" in front of the fake Shopify.

For PostgreSQL the test server's config points db_host/db_port at the proxy, which
forwards to the local cluster's Unix socket (peer authentication, as for every other
connection here). ``cut()`` drops every open connection and refuses new ones (each is
closed as soon as it is accepted) until ``restore()``.
"""

import socket
import threading
from pathlib import Path

PG_SOCKET_DIRS = ("/var/run/postgresql", "/run/postgresql", "/tmp")


def pg_socket_path(port: int = 5432) -> str:
    for directory in PG_SOCKET_DIRS:
        path = Path(directory, f".s.PGSQL.{port}")
        if path.exists():
            return str(path)
    raise RuntimeError(f"no PostgreSQL Unix socket for port {port} in {PG_SOCKET_DIRS}")


class PgProxy:
    """``target``: a Unix socket path (default: PostgreSQL's) or a (host, port)."""

    def __init__(self, target: str | tuple[str, int] | None = None):
        self.target = target or pg_socket_path()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.accepted = self.refused = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._stopped = False

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stopped = True
        self.listener.close()
        self._drop_all()

    def cut(self):
        """From now on PostgreSQL is unreachable: open connections break, new ones are
        closed as soon as they are accepted."""
        self.cut_off = True
        self._drop_all()

    def restore(self):
        self.cut_off = False

    def _drop_all(self):
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self):
        while not self._stopped:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            if self.cut_off:
                self.refused += 1
                client.close()
                continue
            self.accepted += 1
            family = socket.AF_UNIX if isinstance(self.target, str) else socket.AF_INET
            server = socket.socket(family, socket.SOCK_STREAM)
            try:
                server.connect(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for src, dst in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(src, dst), daemon=True
                ).start()

    def _pump(self, src: socket.socket, dst: socket.socket):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:  # one side is gone: end the other pump too, then free both
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                self._sockets -= {src, dst}
            src.close()
