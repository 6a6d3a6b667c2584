#!/usr/bin/env python3
# An h2c backend that answers no RPC: it resets every stream with REFUSED_STREAM, at once or after reading part of the request body.
import argparse
import os
import signal
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

WINDOW = 16 << 20


def parse_args():
    parser = argparse.ArgumentParser(description="Refuse every HTTP/2 stream (RST_STREAM REFUSED_STREAM).")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--refuse-after-bytes", type=int, default=0,
                        help="read this many request body bytes (or the whole request, if shorter) before refusing")
    return parser.parse_args()


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve(sock, args):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, validate_inbound_headers=False))
    # Windows wide open: what stops the request body is the refusal, never flow control.
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
    conn.increment_flow_control_window(WINDOW)
    sock.sendall(conn.data_to_send())
    received = {}
    refused = set()

    def refuse(stream_id):
        if stream_id in refused:
            return
        refused.add(stream_id)
        conn.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
        say("REFUSED stream=%d bytes=%d" % (stream_id, received.get(stream_id, 0)))

    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    received[event.stream_id] = 0
                    if args.refuse_after_bytes == 0:
                        refuse(event.stream_id)
                elif isinstance(event, h2.events.DataReceived):
                    try:
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    except h2.exceptions.StreamClosedError:
                        pass
                    if event.stream_id not in refused:
                        received[event.stream_id] = received.get(event.stream_id, 0) + len(event.data)
                        if received[event.stream_id] >= args.refuse_after_bytes:
                            refuse(event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    if event.stream_id not in refused:
                        refuse(event.stream_id)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    return
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


def main():
    args = parse_args()
    # Set explicitly: the test runner may have started this process with
    # SIGTERM ignored or blocked.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(64)
    say("listening on 127.0.0.1:%d" % listener.getsockname()[1])
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(sock, args), daemon=True).start()


if __name__ == "__main__":
    main()
