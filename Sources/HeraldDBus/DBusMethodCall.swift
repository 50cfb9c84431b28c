/// An incoming method call, as a method handler sees it.
///
/// The arguments are already decoded; the typed accessors (`string(0)`,
/// `dictionary(2)`, …) throw `InvalidArgs` errors naming the method and the
/// argument, so a handler can write `let text = try call.string(0)` and a
/// client that sent the wrong types gets a clean error reply.
public struct DBusMethodCall: Sendable {
    /// The caller's unique bus name (`:1.42`); empty on a peer-to-peer connection.
    public let sender: String
    public let path: String
    /// The interface the call was routed to (filled in when the caller sent none).
    public let interface: String
    public let member: String
    /// The signature of the arguments as sent, e.g. `sa{sv}`.
    public let signature: String
    public let arguments: [DBusValue]

    public init(sender: String, path: String, interface: String, member: String, signature: String, arguments: [DBusValue]) {
        self.sender = sender
        self.path = path
        self.interface = interface
        self.member = member
        self.signature = signature
        self.arguments = arguments
    }

    /// The argument at `index` (counting from 0), or an `InvalidArgs` error if there is none.
    public func argument(_ index: Int) throws(DBusError) -> DBusValue {
        guard arguments.indices.contains(index) else {
            throw .invalidArgs("\(member) needs at least \(index + 1) argument(s), got \(arguments.count).")
        }
        return arguments[index]
    }

    /// Fails with `InvalidArgs` unless the arguments have exactly this signature.
    public func expect(signature expected: String) throws(DBusError) {
        guard signature == expected else {
            throw .invalidArgs("\(member) expects arguments (\(expected)), got (\(signature)).")
        }
    }

    public func string(_ index: Int) throws(DBusError) -> String {
        try typed(index, "s", \.string)
    }

    public func bool(_ index: Int) throws(DBusError) -> Bool {
        try typed(index, "b", \.bool)
    }

    public func int32(_ index: Int) throws(DBusError) -> Int32 {
        try typed(index, "i", \.int32)
    }

    public func uint32(_ index: Int) throws(DBusError) -> UInt32 {
        try typed(index, "u", \.uint32)
    }

    public func int64(_ index: Int) throws(DBusError) -> Int64 {
        try typed(index, "x", \.int64)
    }

    public func uint64(_ index: Int) throws(DBusError) -> UInt64 {
        try typed(index, "t", \.uint64)
    }

    public func double(_ index: Int) throws(DBusError) -> Double {
        try typed(index, "d", \.double)
    }

    public func objectPath(_ index: Int) throws(DBusError) -> String {
        try typed(index, "o", \.objectPath)
    }

    /// A received descriptor; `take()` it to keep it beyond the call.
    public func unixFD(_ index: Int) throws(DBusError) -> DBusUnixFD {
        try typed(index, "h", \.unixFD)
    }

    /// An `a{s…}` argument (usually `a{sv}` options), variants unwrapped one level.
    public func dictionary(_ index: Int) throws(DBusError) -> [String: DBusValue] {
        try typed(index, "a{sv}", \.dictionary)
    }

    private func typed<T>(_ index: Int, _ expected: String, _ extract: (DBusValue) -> T?) throws(DBusError) -> T {
        let value = try argument(index)
        guard let result = extract(value) else {
            throw .invalidArgs("\(member): argument \(index + 1) must be of type \(expected), not \(value.signature).")
        }
        return result
    }
}
