internal import Glibc
internal import HeraldSystem

/// A Unix file descriptor travelling in a D-Bus message (type `h`).
///
/// Why a class and not an `Int32`: a received descriptor is a fresh `dup`
/// made by libdbus and belongs to whoever decoded the message. A handler that
/// rejects a call before looking at its descriptor must not leak it, so a
/// received descriptor is closed when the last reference goes away unless the
/// owner `take()`s it. A descriptor you send is usually *borrowed*: libdbus
/// duplicates it while the message is built, and you keep (and close) yours.
public final class DBusUnixFD: Sendable, CustomStringConvertible {
    private let descriptor: Locked<Int32?>
    private let owned: Bool

    /// Wraps a descriptor you keep owning, for sending; it must stay open
    /// until the call that sends it (`call`, `emitSignal`, a handler's return) has returned.
    public init(borrowing fd: Int32) {
        descriptor = Locked(fd)
        owned = false
    }

    /// Wraps a descriptor that this object closes when it is released, unless taken.
    public init(takingOwnershipOf fd: Int32) {
        descriptor = Locked(fd)
        owned = true
    }

    deinit {
        if owned, let fd = descriptor.withLock({ $0 }) {
            _ = Glibc.close(fd)
        }
    }

    /// The descriptor number, or nil once it was taken; ownership does not change.
    public var rawValue: Int32? { descriptor.withLock { $0 } }

    /// Hands the descriptor to the caller, who must close it; nil if already taken.
    public func take() -> Int32? {
        descriptor.withLock { fd in
            defer { fd = nil }
            return fd
        }
    }

    public var description: String {
        rawValue.map { "fd \($0)" } ?? "fd (taken)"
    }
}
