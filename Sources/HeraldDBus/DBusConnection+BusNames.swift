/// Options for `requestName`, as in `org.freedesktop.DBus.RequestName`.
public struct DBusNameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Let a later requester with `replaceExisting` take the name from us.
    public static let allowReplacement = DBusNameFlags(rawValue: 0x1)
    /// Take the name from an owner that allowed replacement.
    public static let replaceExisting = DBusNameFlags(rawValue: 0x2)
    /// Fail instead of waiting in the queue when the name is taken (the usual choice
    /// for a daemon: a second instance should exit, not lurk).
    public static let doNotQueue = DBusNameFlags(rawValue: 0x4)
}

/// The bus's own methods that services and clients need: owning a name,
/// and learning whether (and when) another name is on the bus.
extension DBusConnection {
    /// Asks the bus for a well-known name. Returns true when this connection is
    /// now (or already was) the primary owner; false when someone else owns it
    /// (with `.doNotQueue`) or we were put in the queue.
    public func requestName(_ name: String, flags: DBusNameFlags = .doNotQueue) async throws(DBusError) -> Bool {
        try DBusSyntax.check(busName: name)
        let reply = try await callBus("RequestName", [.string(name), .uint32(flags.rawValue)])
        guard let code = reply.first?.uint32 else {
            throw .failed("The bus gave an unexpected reply to RequestName(\(name)).")
        }
        // 1 = primary owner, 4 = already the owner; 2 = queued, 3 = exists.
        return code == 1 || code == 4
    }

    /// Gives a well-known name back; returns false if we did not own it.
    @discardableResult
    public func releaseName(_ name: String) async throws(DBusError) -> Bool {
        try DBusSyntax.check(busName: name)
        let reply = try await callBus("ReleaseName", [.string(name)])
        // 1 = released, 2 = non-existent, 3 = not owner.
        return reply.first?.uint32 == 1
    }

    /// Whether some connection owns `name` now, e.g. whether the daemon is running.
    public func nameHasOwner(_ name: String) async throws(DBusError) -> Bool {
        try DBusSyntax.check(busName: name)
        let reply = try await callBus("NameHasOwner", [.string(name)])
        guard let owns = reply.first?.bool else {
            throw .failed("The bus gave an unexpected reply to NameHasOwner(\(name)).")
        }
        return owns
    }

    /// Name owner changes from the bus, for one name or all. A client leaving
    /// the bus shows up as its unique name losing its owner (`newOwner == nil`),
    /// which is how the daemon forgets a client's settings and "self" messages.
    public func nameOwnerChanges(for name: String? = nil) async throws(DBusError) -> AsyncStream<DBusNameOwnerChange> {
        let signals = try await self.signals(
            matching: DBusMatchRule(
                sender: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                member: "NameOwnerChanged", arg0: name))
        return AsyncStream { continuation in
            let forwarder = Task {
                for await signal in signals {
                    if let change = DBusNameOwnerChange(signal) { continuation.yield(change) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in forwarder.cancel() }
        }
    }
}
