"""A TCP forwarder on 127.0.0.1 that a test can cut, stall and restore: the database "going away" on demand.

forward  connections are relayed to the target, byte for byte, by two threads each
cut()    every relayed connection is closed and the port refuses new ones (ECONNREFUSED): a database that
         went down, or a network that dropped the established sessions
stall()  every relayed connection is closed; new ones are accepted but never answered: a database host
         that stopped responding (clients wait until their own timeout)
restore() back to forwarding, on the same port
"""

import socket
import threading
from contextlib import suppress

ACCEPT_POLL_SECONDS = 0.05
JOIN_TIMEOUT_SECONDS = 5
CHUNK = 65536


class TCPProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self._mode = "forward"
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()
        self._relayed: set[socket.socket] = set()  # the client side of connections being forwarded
        self._threads: list[threading.Thread] = []
        self.accepted = 0

    # Control, from the test's thread.

    def start(self) -> "TCPProxy":
        self._listen()
        return self

    def cut(self) -> None:
        with self._lock:
            self._mode = "refuse"
        self._stop_listening()
        self._drop_connections()

    def stall(self) -> None:
        with self._lock:
            self._mode = "stall"
        self._drop_connections()
        if self._listener is None:
            self._listen()

    def restore(self) -> None:
        self._drop_connections()  # stalled ones too: a restarted database does not answer old handshakes
        with self._lock:
            self._mode = "forward"
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        with self._lock:
            self._mode = "refuse"
        self._stop_listening()
        self._drop_connections()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT_SECONDS)

    def __enter__(self) -> "TCPProxy":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def relayed_connections(self) -> int:
        """Connections open through the proxy right now (a persistent database connection is one)."""
        with self._lock:
            return len(self._relayed)

    # Internals.

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The same port again after a cut, although closed connections still sit in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._acceptor.start()
        self._threads.append(self._acceptor)

    def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._acceptor is not None:
            self._acceptor.join(JOIN_TIMEOUT_SECONDS)
            assert not self._acceptor.is_alive(), "the proxy's accept loop did not stop"
            self._acceptor = None

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by _stop_listening
            client.settimeout(None)
            with self._lock:
                mode = self._mode
                self.accepted += 1
                self._sockets.add(client)
            if mode == "forward":
                self._relay(client)
            elif mode == "refuse":
                self._discard(client)
            # "stall": keep it open, read nothing, answer nothing.

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._discard(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets.add(upstream)
            self._relayed.add(client)
        for source, sink in ((client, upstream), (upstream, client)):
            thread = threading.Thread(target=self._pipe, args=(source, sink), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._discard(source)
            self._discard(sink)

    def _drop_connections(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._discard(sock)

    def _discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
            self._relayed.discard(sock)
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with suppress(OSError):
            sock.close()
