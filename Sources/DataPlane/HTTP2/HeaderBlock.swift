// An HTTP/2 header list stored in one contiguous byte array, so that a
// request's headers cost two allocations however many fields it has.
import CNGHTTP2
#if canImport(Glibc)
import Glibc
#endif

/// The fields of one HTTP/2 HEADERS block, in arrival order.
///
/// Names and values are kept as raw bytes (HPACK gives us bytes, and the
/// other side wants bytes back), which keeps `String` off the per-RPC path.
struct HeaderBlock {
    struct Field {
        var nameStart: Int32
        var nameLength: Int32
        var valueStart: Int32
        var valueLength: Int32
    }

    private(set) var bytes: [UInt8] = []
    private(set) var fields: [Field] = []

    init() {
        bytes.reserveCapacity(256)
        fields.reserveCapacity(12)
    }

    init(_ pairs: [(String, String)]) {
        self.init()
        for (name, value) in pairs { append(name: name, value: value) }
    }

    var count: Int { fields.count }

    /// The header list size as HTTP/2 counts it: names, values and 32 bytes per field.
    var listSize: Int { bytes.count + 32 * fields.count }

    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let nameStart = Int32(bytes.count)
        bytes.append(contentsOf: name)
        let valueStart = Int32(bytes.count)
        bytes.append(contentsOf: value)
        fields.append(Field(nameStart: nameStart, nameLength: Int32(name.count),
                            valueStart: valueStart, valueLength: Int32(value.count)))
    }

    mutating func append(name: String, value: String) {
        var name = name
        var value = value
        name.withUTF8 { n in
            value.withUTF8 { v in
                append(name: UnsafeRawBufferPointer(n), value: UnsafeRawBufferPointer(v))
            }
        }
    }

    /// Index of the first field whose name equals `name` (lower-case ASCII).
    func index(of name: StaticString) -> Int? {
        let wanted = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return bytes.withUnsafeBytes { all in
            for (i, f) in fields.enumerated() where Int(f.nameLength) == wanted.count {
                if memcmp(all.baseAddress! + Int(f.nameStart), wanted.baseAddress!, wanted.count) == 0 {
                    return i
                }
            }
            return nil
        }
    }

    /// Index of the first field named `name` (a lower-case header name).
    func index(ofName name: String) -> Int? {
        var name = name
        return name.withUTF8 { wanted in
            bytes.withUnsafeBytes { all in
                for (i, f) in fields.enumerated() where Int(f.nameLength) == wanted.count {
                    if wanted.count == 0 || memcmp(all.baseAddress! + Int(f.nameStart), wanted.baseAddress!, wanted.count) == 0 {
                        return i
                    }
                }
                return nil
            }
        }
    }

    func name(at index: Int) -> String {
        let f = fields[index]
        return String(decoding: bytes[Int(f.nameStart)..<Int(f.nameStart + f.nameLength)], as: UTF8.self)
    }

    func value(at index: Int) -> String {
        let f = fields[index]
        return String(decoding: bytes[Int(f.valueStart)..<Int(f.valueStart + f.valueLength)], as: UTF8.self)
    }

    func value(of name: StaticString) -> String? {
        index(of: name).map { value(at: $0) }
    }

    /// Calls `body` with the bytes of the value at `index`.
    func withValueBytes<R>(at index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let f = fields[index]
        return bytes.withUnsafeBytes { all in
            body(UnsafeRawBufferPointer(rebasing: all[Int(f.valueStart)..<Int(f.valueStart + f.valueLength)]))
        }
    }

    /// Whether the value at `index` starts with `prefix`.
    func value(at index: Int, hasPrefix prefix: StaticString) -> Bool {
        let f = fields[index]
        guard Int(f.valueLength) >= prefix.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBytes { all in
            memcmp(all.baseAddress! + Int(f.valueStart), prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
        }
    }

    /// Lends `body` an `nghttp2_nv` array over the fields for which `include`
    /// returns true. nghttp2 copies the list on submit, so the pointers only
    /// have to live for the call.
    func withNameValueArray<R>(
        including include: (_ name: UnsafeRawBufferPointer) -> Bool = { _ in true },
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
    ) -> R {
        bytes.withUnsafeBufferPointer { all in
            let base = UnsafeMutablePointer(mutating: all.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            return withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(fields.count, 1)) { nva in
                var n = 0
                for f in fields {
                    let name = UnsafeRawBufferPointer(start: base + Int(f.nameStart), count: Int(f.nameLength))
                    if !include(name) { continue }
                    nva[n] = nghttp2_nv(name: base + Int(f.nameStart), value: base + Int(f.valueStart),
                                        namelen: Int(f.nameLength), valuelen: Int(f.valueLength),
                                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
                    n += 1
                }
                return body(UnsafePointer(nva.baseAddress!), n)
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise comparison with a static ASCII string.
    @inline(__always)
    func equals(_ s: StaticString) -> Bool {
        count == s.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, s.utf8Start, count) == 0)
    }
}
