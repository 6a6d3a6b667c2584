// portico-grpc-client: calls the sample services directly or through the proxy.

import ArgumentParser

@main
struct PorticoGRPCClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico-grpc-client",
        abstract: "Calls the sample gRPC services (a small grpcurl for the demo).",
        discussion: """
            Prints one line per call, e.g.
              api.Echo/Echo  content="hello"  hostname=echo-grpc-1
            A failed call prints its status name and message; the exit status is \
            non-zero if any call failed.

            Example, through the proxy with the demo's CA:
              portico-grpc-client echo hello --target 127.0.0.1:8443 --tls \
            --ca ca.pem --authority grpc.example.com --count 5
            """,
        subcommands: [EchoCommand.self, ReverseCommand.self, HealthCommand.self]
    )
}
