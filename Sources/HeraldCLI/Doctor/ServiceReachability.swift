internal import FoundationEssentials
#if canImport(Glibc)
internal import Glibc
internal import HeraldSystem
#endif

/// Whether the Workers AI host answers on its port at all, asked before the
/// request: the HTTP client retries a refused connection until its deadline,
/// which would turn "no network" into "the service is slow". A name that
/// does not resolve, a refused port and silence each get their own words.
enum ServiceReachability {
    static let timeout: Duration = .seconds(5)

    /// nil when a TCP connection to the URL's host and port opens; else why not.
    static func problem(with url: String) -> String? {
        guard let parsed = URL(string: url), let host = parsed.host, !host.isEmpty else { return "\(url) is not a URL" }
        let port = parsed.port ?? (parsed.scheme == "http" ? 80 : 443)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            return "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))"
        }
        defer { freeaddrinfo(first) }
        var reason = "no address for \(host)"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            switch connects(address.pointee) {
            case nil: return nil
            case let failure?: reason = "\(host) port \(port): \(failure)"
            }
            entry = address.pointee.ai_next
        }
        return reason
    }

    private static func connects(_ address: addrinfo) -> String? {
        let fd = socket(address.ai_family, address.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        if connect(fd, address.ai_addr, address.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var pending = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let milliseconds = timeout.pollMilliseconds
        var ready: Int32
        repeat { ready = poll(&pending, 1, milliseconds) } while ready < 0 && errno == EINTR
        guard ready > 0 else { return "no answer within \(timeout.components.seconds) s" }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return String(cString: strerror(errno)) }
        return error == 0 ? nil : String(cString: strerror(error))
    }
}
