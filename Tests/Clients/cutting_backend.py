#!/usr/bin/env python3
# An h2c backend that fails every RPC after its response started: one whole message, then (with --mid-message) the first bytes of a second, then RST_STREAM INTERNAL_ERROR.
import argparse
import signal
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions


def parse_args():
    parser = argparse.ArgumentParser(description="Start a gRPC response, then reset the stream.")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--mid-message", action="store_true", help="reset inside the second message, not between messages")
    return parser.parse_args()


WHOLE = b"\x00\x00\x00\x00\x03abc"        # one gRPC message: "abc"
HALF = b"\x00\x00\x00\x00\x64" + b"x" * 10  # a 100-byte message, 10 bytes of it


def serve(sock, args):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    sid = event.stream_id
                    conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
                    conn.send_data(sid, WHOLE + (HALF if args.mid_message else b""))
                    # The bytes first, the reset in a later packet.
                    sock.sendall(conn.data_to_send())
                    threading.Event().wait(0.05)
                    conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.INTERNAL_ERROR)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


def main():
    args = parse_args()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.create_server(("127.0.0.1", args.port))
    print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock, args), daemon=True).start()


if __name__ == "__main__":
    main()
