internal import CDBus
internal import Glibc
public import Logging
internal import HeraldSystem

/// A connection to a D-Bus message bus.
///
/// Herald talks to libdbus through this small hand-written layer because no
/// maintained Swift D-Bus library is available for Linux here. The connection
/// is served by one dedicated thread (see `DBusDispatchLoop`): every method
/// here is safe to call from any thread or task, nothing blocks the caller
/// on I/O, and an idle connection sleeps without periodic wake-ups.
///
/// Exported objects answer calls through `async` handlers run as tasks,
/// signals arrive as `AsyncStream`s, and outgoing calls are `async` with a
/// timeout. Everything fails with `DBusError`.
public final class DBusConnection: Sendable {
    /// This connection's unique name on the bus, e.g. `:1.42`.
    public let uniqueName: String
    /// Whether Unix file descriptors (`h`) can travel on this connection. The
    /// Spiel provider needs this: audio goes to the client through a pipe.
    public let canPassUnixFDs: Bool
    let loop: DBusDispatchLoop

    private init(loop: DBusDispatchLoop, info: DBusDispatchLoop.ConnectionInfo) {
        self.loop = loop
        self.uniqueName = info.uniqueName
        self.canPassUnixFDs = info.canPassUnixFDs
    }

    deinit {
        loop.enqueue(.close)
    }

    // MARK: Connecting

    /// Connects to the session bus named by `DBUS_SESSION_BUS_ADDRESS`
    /// (or `$XDG_RUNTIME_DIR/bus`, where systemd puts it, when that is unset).
    public static func session(logger: Logger = Logger(label: "herald.dbus")) async throws(DBusError) -> DBusConnection {
        if let address = getenv("DBUS_SESSION_BUS_ADDRESS").map({ String(cString: $0) }), !address.isEmpty {
            return try await connect(address: address, logger: logger)
        }
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtime.isEmpty,
            access(runtime + "/bus", F_OK) == 0
        {
            return try await connect(address: "unix:path=\(runtime)/bus", logger: logger)
        }
        throw DBusError(
            name: DBusError.Names.noServer,
            message: "No session bus: DBUS_SESSION_BUS_ADDRESS is not set. Run inside a desktop session or under dbus-run-session.")
    }

