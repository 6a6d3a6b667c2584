// The canonical upper-case names of gRPC status codes, as grpcurl prints them.

import GRPCCore

extension RPCError.Code {
    /// The code's name in the gRPC spec, e.g. `DEADLINE_EXCEEDED`.
    public var statusName: String {
        Status.Code(self).statusName
    }
}

extension Status.Code {
    /// The code's name in the gRPC spec, e.g. `OK`, `UNAVAILABLE`.
    public var statusName: String {
        let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
            "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
            "UNAUTHENTICATED",
        ]
        return names.indices.contains(self.rawValue) ? names[self.rawValue] : "CODE_\(self.rawValue)"
    }
}
