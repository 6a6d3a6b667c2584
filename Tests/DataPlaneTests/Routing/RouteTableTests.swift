import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import DataPlane

@Suite struct RouteTableTests {
    static func request(_ path: String, method: String = "POST", contentType: String = "application/grpc",
                        extra: [(String, String)] = []) -> HeaderBlock {
        HeaderBlock([(":method", method), (":path", path), ("content-type", contentType)] + extra)
    }

    static func withTable(_ body: (RouteTable) -> Void) {
        let worker = Worker(eventLoop: EmbeddedEventLoop(), index: 0, limits: WorkerLimits(),
                            logger: Logger(label: "test"))
        var echo = ClusterConfig(name: "echo", grpcServices: ["api.Echo"],
                                 endpoints: [EndpointConfig(address: HostPort(host: "127.0.0.1", port: 9))])
        echo.timeout = .seconds(2)
        var ring = ClusterConfig(name: "ring", grpcServices: ["api.Ring", "api.Other"], endpoints: [])
        ring.lbPolicy = .ringHash
        ring.hashHeader = "x-user"
        body(RouteTable([Cluster(config: echo, worker: worker), Cluster(config: ring, worker: worker)]))
    }

    @Test func routesByServiceAndTakesTheShorterTimeout() {
        Self.withTable { table in
            guard case .proxy(let c, let key, let timeout) = table.decide(Self.request("/api.Echo/Echo",
                                                                              extra: [("grpc-timeout", "500m")])) else {
                Issue.record("not proxied"); return
            }
            #expect(c.config.name == "echo")
            #expect(key == nil)
            #expect(timeout == .milliseconds(500))
            guard case .proxy(_, _, let routeOnly) = table.decide(Self.request("/api.Echo/Echo",
                                                                      extra: [("grpc-timeout", "5S")])) else { return }
            #expect(routeOnly == .seconds(2))
        }
    }

    @Test func ringHashKeysOnTheConfiguredHeader() {
        Self.withTable { table in
            guard case .proxy(let c, let key, _) = table.decide(Self.request("/api.Other/Get",
                                                                    extra: [("x-user", "alice")])) else { return }
            #expect(c.config.name == "ring")
            #expect(key == Hashing.fnv1a("alice"))
        }
    }

    @Test func answersWhatItCannotRoute() {
        Self.withTable { table in
            if case .grpcStatus(let code, let message) = table.decide(Self.request("/api.Nope/X")) {
                #expect(code == .unimplemented)
                #expect(message.contains("api.Nope"))
            } else { Issue.record("unknown service routed") }
            if case .grpcStatus(let code, _) = table.decide(Self.request("/broken")) {
                #expect(code == .unimplemented)
            } else { Issue.record("malformed path routed") }
            if case .httpError(let status, _) = table.decide(Self.request("/api.Echo/Echo", contentType: "text/html")) {
                #expect(status == 415)
            } else { Issue.record("non-gRPC routed") }
            if case .httpError(let status, _) = table.decide(Self.request("/api.Echo/Echo", method: "GET")) {
                #expect(status == 405)
            } else { Issue.record("GET routed") }
        }
    }
}
