// Per-RPC endpoint choice: round robin, least request (power of two
// choices), random, and a consistent-hash ring.
#if canImport(Glibc)
import Glibc
#endif

struct LoadBalancer {
    let policy: LoadBalancingPolicy
    private var cursor = 0
    /// ring_hash: sorted (point, endpoint index) pairs.
    private var ring: [(point: UInt64, index: Int)] = []

    static let pointsPerEndpoint = 160

    init(policy: LoadBalancingPolicy) { self.policy = policy }

    mutating func rebuild(_ endpoints: [Endpoint]) {
        guard policy == .ringHash else { return }
        var ring: [(point: UInt64, index: Int)] = []
        ring.reserveCapacity(endpoints.count * Self.pointsPerEndpoint)
        for (i, e) in endpoints.enumerated() {
            for v in 0..<Self.pointsPerEndpoint {
                ring.append((Hashing.fnv1a("\(e.name)#\(v)"), i))
            }
        }
        ring.sort { $0.point < $1.point }
        self.ring = ring
    }

    mutating func pick(_ endpoints: [Endpoint], excluding tried: [Endpoint], hashKey: UInt64?,
                       random: inout FastRandom, eligible: (Endpoint) -> Bool) -> Endpoint? {
        let n = endpoints.count
        guard n > 0 else { return nil }
        func ok(_ e: Endpoint) -> Bool { eligible(e) && !tried.contains { $0 === e } }
        switch policy {
        case .roundRobin:
            for i in 0..<n {
                let e = endpoints[(cursor + i) % n]
                if ok(e) {
                    cursor = (cursor + i + 1) % n
                    return e
                }
            }
            return nil
        case .random:
            let start = random.next(below: n)
            for i in 0..<n where ok(endpoints[(start + i) % n]) { return endpoints[(start + i) % n] }
            return nil
        case .leastRequest:
            // Two random eligible candidates; the one with fewer active RPCs.
            let start = random.next(below: n)
            var first: Endpoint?
            for i in 0..<n where ok(endpoints[(start + i) % n]) { first = endpoints[(start + i) % n]; break }
            guard let a = first else { return nil }
            let b = endpoints[random.next(below: n)]
            if b !== a, ok(b), b.activeRPCs < a.activeRPCs { return b }
            return a
        case .ringHash:
            guard !ring.isEmpty else { return nil }
            let key = hashKey ?? random.next()
            // First point at or after the key, walking on past unusable endpoints.
            var lo = 0, hi = ring.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if ring[mid].point < key { lo = mid + 1 } else { hi = mid }
            }
            for step in 0..<ring.count {
                let e = endpoints[ring[(lo + step) % ring.count].index]
                if ok(e) { return e }
            }
            return nil
        }
    }
}

enum Hashing {
    /// 64-bit FNV-1a: stable across processes and runs, unlike `Hasher`.
    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        // Finalise (splitmix64) so that near keys spread over the ring.
        h ^= h >> 33; h &*= 0xff51_afd7_ed55_8ccd; h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53; h ^= h >> 33
        return h
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { fnv1a(UnsafeRawBufferPointer($0)) }
    }
}
