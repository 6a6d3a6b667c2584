# Shared by the hostile clients: a TLS (ALPN h2) or h2c connection driven by the `h2` state machine.
import argparse
import json
import select
import signal
import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.settings
from h2.settings import SettingCodes

MAX_WINDOW = 2**31 - 1


def tls_context(ca_file):
    """The client TLS context for --ca, or None (h2c, prior knowledge) without one."""
    if ca_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    return context


class Connection:
    """One client connection; `sock` is blocking, so only one thread may drive it."""

    def __init__(self, context, port, server_name, initial_window=None, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.scheme = "http"
        if context is not None:
            self.sock = context.wrap_socket(self.sock, server_hostname=server_name)
            self.scheme = "https"
            protocol = self.sock.selected_alpn_protocol()
            if protocol != "h2":
                self.sock.close()
                raise ConnectionError(f"ALPN gave {protocol!r}, not h2")
        self.sock.settimeout(None)
        self.server_name = server_name
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        if initial_window is not None:
            # In the very first SETTINGS, so the peer never sees a smaller window.
            self.h2.local_settings = h2.settings.Settings(
                client=True, initial_values={SettingCodes.INITIAL_WINDOW_SIZE: initial_window,
                                             SettingCodes.ENABLE_PUSH: 0})
        self.h2.initiate_connection()

    def open_grpc_stream(self, path, metadata=(), end_stream_after_empty_message=False):
        stream_id = self.h2.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", self.scheme), (":path", path),
                   (":authority", self.server_name), ("content-type", "application/grpc"),
                   ("te", "trailers"), *metadata]
        self.h2.send_headers(stream_id, headers)
        if end_stream_after_empty_message:
            self.h2.send_data(stream_id, b"\x00\x00\x00\x00\x00", end_stream=True)
        return stream_id

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def readable(self, timeout):
        # TLS may hold a decrypted record already, which select() cannot see.
        pending = getattr(self.sock, "pending", lambda: 0)()
        return pending > 0 or bool(select.select([self.sock], [], [], timeout)[0])

    def receive(self, max_bytes=65536):
        """Reads once and returns the h2 events, or None when the peer closed."""
        data = self.sock.recv(max_bytes)
        if not data:
            return None
        events = self.h2.receive_data(data)
        self.flush()  # SETTINGS and PING acknowledgements h2 queued
        return events

    def abort(self):
        # shutdown() also wakes another thread blocked in sendall/recv on this socket.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def run_attack(name, args, make_attack):
    """The attacks' shared main: `args.connections` threads each run
    `attack.run_connection(ready, deadline)`; `ready` is printed once all are
    up (or the time is over), then after `args.duration` `attack.stop()` and
    the JSON of `attack.report()`."""
    deadline = time.monotonic() + args.duration
    try:
        context = tls_context(args.ca)
    except (OSError, ValueError) as error:
        print(f"{name}: bad --ca: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    attack = make_attack(args, context)
    ready = threading.Semaphore(0)
    for _ in range(args.connections):
        threading.Thread(target=attack.run_connection, args=(ready, deadline), daemon=True).start()
    for _ in range(args.connections):
        if not ready.acquire(timeout=max(0, deadline - time.monotonic())):
            break
    print("ready", flush=True)
    stop.wait(max(0, deadline - time.monotonic()))
    attack.stop()
    print(json.dumps(attack.report()), flush=True)
    return 0


def attack_arguments(description, connections):
    """The attacks' common flags; `parse(parser)` checks them after the caller adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", help="PEM CA that signed the proxy's certificate (TLS)")
    parser.add_argument("--plaintext", action="store_true", help="h2c, e.g. straight to a backend")
    parser.add_argument("--server-name", default="grpc.example.com")
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--streams", type=int, default=4, help="per connection")
    parser.add_argument("--duration", type=float, required=True, help="seconds; the connections close then")
    return parser


def parse(parser):
    args = parser.parse_args()
    if args.plaintext == bool(args.ca):
        parser.error("give exactly one of --ca and --plaintext")
    return args
