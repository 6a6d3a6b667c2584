// The int-or-string type of ports such as a Service's targetPort.

/// A port given as a number or as a name (`intstr.IntOrString`).
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible {
    /// A number.
    case int(Int)
    /// A name, e.g. a container port name.
    case string(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let number): try container.encode(number)
        case .string(let name): try container.encode(name)
        }
    }

    public var description: String {
        switch self {
        case .int(let number): String(number)
        case .string(let name): name
        }
    }
}
