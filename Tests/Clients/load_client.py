#!/usr/bin/env python3
# The innocent client: steady unary gRPC calls whose failures and latency show whether another client hurt it.
import argparse
import json
import signal
import sys
import threading
import time

import grpc

HELLO = b"\x0a\x05hello"  # EchoRequest{content: "hello"}


def parse_args():
    parser = argparse.ArgumentParser(description="Loop unary calls and report failures and latency.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", help="PEM CA that signed the proxy's certificate (TLS)")
    parser.add_argument("--plaintext", action="store_true", help="h2c, e.g. straight to a backend")
    parser.add_argument("--server-name", default="grpc.example.com")
    parser.add_argument("--duration", type=float, required=True, help="seconds of counted calls")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of calls not counted, first")
    parser.add_argument("--concurrency", type=int, default=4, help="calls in flight at once")
    parser.add_argument("--method", default="/api.Echo/Echo")
    parser.add_argument("--timeout", type=float, default=5.0, help="deadline of each call, seconds")
    parser.add_argument("--rate", type=float, default=0, help="calls per second, all workers together; 0: no limit")
    args = parser.parse_args()
    if args.plaintext == bool(args.ca):
        parser.error("give exactly one of --ca and --plaintext")
    return args


def make_channel(args):
    target = f"127.0.0.1:{args.port}"
    options = [("grpc.default_authority", args.server_name)]
    if args.plaintext:
        return grpc.insecure_channel(target, options=options)
    with open(args.ca, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    # The certificate names server-name, not 127.0.0.1: check it against that name.
    options.append(("grpc.ssl_target_name_override", args.server_name))
    return grpc.secure_channel(target, credentials, options=options)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies_ms = []
        self.failed = 0
        self.errors = {}
        self.first_errors = []

    def success(self, ms):
        with self.lock:
            self.latencies_ms.append(ms)

    def failure(self, error):
        code = error.code() if isinstance(error, grpc.RpcError) else None
        name = code.name if code else type(error).__name__
        with self.lock:
            self.failed += 1
            self.errors[name] = self.errors.get(name, 0) + 1
            if len(self.first_errors) < 5:
                details = error.details() if isinstance(error, grpc.RpcError) else str(error)
                self.first_errors.append(f"{name}: {details}")

    def report(self):
        with self.lock:
            ordered = sorted(self.latencies_ms)

            def rank(q):  # nearest-rank percentile
                return round(ordered[max(0, int(q * len(ordered) + 0.999999) - 1)], 3) if ordered else None

            return {"ok": len(ordered), "failed": self.failed, "errors": self.errors,
                    "first_errors": self.first_errors, "p50_ms": rank(0.50), "p99_ms": rank(0.99),
                    "max_ms": round(ordered[-1], 3) if ordered else None}


class Pacer:
    """Spaces call starts 1/rate apart; a late worker starts at once but never bursts to catch up."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate > 0 else 0
        self.lock = threading.Lock()
        self.next_start = time.monotonic()

    def wait(self, stop):
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            start = max(self.next_start, now)
            self.next_start = start + self.interval
        stop.wait(start - now)


def worker(call, args, stats, counting_from, stop, pacer, in_flight, index):
    while not stop.is_set():
        pacer.wait(stop)
        if stop.is_set():
            return
        started = time.monotonic()
        counted = started >= counting_from
        future = call.future(HELLO, timeout=args.timeout)
        in_flight[index] = future
        try:
            future.result()
            if counted:
                stats.success((time.monotonic() - started) * 1000)
        except grpc.FutureCancelledError:
            return  # cancelled by main at the hard stop: not a result
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.CANCELLED and stop.is_set():
                return
            if counted:
                stats.failure(error)
            # A failing channel fails fast; a short pause keeps the loop from eating the CPU the proxy needs.
            time.sleep(0.02)


def main():
    args = parse_args()
    try:
        channel = make_channel(args)
    except OSError as error:
        print(f"load_client: {error}", file=sys.stderr)
        return 2
    call = channel.unary_unary(args.method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    start = time.monotonic()
    counting_from = start + args.warmup
    stop_at = counting_from + args.duration
    try:
        grpc.channel_ready_future(channel).result(timeout=max(0.1, args.warmup))
        print("ready", flush=True)
    except grpc.FutureTimeoutError:
        print("load_client: not connected after the warmup; calling anyway", file=sys.stderr)

    stats = Stats()
    pacer = Pacer(args.rate)
    in_flight = [None] * args.concurrency
    threads = [threading.Thread(target=worker, daemon=True,
                                args=(call, args, stats, counting_from, stop, pacer, in_flight, i))
               for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    stop.wait(max(0, stop_at - time.monotonic()))
    stop.set()
    # Calls still running get one more second, then are cancelled: the run stays bounded.
    grace_end = time.monotonic() + 1.0
    for thread in threads:
        thread.join(timeout=max(0, grace_end - time.monotonic()))
    unfinished = sum(t.is_alive() for t in threads)
    for future in in_flight:
        if future is not None:
            future.cancel()
    report = stats.report()
    report["unfinished_at_end"] = unfinished
    print(json.dumps(report), flush=True)
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
