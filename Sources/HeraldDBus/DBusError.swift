/// A D-Bus error: a dotted error name plus a readable message.
///
/// D-Bus errors are already named on the wire, so the name is the
/// discriminator rather than a private enum: a method handler throws
/// `DBusError(name: "org.herald.Speech1.Error.InvalidArgument", message: …)`
/// and the caller receives exactly that name and message in the error reply.
/// Failures of this layer itself (no bus, disconnection, timeouts, values that
/// cannot be marshalled) use the standard `org.freedesktop.DBus.Error.*` names
/// so that callers need to check only one kind of error.
public struct DBusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error name, e.g. `org.freedesktop.DBus.Error.UnknownMethod`.
    public let name: String
    /// A sentence for a person: what went wrong and, where known, what to do.
    public let message: String

    /// Makes an error to throw from a method handler or to compare against.
    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { "\(name): \(message)" }
}

extension DBusError {
    /// The standard error names this layer produces or that callers commonly test for.
    public enum Names {
        public static let failed = "org.freedesktop.DBus.Error.Failed"
        public static let noMemory = "org.freedesktop.DBus.Error.NoMemory"
        public static let noServer = "org.freedesktop.DBus.Error.NoServer"
        public static let noReply = "org.freedesktop.DBus.Error.NoReply"
        public static let disconnected = "org.freedesktop.DBus.Error.Disconnected"
        public static let invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
        public static let unknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
        public static let unknownObject = "org.freedesktop.DBus.Error.UnknownObject"
        public static let unknownInterface = "org.freedesktop.DBus.Error.UnknownInterface"
        public static let unknownProperty = "org.freedesktop.DBus.Error.UnknownProperty"
        public static let propertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly"
        public static let serviceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
        public static let nameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
        public static let objectPathInUse = "org.freedesktop.DBus.Error.ObjectPathInUse"
        /// Not a freedesktop name: the awaiting task was cancelled before a reply came.
        public static let cancelled = "org.herald.DBus.Error.Cancelled"
    }

    /// The arguments of a call (or values to send) do not have the expected types.
    public static func invalidArgs(_ message: String) -> DBusError {
        DBusError(name: Names.invalidArgs, message: message)
    }

    /// A generic failure; prefer a specific name where the caller can act on it.
    public static func failed(_ message: String) -> DBusError {
        DBusError(name: Names.failed, message: message)
    }

    static func unknownMethod(_ message: String) -> DBusError {
        DBusError(name: Names.unknownMethod, message: message)
    }

    static let disconnected = DBusError(
        name: Names.disconnected,
        message: "The D-Bus connection is closed; reconnect to the bus to continue."
    )

    static let noMemory = DBusError(name: Names.noMemory, message: "libdbus ran out of memory.")
}
