// A strict reader of the Prometheus text exposition format 0.0.4, for tests
// that check what /stats/prometheus (or /metrics) serves.

/// A parsed Prometheus text page; `init(parsing:)` throws at the first line
/// that breaks the format.
///
/// ```swift
/// let page = try PrometheusExposition(parsing: body)
/// #expect(page.value("portico_cluster_rpcs_total", ["cluster": "echo-grpc"]) == 3)
/// ```
///
/// Checked: metric and label names, quoted and escaped label values, float
/// values, `# HELP` and `# TYPE` at most once per family and before its
/// samples, every sample in a declared family, families not interleaved, no
/// duplicate series, counters not negative, and for histograms: ascending
/// `le` bounds ending in `+Inf`, cumulative counts that never decrease,
/// `_sum` present and `_count` equal to the `+Inf` bucket.
public struct PrometheusExposition: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct Family: Sendable {
        public var name: String
        public var type: String
        public var help: String?
        public var samples: [Sample]
    }

    public private(set) var families: [String: Family] = [:]
    /// Families in the order they appear.
    public private(set) var order: [String] = []

    public init(parsing text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Self.error(0, "the page does not end with a line feed") }
        var finished = Set<String>()   // families whose samples are over
        var current: String?
        var seenSeries = Set<String>()
        var helps: [String: String] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let n = i + 1
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
                let name = parts[2]
                guard Self.isMetricName(name) else { throw Self.error(n, "bad metric name \"\(name)\"") }
                if parts[1] == "HELP" {
                    guard helps[name] == nil else { throw Self.error(n, "second HELP for \(name)") }
                    let help = parts.count > 3 ? parts[3] : ""
                    try Self.checkHelpEscapes(help, n)
                    helps[name] = help
                    families[name]?.help = help
                } else {
                    guard parts.count == 4 else { throw Self.error(n, "TYPE without a type") }
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw Self.error(n, "unknown type \"\(parts[3])\"")
                    }
                    guard families[name] == nil else { throw Self.error(n, "second TYPE for \(name)") }
                    if let c = current { finished.insert(c) }
                    current = name
                    families[name] = Family(name: name, type: parts[3], help: helps[name], samples: [])
                    order.append(name)
                }
                continue
            }
            let sample = try Self.parseSample(line, n)
            guard let family = Self.family(of: sample.name, in: families) else {
                throw Self.error(n, "sample \(sample.name) has no # TYPE line before it")
            }
            guard !finished.contains(family) else { throw Self.error(n, "samples of \(family) are not together") }
            if current != family {
                if let c = current { finished.insert(c) }
                current = family
            }
            let key = sample.name + Self.seriesKey(sample.labels)
            guard seenSeries.insert(key).inserted else { throw Self.error(n, "duplicate series \(key)") }
            if families[family]!.type == "counter" && !(sample.value >= 0) {
                throw Self.error(n, "counter \(sample.name) is \(sample.value)")
            }
            families[family]!.samples.append(sample)
        }
        for name in order where families[name]!.type == "histogram" { try checkHistogram(families[name]!) }
    }

    /// The value of the series `name` with exactly `labels`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        guard let f = Self.family(of: name, in: families) else { return nil }
        return families[f]?.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every sample named `name`.
    public func samples(_ name: String) -> [Sample] {
        guard let f = Self.family(of: name, in: families) else { return [] }
        return families[f]?.samples.filter { $0.name == name } ?? []
    }

    // MARK: Lines

    static func parseSample(_ line: String, _ n: Int) throws -> Sample {
        let chars = Array(line.unicodeScalars)
        var i = 0
        while i < chars.count, chars[i] != "{", chars[i] != " " { i += 1 }
        let name = String(String.UnicodeScalarView(chars[0..<i]))
        guard isMetricName(name) else { throw error(n, "bad metric name \"\(name)\"") }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while true {
                guard i < chars.count else { throw error(n, "unterminated label set") }
                if chars[i] == "}" { i += 1; break }
                var j = i
                while j < chars.count, chars[j] != "=" { j += 1 }
                let label = String(String.UnicodeScalarView(chars[i..<j]))
                guard isLabelName(label), !label.hasPrefix("__") else { throw error(n, "bad label name \"\(label)\"") }
                guard j + 1 < chars.count, chars[j + 1] == "\"" else { throw error(n, "label \(label) is not quoted") }
                i = j + 2
                var value = ""
                while true {
                    guard i < chars.count else { throw error(n, "unterminated value of label \(label)") }
                    let c = chars[i]
                    if c == "\"" { i += 1; break }
                    if c == "\\" {
                        guard i + 1 < chars.count else { throw error(n, "dangling escape") }
                        switch chars[i + 1] {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: throw error(n, "bad escape \\\(chars[i + 1]) in label \(label)")
                        }
                        i += 2
                        continue
                    }
                    value.unicodeScalars.append(c)
                    i += 1
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw error(n, "label \(label) twice") }
                guard i < chars.count else { throw error(n, "unterminated label set") }
                if chars[i] == "," { i += 1 } else if chars[i] != "}" { throw error(n, "expected , or } after a label") }
            }
        }
        guard i < chars.count, chars[i] == " " else { throw error(n, "expected a space before the value") }
        let rest = String(String.UnicodeScalarView(chars[(i + 1)...])).split(separator: " ", omittingEmptySubsequences: false)
        guard rest.count == 1 || rest.count == 2 else { throw error(n, "expected a value and an optional timestamp") }
        guard let value = parseValue(String(rest[0])) else { throw error(n, "bad value \"\(rest[0])\"") }
        if rest.count == 2, Int64(rest[1]) == nil { throw error(n, "bad timestamp \"\(rest[1])\"") }
        return Sample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ s: String) -> Double? {
        switch s {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard !s.isEmpty, s.unicodeScalars.allSatisfy({ "0123456789.eE+-".unicodeScalars.contains($0) }) else {
                return nil
            }
            return Double(s)
        }
    }

    static func checkHelpEscapes(_ help: String, _ n: Int) throws {
        var escaped = false
        for c in help.unicodeScalars {
            if escaped {
                guard c == "\\" || c == "n" else { throw error(n, "bad escape \\\(c) in HELP") }
                escaped = false
            } else if c == "\\" {
                escaped = true
            }
        }
        if escaped { throw error(n, "dangling escape in HELP") }
    }

    // MARK: Families and histograms

    static func family(of sample: String, in families: [String: Family]) -> String? {
        if families[sample] != nil { return sample }
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            guard let f = families[base] else { continue }
            if f.type == "histogram" || (f.type == "summary" && suffix != "_bucket") { return base }
        }
        return nil
    }

    func checkHistogram(_ f: Family) throws {
        var buckets: [String: [(le: Double, count: Double)]] = [:]
        var sums: [String: Double] = [:]
        var counts: [String: Double] = [:]
        for s in f.samples {
            if s.name == f.name + "_bucket" {
                guard let leText = s.labels["le"], let le = Self.parseValue(leText), !le.isNaN else {
                    throw Self.error(0, "\(f.name)_bucket without a numeric le label")
                }
                var rest = s.labels
                rest["le"] = nil
                buckets[Self.seriesKey(rest), default: []].append((le, s.value))
            } else if s.name == f.name + "_sum" {
                sums[Self.seriesKey(s.labels)] = s.value
            } else if s.name == f.name + "_count" {
                counts[Self.seriesKey(s.labels)] = s.value
            } else {
                throw Self.error(0, "histogram \(f.name) has a plain sample \(s.name)")
            }
        }
        for (series, bs) in buckets {
            let where_ = "\(f.name)\(series)"
            for (a, b) in zip(bs, bs.dropFirst()) {
                guard a.le < b.le else { throw Self.error(0, "\(where_): le \(b.le) after \(a.le)") }
                guard a.count <= b.count else { throw Self.error(0, "\(where_): bucket counts decrease at le \(b.le)") }
            }
            guard let last = bs.last, last.le == .infinity else { throw Self.error(0, "\(where_): no +Inf bucket") }
            guard let count = counts[series] else { throw Self.error(0, "\(where_): no _count") }
            guard count == last.count else { throw Self.error(0, "\(where_): _count \(count) != +Inf bucket \(last.count)") }
            guard sums[series] != nil else { throw Self.error(0, "\(where_): no _sum") }
        }
        for series in Set(sums.keys).union(counts.keys) where buckets[series] == nil {
            throw Self.error(0, "\(f.name)\(series): _sum or _count without buckets")
        }
    }

    static func seriesKey(_ labels: [String: String]) -> String {
        "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.debugDescription)" }
            .joined(separator: ",") + "}"
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first == ":" || isLetter(first) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || isLetter($0) || isDigit($0) }
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || isLetter(first) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || isLetter($0) || isDigit($0) }
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    static func error(_ line: Int, _ problem: String) -> TestUtilityError {
        TestUtilityError(line > 0 ? "Prometheus text, line \(line): \(problem)" : "Prometheus text: \(problem)")
    }
}
