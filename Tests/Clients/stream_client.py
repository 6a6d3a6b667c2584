#!/usr/bin/env python3
# One server-streaming gRPC call with grpcio: how many messages arrived, and how the call ended.
import argparse
import json
import sys

import grpc


def main():
    parser = argparse.ArgumentParser(description="Call a server-streaming method once and report.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", help="PEM CA of the proxy's certificate (TLS)")
    parser.add_argument("--server-name", default="grpc.example.com")
    parser.add_argument("--method", default="/api.Echo/Expand")
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    target = f"127.0.0.1:{args.port}"
    options = [("grpc.default_authority", args.server_name)]
    if args.ca:
        with open(args.ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        options.append(("grpc.ssl_target_name_override", args.server_name))
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)
    call = channel.unary_stream(args.method)
    messages = []
    result = {"code": "OK", "details": ""}
    try:
        for m in call(b"\x0a\x02hi", timeout=args.timeout):
            messages.append(m.decode("latin-1"))
    except grpc.RpcError as error:
        result = {"code": error.code().name, "details": error.details()}
    print(json.dumps({"messages": messages, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
