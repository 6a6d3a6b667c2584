// Owns one libcurl easy handle: one HTTP transfer, its options and callbacks.
import CCurl
import Foundation

/// How a transfer hands its response to Swift.
enum TransferDelivery: Sendable {
    /// The whole response at the end.
    case buffered(@Sendable (Result<HTTPResponse, TransportError>) -> Void)
    /// The head as soon as it is known, then each body line as it arrives,
    /// then the end (`nil` when the body ended normally).
    case lines(
        head: @Sendable (HTTPResponseHead) -> Void,
        line: @Sendable (Data) -> Void,
        end: @Sendable (TransportError?) -> Void)
}

/// One transfer. Created, driven and destroyed on the driver thread only,
/// so it needs no locking; the `CURL` pointer never leaves this type (the
/// multi handle sees it only through ``attach(to:)``/``detach(from:)``).
final class CurlEasy {
    /// The id the driver knows this transfer by (stored in `CURLOPT_PRIVATE`).
    let id: Int
    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let delivery: TransferDelivery

    private var status = 0
    private var version = ""
    private var headers: [String: String] = [:]
    private var headDelivered = false
    private var body = Data()
    private var splitter = LineSplitter()
    private var finished = false

    /// Prepares a transfer; throws when an option is refused (for example a
    /// CA bundle that libcurl cannot use).
    init(id: Int, request: HTTPRequest, settings: TransportSettings, delivery: TransferDelivery) throws(TransportError) {
        guard let handle = curl_easy_init() else {
            throw TransportError(kind: .configuration, message: "curl_easy_init failed")
        }
        self.id = id
        self.handle = handle
        self.delivery = delivery
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try configure(request: request, settings: settings)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Adds this transfer to a multi handle.
    func attach(to multi: CurlMulti) -> Bool {
        multi.withUnsafeHandle { curl_multi_add_handle($0, handle) } == CURLM_OK
    }

    /// Removes this transfer from a multi handle (before it is destroyed).
    func detach(from multi: CurlMulti) {
        _ = multi.withUnsafeHandle { curl_multi_remove_handle($0, handle) }
    }

    // MARK: Options

    private func configure(request: HTTPRequest, settings: TransportSettings) throws(TransportError) {
        try set(CURLOPT_URL, request.url)
        // No signals: several threads use libcurl, and SIGALRM-based DNS
        // timeouts are unsafe there.
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_HTTP_VERSION, portico_curl_http_version_2tls)
        try set(CURLOPT_ACCEPT_ENCODING, "")
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout))
        if let timeout = request.timeout { try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(timeout)) }
        if let proxy = settings.proxyURL { try set(CURLOPT_PROXY, proxy) }
        try check(portico_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        try set(CURLOPT_PRIVATE, pointer: UnsafeMutableRawPointer(bitPattern: id))
        try configureMethod(request)
        try configureHeaders(request.headers)
        try configureTLS(settings)
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(portico_curl_easy_setopt_write_callback(handle, curlWriteCallback), "write callback")
        try set(CURLOPT_WRITEDATA, pointer: me)
        try check(portico_curl_easy_setopt_header_callback(handle, curlHeaderCallback), "header callback")
        try set(CURLOPT_HEADERDATA, pointer: me)
    }

    private func configureMethod(_ request: HTTPRequest) throws(TransportError) {
        if request.method == "GET" && request.body == nil {
            try set(CURLOPT_HTTPGET, 1)
            return
        }
        if request.method != "POST" { try set(CURLOPT_CUSTOMREQUEST, request.method) }
        guard let body = request.body else {
            if request.method == "POST" { try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: 0); try set(CURLOPT_POSTFIELDS, "") }
            return
        }
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(body.count))
        // COPYPOSTFIELDS copies now, so the body need not outlive this call.
        let code = body.withUnsafeBytes { bytes in
            portico_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
        }
        try check(code, "request body")
    }

    private func configureHeaders(_ fields: [(name: String, value: String)]) throws(TransportError) {
        // An empty "Expect:" stops libcurl from waiting for 100-continue on bodies.
        for line in fields.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let list = curl_slist_append(headerList, line) else {
                throw TransportError(kind: .configuration, message: "curl_slist_append failed")
            }
            headerList = list
        }
        try check(portico_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "headers")
    }

    private func configureTLS(_ settings: TransportSettings) throws(TransportError) {
        switch settings.certificateAuthority {
        case .file(let path): try set(CURLOPT_CAINFO, path)
        case .data(let pem): try setBlob(CURLOPT_CAINFO_BLOB, pem, "certificate authority data")
        case nil: break
        }
        switch settings.clientCertificate {
        case .file(let path): try set(CURLOPT_SSLCERT, path)
        case .data(let pem): try setBlob(CURLOPT_SSLCERT_BLOB, pem, "client certificate data")
        case nil: break
        }
        switch settings.clientKey {
        case .file(let path): try set(CURLOPT_SSLKEY, path)
        case .data(let pem): try setBlob(CURLOPT_SSLKEY_BLOB, pem, "client key data")
        case nil: break
        }
        if settings.clientCertificate != nil {
            try set(CURLOPT_SSLCERTTYPE, "PEM")
            try set(CURLOPT_SSLKEYTYPE, "PEM")
        }
        if settings.insecureSkipTLSVerify {
            try set(CURLOPT_SSL_VERIFYPEER, 0)
            try set(CURLOPT_SSL_VERIFYHOST, 0)
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(portico_curl_easy_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, _ value: String) throws(TransportError) {
        // Strings are copied by libcurl (since 7.17), so a temporary C string is fine.
        try check(portico_curl_easy_setopt_string(handle, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, offset: curl_off_t) throws(TransportError) {
        try check(portico_curl_easy_setopt_off_t(handle, option, offset), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(TransportError) {
        try check(portico_curl_easy_setopt_pointer(handle, option, pointer), "option \(option.rawValue)")
    }

    private func setBlob(_ option: CURLoption, _ data: Data, _ what: String) throws(TransportError) {
        let code = data.withUnsafeBytes { bytes in
            var blob = curl_blob(data: UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                 len: bytes.count, flags: portico_curl_blob_copy)
            return portico_curl_easy_setopt_blob(handle, option, &blob)
        }
        try check(code, what)
    }

    private func check(_ code: CURLcode, _ what: String) throws(TransportError) {
        guard code == CURLE_OK else {
            throw TransportError(kind: .configuration, message: "\(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

// MARK: Callbacks (driver thread)

extension CurlEasy {
    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new status line starts a new header block (after 100-continue,
            // for instance), so forget the previous one.
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            version = String(parts[0])
            headers = [:]
        } else if line.isEmpty {
            if status >= 200 { deliverHead() }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        deliverHead()
        switch delivery {
        case .buffered: body.append(contentsOf: bytes)
        case .lines(_, let line, _): for each in splitter.append(bytes) { line(each) }
        }
    }

    private func deliverHead() {
        guard !headDelivered else { return }
        headDelivered = true
        if status == 0 {
            var code = 0
            _ = portico_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        if case .lines(let head, _, _) = delivery { head(HTTPResponseHead(status: status, version: version, headers: headers)) }
    }

    /// Ends the transfer with libcurl's result, or with a reason of ours.
    func finish(_ code: CURLcode?, reason: TransportError? = nil) {
        guard !finished else { return }
        finished = true
        var failure = reason
        if failure == nil, let code, code != CURLE_OK {
            let detail = String(cString: errorBuffer)
            failure = TransportError(kind: .curl(code: Int(code.rawValue)),
                                     message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        if failure == nil { deliverHead() }
        switch delivery {
        case .buffered(let done):
            if let failure { done(.failure(failure)) }
            else { done(.success(HTTPResponse(head: HTTPResponseHead(status: status, version: version, headers: headers), body: body))) }
        case .lines(_, let line, let end):
            if failure == nil, let rest = splitter.finish() { line(rest) }
            end(failure)
        }
    }
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let easy = Unmanaged<CurlEasy>.fromOpaque(context).takeUnretainedValue()
    easy.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let easy = Unmanaged<CurlEasy>.fromOpaque(context).takeUnretainedValue()
    easy.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}
