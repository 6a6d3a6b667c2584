// portico-kubesim: runs KubeSim, a local stand-in of the Kubernetes API, until interrupted.
import ArgumentParser
import ProcessSignals
import Foundation
import KubeSimServer
import NIOCore
import NIOPosix

@main
struct PorticoKubeSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico-kubesim",
        abstract: "A local stand-in of the Kubernetes API for tests and demos (not a real API server).",
        discussion: "Serves Namespaces, Services, EndpointSlices and Events with list/watch semantics, discovery for kubectl, and a control API under /kubesim/. See docs/kubesim.md.")

    @Option(help: "Address to listen on (keep it on loopback).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 6443

    @Flag(help: "Serve HTTPS with a CA generated at start.")
    var tls = false

    @Option(help: "Bearer token to accept (repeatable). Default: kubesim-token. Use --no-auth to accept anonymous requests.")
    var token: [String] = []

    @Flag(help: "Accept requests without credentials.")
    var noAuth = false

    @Option(help: "Write a kubeconfig pointing at this server to FILE.")
    var kubeconfigOut: String?

    @Flag(help: "Put the generated client certificate in the kubeconfig instead of the token (needs --tls).")
    var clientCertificate = false

    @Option(help: "Manifest file or directory to load at start (repeatable).")
    var manifests: [String] = []

    @Option(help: "Changes kept for watches to resume from; older resourceVersions get 410 Gone.")
    var historyLimit = 1000

    @Option(help: "Seconds between BOOKMARK events on watches that allow them.")
    var bookmarkInterval = 60.0

    mutating func validate() throws {
        if clientCertificate && !tls { throw ValidationError("--client-certificate needs --tls") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let configuration = KubeSimConfiguration(
            host: host, port: port, tls: tls,
            tokens: noAuth ? [] : (token.isEmpty ? ["kubesim-token"] : token),
            historyLimit: historyLimit, bookmarkInterval: .milliseconds(Int(bookmarkInterval * 1000)), manifests: manifests)
        let sim = try await KubeSim.start(configuration)
        for line in sim.manifestReport.skipped { FileHandle.standardError.write(Data("skipped \(line)\n".utf8)) }
        if !sim.manifestReport.loaded.isEmpty {
            FileHandle.standardError.write(Data("loaded \(sim.manifestReport.loaded.count) objects\n".utf8))
        }
        if let kubeconfigOut {
            try sim.kubeconfig(clientCertificate: clientCertificate).write(to: kubeconfigOut)
        }
        // Written unbuffered: scripts wait for this line on a pipe.
        FileHandle.standardOutput.write(Data("listening on \(sim.url)\n".utf8))
        _ = await TerminationSignal.wait()
        try await sim.stop()
    }
}
