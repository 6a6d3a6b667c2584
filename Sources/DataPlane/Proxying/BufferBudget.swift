// What the proxy holds for its clients: request bytes waiting for a
// backend's window and response bytes waiting for the client's. Every byte
// is charged to the client connection it is for and to the worker; past
// `limits.bufferPerConnection` or `limits.bufferPerWorker` the streams
// holding the most are reset. Readers that keep up hold almost nothing, so
// the streams reset are those of clients (or backends) that stopped reading.
import Logging

extension ProxyStream {
    /// Re-counts what this RPC holds after its queues changed, and enforces
    /// the budgets when it grew.
    @inline(__always)
    func recount() {
        let now = requestBody.held + responseBody.held + replayBytes
        let delta = now - held
        guard delta != 0 else { return }
        held = now
        downstream.heldBytes += delta
        worker.heldBytes += delta
        if delta > 0, downstream.heldBytes > worker.limits.bufferPerConnection
            || worker.heldBytes > worker.limits.bufferPerWorker {
            worker.relieveMemoryPressure(from: downstream)
        }
    }
}

extension Worker {
    /// Resets the biggest holders until the connection, then the worker, is
    /// back under three quarters of its budget.
    func relieveMemoryPressure(from connection: DownstreamConnection) {
        while connection.heldBytes > limits.bufferPerConnection / 4 * 3,
              let stream = connection.largestHolder() {
            reset(stream, budget: "bufferPerConnection", limit: limits.bufferPerConnection)
        }
        while heldBytes > limits.bufferPerWorker / 4 * 3, let stream = largestHolder() {
            reset(stream, budget: "bufferPerWorker", limit: limits.bufferPerWorker)
        }
    }

    private func largestHolder() -> ProxyStream? {
        var best: ProxyStream?
        for c in downstreams.values where c.heldBytes > (best?.held ?? 0) {
            if let s = c.largestHolder(), s.held > (best?.held ?? 0) { best = s }
        }
        return best
    }

    private func reset(_ stream: ProxyStream, budget: String, limit: Int) {
        let direction = stream.responseBody.bytes >= stream.requestBody.bytes ? "response" : "request"
        counters.streamsResetForMemory[direction, default: 0] += 1
        logger.notice("resetting a stream holding \(stream.held) bytes of \(direction) data: \(budget) (\(limit)) exceeded",
                      metadata: ["peer": "\(stream.downstream.peerDescription)", "cluster": "\(stream.cluster.config.name)",
                                 "connection_bytes": "\(stream.downstream.heldBytes)", "worker_bytes": "\(heldBytes)"])
        stream.resetForMemory()
    }
}
