/// Why the SSIP server could not listen. The message names the path and
/// says what to do; `==` compares the kind only, so callers can match on
/// the static members.
public struct SSIPServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case socketInUse
        case notASocket
        case unsafeFolder
        case cannotBind
    }

    private let kind: Kind
    /// What happened and what to do, for the log and stderr.
    public let message: String

    private init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Another live process (a second heraldd, Speech Dispatcher) accepts connections on the path.
    public static let socketInUse = SSIPServiceError(.socketInUse, "")
    /// Something other than a socket is at the path; Herald never deletes it.
    public static let notASocket = SSIPServiceError(.notASocket, "")
    /// The socket's folder could not be created, or other users could write to it.
    public static let unsafeFolder = SSIPServiceError(.unsafeFolder, "")
    /// The operating system refused to create or bind the socket.
    public static let cannotBind = SSIPServiceError(.cannotBind, "")

    static func socketInUse(_ path: String) -> SSIPServiceError {
        SSIPServiceError(
            .socketInUse,
            "another process is listening on \(path) (a running heraldd or Speech Dispatcher?); "
                + "stop it, or set another path with [ssip] socket")
    }

    static func notASocket(_ path: String) -> SSIPServiceError {
        SSIPServiceError(.notASocket, "\(path) exists and is not a socket; move it away or set another [ssip] socket")
    }

    static func unsafeFolder(_ path: String, _ why: String) -> SSIPServiceError {
        SSIPServiceError(.unsafeFolder, "cannot use \(path) for the SSIP socket: \(why)")
    }

    static func cannotBind(_ path: String, _ why: String) -> SSIPServiceError {
        SSIPServiceError(.cannotBind, "cannot listen on \(path): \(why)")
    }

    public static func == (lhs: SSIPServiceError, rhs: SSIPServiceError) -> Bool { lhs.kind == rhs.kind }

    public var description: String { message }
}
