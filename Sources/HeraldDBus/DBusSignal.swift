internal import HeraldSystem

/// A received signal.
public struct DBusSignal: Sendable {
    /// The sender's unique name (`:1.42`), or `org.freedesktop.DBus` for the bus itself.
    public let sender: String
    public let path: String
    public let interface: String
    public let member: String
    public let arguments: [DBusValue]

    public init(sender: String, path: String, interface: String, member: String, arguments: [DBusValue]) {
        self.sender = sender
        self.path = path
        self.interface = interface
        self.member = member
        self.arguments = arguments
    }
}

/// Which signals to receive: the bus delivers only matching ones (`AddMatch`),
/// and the connection hands each subscriber only what its own rule matches.
///
/// Fields left nil match anything. A well-known `sender` name is checked by the
/// bus but not again locally (signals carry the unique name of their sender).
public struct DBusMatchRule: Sendable, Hashable {
    public var sender: String?
    public var path: String?
    public var interface: String?
    public var member: String?
    /// The first argument, when it is a string (e.g. the name in `NameOwnerChanged`).
    public var arg0: String?

    public init(sender: String? = nil, path: String? = nil, interface: String? = nil, member: String? = nil, arg0: String? = nil) {
        self.sender = sender
        self.path = path
        self.interface = interface
        self.member = member
        self.arg0 = arg0
    }

    /// The rule in the bus's syntax: `type='signal',interface='…',…`.
    public var ruleString: String {
        var parts = ["type='signal'"]
        func add(_ key: String, _ value: String?) {
            guard let value else { return }
            // Inside quotes only the apostrophe needs care: end the quote, escape it, reopen.
            parts.append("\(key)='\(value.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''"))'")
        }
        add("sender", sender)
        add("path", path)
        add("interface", interface)
        add("member", member)
        add("arg0", arg0)
        return parts.joined(separator: ",")
    }

    func validate() throws(DBusError) {
        if let sender { try DBusSyntax.check(busName: sender) }
        if let path { try DBusSyntax.check(path: path) }
        if let interface { try DBusSyntax.check(interface: interface) }
        if let member { try DBusSyntax.check(member: member) }
        if let arg0, arg0.utf8.contains(0) { throw .invalidArgs("A match rule's arg0 cannot contain NUL.") }
    }

    func matches(_ signal: DBusSignal) -> Bool {
        if let sender, sender.hasPrefix(":") || sender == "org.freedesktop.DBus", sender != signal.sender { return false }
        if let path, path != signal.path { return false }
        if let interface, interface != signal.interface { return false }
        if let member, member != signal.member { return false }
        if let arg0, signal.arguments.first?.string != arg0 { return false }
        return true
    }
}

/// A change of a bus name's owner, from `org.freedesktop.DBus.NameOwnerChanged`.
public struct DBusNameOwnerChange: Sendable, Hashable {
    public let name: String
    /// nil when the name had no owner (it was just acquired or the client just connected).
    public let oldOwner: String?
    /// nil when the name has no owner now (it was released, or the client left the bus).
    public let newOwner: String?

    public init(name: String, oldOwner: String?, newOwner: String?) {
        self.name = name
        self.oldOwner = oldOwner
        self.newOwner = newOwner
    }

    init?(_ signal: DBusSignal) {
        guard signal.arguments.count == 3,
            let name = signal.arguments[0].string,
            let old = signal.arguments[1].string,
            let new = signal.arguments[2].string
        else { return nil }
        self.init(name: name, oldOwner: old.isEmpty ? nil : old, newOwner: new.isEmpty ? nil : new)
    }
}

/// The signals that one `DBusConnection.signals(matching:)` receives, in the
/// order they came, until the consumer stops or the connection ends.
///
/// An `AsyncStream` fed by the dispatch thread; this type adds only the
/// ThreadSanitizer hand-over marks, on `handOff`, for a signal the dispatch
/// thread yields before the consumer has reached its `await` (see
/// `ThreadSanitizer` in HeraldSystem): without them the arguments the
/// dispatch thread decoded are reported as raced by the first task that reads them.
public struct DBusSignalStream: AsyncSequence, Sendable {
    public typealias Element = DBusSignal
    public typealias Failure = Never

    let base: AsyncStream<DBusSignal>
    let handOff: SignalHandOff

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), handOff: handOff)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<DBusSignal>.Iterator
        let handOff: SignalHandOff

        public mutating func next() async -> DBusSignal? {
            let signal = await base.next()
            if signal != nil { ThreadSanitizer.acquire(handOff) }
            return signal
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> DBusSignal? {
            let signal = await base.next(isolation: actor)
            if signal != nil { ThreadSanitizer.acquire(handOff) }
            return signal
        }
    }
}

/// What the dispatch thread and one signal stream's consumer mark the hand-over on.
final class SignalHandOff: Sendable {}
