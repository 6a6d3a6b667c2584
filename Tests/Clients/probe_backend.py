#!/usr/bin/env python3
# A fast plaintext gRPC backend (Echo, Probe streams, Health) for the flow-control isolation tests.
import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc


def raw(data):
    # Messages stay bytes end to end: no protoc, and Echo returns exactly what came in.
    return data


def metadata_int(context, key, default):
    for name, value in context.invocation_metadata():
        if name == key:
            try:
                return int(value)
            except ValueError:
                return default
    return default


def varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Probe:
    def __init__(self, name):
        self.identity = (("hostname", name),)

    def echo(self, request, context):
        context.send_initial_metadata(self.identity)
        return request

    def server_stream(self, request, context):
        size = metadata_int(context, "x-chunk-bytes", 65536)
        count = metadata_int(context, "x-chunks", 100000)
        context.send_initial_metadata(self.identity)
        chunk = b"\x00" * size
        # grpcio hands out the next message only when the previous one has been
        # taken by the transport, so this runs exactly as fast as the peer reads.
        for _ in range(count):
            if not context.is_active():
                return
            yield chunk

    def upload(self, request_iterator, context):
        delay = metadata_int(context, "x-read-delay-ms", 0) / 1000.0
        context.send_initial_metadata(self.identity)
        # A cancelled RPC wakes the waiting thread, so a "never reads" upload
        # does not keep a worker thread after its client or the proxy gave up.
        cancelled = threading.Event()
        context.add_callback(cancelled.set)
        total = messages = 0
        while True:
            if delay and cancelled.wait(delay):
                return b""
            try:
                message = next(request_iterator)
            except StopIteration:
                break
            total += len(message)
            messages += 1
        # UploadResponse{bytes = 1, messages = 2}, both varints.
        return b"\x08" + varint(total) + b"\x10" + varint(messages)

    def health_check(self, request, context):
        return b"\x08\x01"  # HealthCheckResponse{status: SERVING}


def handlers(probe):
    def unary(fn):
        return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=raw, response_serializer=raw)

    return [
        grpc.method_handlers_generic_handler("api.Echo", {"Echo": unary(probe.echo)}),
        grpc.method_handlers_generic_handler("api.Probe", {
            "ServerStream": grpc.unary_stream_rpc_method_handler(
                probe.server_stream, request_deserializer=raw, response_serializer=raw),
            "Upload": grpc.stream_unary_rpc_method_handler(
                probe.upload, request_deserializer=raw, response_serializer=raw),
        }),
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": unary(probe.health_check)}),
    ]


def main():
    parser = argparse.ArgumentParser(description="Plaintext gRPC backend for flow-control tests.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", default="probe-backend", help="sent back in the `hostname` header")
    parser.add_argument("--workers", type=int, default=256, help="threads; each blocked stream holds one")
    args = parser.parse_args()

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.workers),
        handlers=handlers(Probe(args.name)),
        options=[
            ("grpc.so_reuseport", 0),  # a second backend on the same port must fail, not share it
            ("grpc.max_receive_message_length", -1),
            ("grpc.max_send_message_length", -1),
        ],
    )
    try:
        bound = server.add_insecure_port(f"127.0.0.1:{args.port}")
    except RuntimeError:  # grpcio raises instead of returning 0 when the port is taken
        bound = 0
    if bound != args.port:
        print(f"probe_backend: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # A test runner may start us with SIGTERM blocked (inherited): unblock it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    server.start()
    print("ready", flush=True)
    while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
        pass
    server.stop(grace=0.5).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
