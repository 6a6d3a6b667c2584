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
            A failed call prints its status name and message instead, and the \
            exit status is 1 if any call failed. Flags may come before or after \
            the subcommand.

            Through the proxy, trusting the demo's CA:
              portico-grpc-client --target 127.0.0.1:8443 --tls --ca ca.crt \\
                --authority grpc.example.com --count 4 echo hello
            Straight to a backend:
              portico-grpc-client --target 127.0.0.1:8081 --plaintext health api.Echo
            """,
        subcommands: [EchoCommand.self, ReverseCommand.self, HealthCommand.self]
    )

    // Declared here too so that the flags may come before the subcommand
    // (`portico-grpc-client --target … echo hi`) as well as after it; the
    // subcommands read the same keys.
    @OptionGroup var connection: ConnectionOptions
}
