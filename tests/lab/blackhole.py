"""A name server that never answers: UDP datagrams are read and dropped, TCP connections accepted and left hanging."""

from __future__ import annotations

import selectors
import socket
import threading
from typing import cast


class BlackHole:
    """UDP and TCP on ``address``:``port`` that swallow everything, served by a daemon thread.

    Use :meth:`bind` (raises OSError when the port is taken), then :meth:`start`; :meth:`stop` ends the
    thread and closes every socket, including the TCP connections clients still hold open.
    """

    def __init__(self, address: str, port: int, udp: socket.socket, tcp: socket.socket) -> None:
        self.address = address
        self.port = port
        self._udp = udp
        self._tcp = tcp
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._connections: list[socket.socket] = []

    @classmethod
    def bind(cls, address: str, port: int) -> BlackHole:
        """Bind UDP and TCP sockets on address:port (not yet serving)."""
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind((address, port))
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((address, port))
            tcp.listen(16)
        except OSError:
            udp.close()
            tcp.close()
            raise
        return cls(address, port, udp, tcp)

    @property
    def endpoint(self) -> tuple[str, int]:
        """(address, port)."""
        return self.address, self.port

    def start(self) -> BlackHole:
        """Start swallowing in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name=f"blackhole-{self.port}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            for sock in (self._udp, self._tcp, self._wake_r):
                selector.register(sock, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    sock = cast(socket.socket, key.fileobj)
                    if sock is self._wake_r:
                        return
                    try:
                        if sock is self._udp:
                            sock.recvfrom(65535)
                        elif sock is self._tcp:
                            connection, _ = sock.accept()
                            self._connections.append(connection)
                            selector.register(connection, selectors.EVENT_READ)
                        elif not sock.recv(65535):  # the client closed: close our side too
                            selector.unregister(sock)
                            self._connections.remove(sock)
                            sock.close()
                    except OSError:
                        continue

    def stop(self) -> None:
        """End the thread and close every socket. Safe to call twice."""
        if self._thread is not None:
            self._wake_w.send(b"x")
            self._thread.join(timeout=5)
            self._thread = None
        for sock in (self._udp, self._tcp, self._wake_r, self._wake_w, *self._connections):
            sock.close()
        self._connections.clear()