    /// Connects to the bus at `address` (e.g. `unix:path=/run/user/1000/bus`) as a
    /// private connection and registers with it (`Hello`).
    public static func connect(address: String, logger: Logger = Logger(label: "herald.dbus")) async throws(DBusError) -> DBusConnection {
        // Must come before any other libdbus call when several threads use it.
        dbus_threads_init_default()
        var logger = logger
        logger[metadataKey: "herald.dbus.address"] = "\(address)"
        let loop = try DBusDispatchLoop(logger: logger)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<DBusDispatchLoop.ConnectionInfo, DBusError>, Never>) in
            loop.start(address: address) { continuation.resume(returning: $0) }
        }
        return DBusConnection(loop: loop, info: try result.get())
    }

    // MARK: State

    /// False once the bus went away or `close()` was called.
    public var isConnected: Bool { !loop.isFinished }

    /// Returns when the connection has ended, whether by `close()` or because
    /// the bus went away; a daemon awaits this to shut down when the session ends.
    public func waitUntilDisconnected() async {
        await loop.waitUntilFinished()
    }

    /// Sends what is queued, closes the connection, and returns once it is closed.
    /// Pending calls fail with `Disconnected`; signal streams finish.
    public func close() async {
        loop.enqueue(.close)
        await loop.waitUntilFinished()
    }

    // MARK: Exporting objects

    /// Serves `object` at its path until `unexport(path:)` or the connection ends.
    /// Fails if the object's names or signatures are invalid, or the path is taken.
    ///
    /// Handlers that capture this connection keep it alive until `close()` (or
    /// the bus going away), which also drops all exported objects.
    public func export(_ object: DBusObject) throws(DBusError) {
        try loop.router.export(object)
    }

    /// Stops serving the object at `path`; later calls to it get `UnknownObject`.
    public func unexport(path: String) {
        loop.router.unexport(path: path)
    }

    // MARK: Signals

    /// Emits a signal; `destination` makes it unicast (rarely wanted).
    public func emitSignal(
        path: String,
        interface: String,
        name: String,
        arguments: [DBusValue] = [],
        destination: String? = nil
    ) throws(DBusError) {
        let message = try DBusMessageRef.signal(path: path, interface: interface, name: name)
        if let destination {
            try DBusSyntax.check(busName: destination)
            _ = dbus_message_set_destination(message.pointer, destination)
        }
        try message.append(arguments)
        guard loop.enqueue(.send(message)) else { throw .disconnected }
    }

    /// Emits `org.freedesktop.DBus.Properties.PropertiesChanged` for properties
    /// of `interface` at `path` (e.g. Spiel's `Voices` after a voice change).
    public func emitPropertiesChanged(
        path: String,
        interface: String,
        changed: [String: DBusValue],
        invalidated: [String] = []
    ) throws(DBusError) {
        try DBusSyntax.check(interface: interface)
        try emitSignal(
            path: path, interface: DBusObjectRouter.properties, name: "PropertiesChanged",
            arguments: [.string(interface), .dictionary(changed), .stringArray(invalidated)])
    }

    /// Receives the signals matching `rule` until the stream's consumer stops
    /// or the connection ends. Returns once the bus has accepted the match rule,
    /// so no signal emitted after this returns is missed.
    public func signals(matching rule: DBusMatchRule) async throws(DBusError) -> DBusSignalStream {
        try rule.validate()
        let id = loop.makeToken()
        let (stream, continuation) = AsyncStream<DBusSignal>.makeStream()
        let handOff = SignalHandOff()
        let loop = self.loop
        continuation.onTermination = { _ in
            loop.enqueue(.unsubscribe(id: id, rule: rule))
        }
        // Subscribe locally first: a signal arriving right after AddMatch is then not lost.
        guard loop.enqueue(.subscribe(id: id, rule: rule, continuation: continuation, handOff: handOff)) else {
            continuation.finish()
            throw .disconnected
        }
        do {
            _ = try await callBus("AddMatch", [.string(rule.ruleString)])
        } catch {
            continuation.finish()
            throw error
        }
        return DBusSignalStream(base: stream, handOff: handOff)
    }

    // MARK: Calling methods

    /// Calls a method and returns the reply's values.
    ///
    /// An error reply is thrown as a `DBusError` with the service's name and
    /// message; no reply within `timeout` throws `NoReply`; a cancelled task
    /// throws `org.herald.DBus.Error.Cancelled`.
    public func call(
        destination: String,
        path: String,
        interface: String,
        method: String,
        arguments: [DBusValue] = [],
        timeout: Duration = .seconds(25)
    ) async throws(DBusError) -> [DBusValue] {
        let message = try DBusMessageRef.methodCall(destination: destination, path: path, interface: interface, method: method)
        try message.append(arguments)
        let reply = try await send(message, what: "\(interface).\(method) on \(destination)", timeout: timeout)
        if reply.type == DBUS_MESSAGE_TYPE_ERROR {
            throw reply.asError()
        }
        return try reply.arguments()
    }

    private func send(_ message: DBusMessageRef, what: String, timeout: Duration) async throws(DBusError) -> DBusMessageRef {
        let token = loop.makeToken()
        let loop = self.loop
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: DBusDispatchLoop.ReplyContinuation) in
                if Task.isCancelled {
                    continuation.resume(returning: .failure(DBusError(name: DBusError.Names.cancelled, message: "The call to \(what) was cancelled.")))
                    return
                }
                if !loop.enqueue(.call(message, token: token, timeout: timeout, what: what, reply: continuation)) {
                    continuation.resume(returning: .failure(.disconnected))
                }
            }
        } onCancel: {
            loop.enqueue(.cancelCall(token: token))
        }
        // The dispatch thread made the reply; see `ThreadSanitizer` for why it is said here.
        if case .success(let reply) = result { ThreadSanitizer.acquire(reply) }
        return try result.get()
    }

    /// A call to the bus itself (`org.freedesktop.DBus`).
    func callBus(_ method: String, _ arguments: [DBusValue]) async throws(DBusError) -> [DBusValue] {
        try await call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: method, arguments: arguments)
    }
}
