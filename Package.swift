// swift-tools-version:6.1
// Portico: a Kubernetes-native gRPC edge proxy (controller + data plane).
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let grpc: [Target.Dependency] = [
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
]
let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let cli: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "portico",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portico-proxy", targets: ["portico-proxy"]),
        .executable(name: "portico-controller", targets: ["portico-controller"]),
        .executable(name: "portico-kubesim", targets: ["portico-kubesim"]),
        .executable(name: "echo-grpc", targets: ["echo-grpc"]),
        .executable(name: "reverse-grpc", targets: ["reverse-grpc"]),
        .executable(name: "portico-grpc-client", targets: ["portico-grpc-client"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3" ..< "5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // C libraries at the edge.
        .systemLibrary(name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2",
                       providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // Shared model and wire protocol between controller and proxy.
        .target(name: "Membership"),

        // Control plane.
        .target(name: "KubeClient", dependencies: ["CCurl", "Yams", log]),
        .target(name: "Controller", dependencies: ["KubeClient", "Membership", log] + nio + [
            .product(name: "NIOExtras", package: "swift-nio-extras"),
        ]),
        .executableTarget(name: "portico-controller", dependencies: ["Controller", "ProcessSignals", cli, log]),

        // Data plane.
        .target(name: "DataPlane", dependencies: nio + [
            "CNGHTTP2", "Membership", "Yams", log,
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Atomics", package: "swift-atomics"),
        ]),
        .executableTarget(name: "portico-proxy", dependencies: ["DataPlane", "ProcessSignals", cli, log] + nio),
        // SIGTERM/SIGINT handling shared by the executables.
        .target(name: "ProcessSignals"),

        // Sample services of the tutorial, and a small client.
        .target(name: "SampleServices", dependencies: grpc + nio + [log, cli],
                path: "Sources/Samples/SampleServices"),
        .executableTarget(name: "echo-grpc", dependencies: ["SampleServices", cli],
                          path: "Sources/Samples/echo-grpc"),
        .executableTarget(name: "reverse-grpc", dependencies: ["SampleServices", cli],
                          path: "Sources/Samples/reverse-grpc"),
        .executableTarget(name: "portico-grpc-client", dependencies: ["SampleServices", cli] + grpc,
                          path: "Sources/Samples/grpc-client"),

        // Local stand-in of the Kubernetes API.
        .target(name: "KubeSimServer", dependencies: nio + [
            "KubeClient", "Yams", log,
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ], path: "Sources/KubeSim/KubeSimServer"),
        .executableTarget(name: "portico-kubesim", dependencies: ["KubeSimServer", "ProcessSignals", cli, log] + nio,
                          path: "Sources/KubeSim/portico-kubesim"),

        // Tests.
        .target(name: "TestUtilities", dependencies: grpc + nio + ["SampleServices",
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOTLS", package: "swift-nio")],
                path: "Tests/TestUtilities"),
        .testTarget(name: "DataPlaneTests", dependencies: ["DataPlane", "CNGHTTP2", "Membership", log,
            .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "MembershipTests", dependencies: ["Membership"]),
        .testTarget(name: "ControllerTests", dependencies: ["Controller", "KubeClient", "Membership"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeSimServer"] + nio,
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestUtilities", "SampleServices", "Membership"] + grpc + nio
                    + [.product(name: "NIOSSL", package: "swift-nio-ssl")]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, declared only when PORTICO_FUZZ is set: `hack/fuzz`
// builds them with `-sanitize=fuzzer`; each main hands its input callback to
// libFuzzer's driver.
if Context.environment["PORTICO_FUZZ"] != nil {
    let embedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
    let extras = Target.Dependency.product(name: "NIOExtras", package: "swift-nio-extras")
    let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
    // lld: gold fails on libFuzzer's archive next to SwiftPM's renamed main.
    let link: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]
    package.targets += [
        .target(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
        .executableTarget(name: "fuzz-downstream-session",
                          dependencies: ["CLibFuzzer", "DataPlane", "CNGHTTP2", embedded, logging],
                          path: "Tests/Fuzz/DownstreamSession", linkerSettings: link),
        .executableTarget(name: "fuzz-proxy-config", dependencies: ["CLibFuzzer", "DataPlane"],
                          path: "Tests/Fuzz/ProxyConfig", linkerSettings: link),
        .executableTarget(name: "fuzz-membership-frames",
                          dependencies: ["CLibFuzzer", "DataPlane", "Membership", embedded, extras, logging],
                          path: "Tests/Fuzz/MembershipFrames", linkerSettings: link),
    ]
}
