internal import CDBus
internal import Glibc
internal import Logging
internal import Synchronization
internal import HeraldSystem

/// The dispatch thread: the only code that touches the libdbus connection.
///
/// Why one owner thread rather than libdbus's own locking: libdbus is
/// thread-safe after `dbus_threads_init_default()`, but a thread blocked in
/// `dbus_connection_read_write_dispatch(conn, -1)` holds the connection's I/O
/// path, so a message sent from another thread waits in the outgoing queue
/// until something arrives; and watch callbacks fired on sending threads
/// would race with a poll loop that holds watch pointers. Here other threads
/// only build messages and queue *commands* (send, call, subscribe, close),
/// then write an eventfd. The owner sleeps in `poll()` on the connection's
/// watches plus that eventfd, with a timeout only while a call awaits its
/// reply (or libdbus asked for a timeout): an idle connection never wakes.
final class DBusDispatchLoop: @unchecked Sendable {
    typealias ReplyContinuation = CheckedContinuation<Result<DBusMessageRef, DBusError>, Never>

    enum Command: Sendable {
        case send(DBusMessageRef)
        case call(DBusMessageRef, token: UInt64, timeout: Duration, what: String, reply: ReplyContinuation)
        case cancelCall(token: UInt64)
        case subscribe(id: UInt64, rule: DBusMatchRule, continuation: AsyncStream<DBusSignal>.Continuation, handOff: SignalHandOff)
        case unsubscribe(id: UInt64, rule: DBusMatchRule)
        case close
    }

    struct ConnectionInfo: Sendable {
        let uniqueName: String
        let canPassUnixFDs: Bool
    }

    private struct Shared {
        var commands: [Command] = []
        var isFinished = false
        var disconnectWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private struct PendingCall {
        let token: UInt64
        let deadline: ContinuousClock.Instant
        let what: String
        let timeout: Duration
        let reply: ReplyContinuation
    }

    private struct Subscriber {
        let rule: DBusMatchRule
        let continuation: AsyncStream<DBusSignal>.Continuation
        let handOff: SignalHandOff
    }

    private struct WatchEntry {
        let id: UInt64
        let fd: Int32
    }

    private struct TimeoutEntry {
        let id: UInt64
        var deadline: ContinuousClock.Instant?
    }

    let logger: Logger
    let router: DBusObjectRouter
    private let wakeup: EventFD
    private let shared = Locked(Shared())
    private let nextToken = Atomic<UInt64>(1)
    /// How many times the thread came back from `poll()`; tests read it to prove that idle means asleep.
    let wakeCount = Atomic<Int>(0)
    private let fdPassing = Atomic<Bool>(false)

    // Owned by the dispatch thread.
    private var connection: OpaquePointer?
    private var watches: [OpaquePointer: WatchEntry] = [:]
    private var timeouts: [OpaquePointer: TimeoutEntry] = [:]
    private var nextEntryID: UInt64 = 1
    private var pending: [UInt32: PendingCall] = [:]
    private var serialsByToken: [UInt64: UInt32] = [:]
    private var subscribers: [UInt64: Subscriber] = [:]
    private var sawDisconnect = false

    init(logger: Logger) throws(DBusError) {
        guard let wakeup = EventFD() else {
            throw .failed("Cannot create an eventfd for the D-Bus thread (out of file descriptors).")
        }
        self.wakeup = wakeup
        self.logger = logger
        self.router = DBusObjectRouter(logger: logger)
    }

    var canPassUnixFDs: Bool { fdPassing.load(ordering: .relaxed) }

    func makeToken() -> UInt64 {
        nextToken.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    // MARK: Starting

    /// Starts the thread, which connects and then reports through `ready` before serving.
    func start(address: String, ready: @escaping @Sendable (Result<ConnectionInfo, DBusError>) -> Void) {
        let started = startDetachedThread(named: "herald-dbus") { [self] in
            run(address: address, ready: ready)
        }
        if !started { ready(.failure(.failed("Cannot start the D-Bus thread (the system has no thread left)."))) }
    }

    private func run(address: String, ready: @Sendable (Result<ConnectionInfo, DBusError>) -> Void) {
        switch open(address: address) {
        case .failure(let error):
            finish()
            ready(.failure(error))
            return
        case .success(let info):
            logger.debug("Connected to D-Bus", metadata: ["herald.dbus.unique_name": "\(info.uniqueName)"])
            ready(.success(info))
        }
        serve()
        finish()
    }

    private func open(address: String) -> Result<ConnectionInfo, DBusError> {
        var error = CDBus.DBusError()
        dbus_error_init(&error)
        defer { dbus_error_free(&error) }
        guard let conn = dbus_connection_open_private(address, &error) else {
            return .failure(Self.error(from: &error, context: "Cannot connect to the D-Bus bus at \(address)"))
        }
        dbus_connection_set_exit_on_disconnect(conn, 0)
        guard dbus_bus_register(conn, &error) != 0 else {
            let failure = Self.error(from: &error, context: "Connected to \(address) but could not register with the bus")
            dbus_connection_close(conn)
            dbus_connection_unref(conn)
            return .failure(failure)
        }
        connection = conn
        let uniqueName = dbus_bus_get_unique_name(conn).map { String(cString: $0) } ?? ""
        let canPass = dbus_connection_can_send_type(conn, CDBUS_TYPE_UNIX_FD) != 0
        fdPassing.store(canPass, ordering: .relaxed)

        let context = Unmanaged.passUnretained(self).toOpaque()
        let watchesSet = dbus_connection_set_watch_functions(
            conn,
            { watch, data in DBusDispatchLoop.from(data).addWatch(watch!) },
            { watch, data in DBusDispatchLoop.from(data).removeWatch(watch!) },
            { watch, data in DBusDispatchLoop.from(data).watchToggled(watch!) },
            context, nil)
        let timeoutsSet = dbus_connection_set_timeout_functions(
            conn,
            { timeout, data in DBusDispatchLoop.from(data).addTimeout(timeout!) },
            { timeout, data in DBusDispatchLoop.from(data).removeTimeout(timeout!) },
            { timeout, data in DBusDispatchLoop.from(data).timeoutToggled(timeout!) },
            context, nil)
        dbus_connection_set_wakeup_main_function(conn, { data in DBusDispatchLoop.from(data).wakeup.signal() }, context, nil)
        dbus_connection_set_dispatch_status_function(
            conn, { _, _, data in DBusDispatchLoop.from(data).wakeup.signal() }, context, nil)
        let filterAdded = dbus_connection_add_filter(
            conn, { _, message, data in DBusDispatchLoop.from(data).filter(message!) }, context, nil)
        guard watchesSet != 0, timeoutsSet != 0, filterAdded != 0 else {
            return .failure(.noMemory)
        }
        return .success(ConnectionInfo(uniqueName: uniqueName, canPassUnixFDs: canPass))
    }

    private static func from(_ data: UnsafeMutableRawPointer?) -> DBusDispatchLoop {
        Unmanaged<DBusDispatchLoop>.fromOpaque(data!).takeUnretainedValue()
    }

    static func error(from error: inout CDBus.DBusError, context: String) -> DBusError {
        guard dbus_error_is_set(&error) != 0 else { return .failed(context + ".") }
        let name = error.name.map { String(cString: $0) } ?? DBusError.Names.failed
        let text = error.message.map { String(cString: $0) } ?? ""
        return DBusError(name: name, message: "\(context): \(text)")
    }

    // MARK: Commands from other threads

    /// Queues a command for the dispatch thread; false once the connection is gone.
    @discardableResult
    func enqueue(_ command: Command) -> Bool {
        let accepted = shared.withLock { state -> Bool in
            guard !state.isFinished else { return false }
            state.commands.append(command)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Sends a message from any thread; silently dropped after disconnection.
    func send(_ message: DBusMessageRef) {
        enqueue(.send(message))
    }

    var isFinished: Bool { shared.withLock { $0.isFinished } }

    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = shared.withLock { state -> Bool in
                if state.isFinished { return true }
                state.disconnectWaiters.append(continuation)
                return false
            }
            if finished { continuation.resume() }
        }
    }

    // MARK: The loop

    private func serve() {
        guard let conn = connection else { return }
        var pollSet: [pollfd] = []
        var polledWatches: [(watch: OpaquePointer, id: UInt64)] = []
        while true {
            wakeup.reset()
            runCommands(conn)
            dispatchAll(conn)
            if sawDisconnect || dbus_connection_get_is_connected(conn) == 0 {
                break
            }
            let now = ContinuousClock.now
            expireCalls(now: now)

            pollSet.removeAll(keepingCapacity: true)
            polledWatches.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0))
            for (watch, entry) in watches where dbus_watch_get_enabled(watch) != 0 {
                let flags = dbus_watch_get_flags(watch)
                var events: Int16 = 0
                if flags & DBUS_WATCH_READABLE.rawValue != 0 { events |= Int16(POLLIN) }
                if flags & DBUS_WATCH_WRITABLE.rawValue != 0 { events |= Int16(POLLOUT) }
                pollSet.append(pollfd(fd: entry.fd, events: events, revents: 0))
                polledWatches.append((watch, entry.id))
            }
            let timeout = pollTimeout(now: now)
            let ready = poll(&pollSet, nfds_t(pollSet.count), timeout)
            wakeCount.wrappingAdd(1, ordering: .relaxed)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("poll() failed on the D-Bus connection", metadata: ["herald.dbus.errno": "\(errno)"])
                break
            }
            for (index, polled) in polledWatches.enumerated() {
                let revents = Int32(pollSet[index + 1].revents)
                guard revents != 0, watches[polled.watch]?.id == polled.id else { continue }
                var flags: UInt32 = 0
                if revents & Int32(POLLIN) != 0 { flags |= DBUS_WATCH_READABLE.rawValue }
                if revents & Int32(POLLOUT) != 0 { flags |= DBUS_WATCH_WRITABLE.rawValue }
                if revents & Int32(POLLERR) != 0 { flags |= DBUS_WATCH_ERROR.rawValue }
                if revents & Int32(POLLHUP) != 0 { flags |= DBUS_WATCH_HANGUP.rawValue }
                // FALSE means out of memory; libdbus keeps the data and the watch fires again.
                _ = dbus_watch_handle(polled.watch, flags)
            }
            fireTimeouts(now: .now)
        }
    }

    private func runCommands(_ conn: OpaquePointer) {
        let commands = shared.withLock { state -> [Command] in
            defer { state.commands.removeAll() }
            return state.commands
        }
        for command in commands {
            if sawDisconnect {
                // Closed earlier in this batch: fail what waits, drop the rest.
                Self.abandon(command)
                continue
            }
            switch command {
            case .send(let message):
                if message.containsUnixFDs, !canPassUnixFDs {
                    // libdbus would drop it silently; say why instead.
                    logger.warning("Dropped a message with file descriptors: this connection cannot pass them")
                    continue
                }
                if dbus_connection_send(conn, message.pointer, nil) == 0 {
                    logger.warning("Could not queue a D-Bus message (out of memory)")
                }
            case .call(let message, let token, let timeout, let what, let reply):
                if message.containsUnixFDs, !canPassUnixFDs {
                    reply.resume(returning: .failure(.failed(
                        "Cannot call \(what): this bus connection cannot pass file descriptors.")))
                    continue
                }
                var serial: UInt32 = 0
                guard dbus_connection_send(conn, message.pointer, &serial) != 0 else {
                    reply.resume(returning: .failure(.noMemory))
                    continue
                }
                pending[serial] = PendingCall(
                    token: token, deadline: .now + timeout, what: what, timeout: timeout, reply: reply)
                serialsByToken[token] = serial
            case .cancelCall(let token):
                if let serial = serialsByToken.removeValue(forKey: token),
                    let call = pending.removeValue(forKey: serial)
                {
                    call.reply.resume(returning: .failure(DBusError(
                        name: DBusError.Names.cancelled, message: "The call to \(call.what) was cancelled.")))
                }
            case .subscribe(let id, let rule, let continuation, let handOff):
                subscribers[id] = Subscriber(rule: rule, continuation: continuation, handOff: handOff)
            case .unsubscribe(let id, let rule):
                guard subscribers.removeValue(forKey: id) != nil else { continue }
                // Fire and forget: nobody waits, and the rule dies with the connection anyway.
                if let message = try? DBusMessageRef.methodCall(
                    destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                    interface: "org.freedesktop.DBus", method: "RemoveMatch"),
                    (try? message.append([.string(rule.ruleString)])) != nil
                {
                    message.setNoReply()
                    dbus_connection_send(conn, message.pointer, nil)
                }
            case .close:
                dbus_connection_flush(conn)
                dbus_connection_close(conn)
                dispatchAll(conn)
                sawDisconnect = true
            }
        }
    }

    private func dispatchAll(_ conn: OpaquePointer) {
        while dbus_connection_get_dispatch_status(conn) == DBUS_DISPATCH_DATA_REMAINS {
            dbus_connection_dispatch(conn)
        }
    }

    private func pollTimeout(now: ContinuousClock.Instant) -> Int32 {
        var earliest: ContinuousClock.Instant?
        for call in pending.values where earliest == nil || call.deadline < earliest! {
            earliest = call.deadline
        }
        for entry in timeouts.values {
            if let deadline = entry.deadline, earliest == nil || deadline < earliest! { earliest = deadline }
        }
        guard let earliest else { return -1 }
        let remaining = earliest - now
        if remaining <= .zero { return 0 }
        return remaining.pollMilliseconds
    }

    private func expireCalls(now: ContinuousClock.Instant) {
        for (serial, call) in pending where call.deadline <= now {
            pending.removeValue(forKey: serial)
            serialsByToken.removeValue(forKey: call.token)
            call.reply.resume(returning: .failure(DBusError(
                name: DBusError.Names.noReply,
                message: "No reply to \(call.what) within \(call.timeout); the service may be busy or hung.")))
        }
    }

    // MARK: Incoming messages (on the dispatch thread)

    private func filter(_ raw: OpaquePointer) -> DBusHandlerResult {
        let message = DBusMessageRef(retaining: raw)
        switch message.type {
        case DBUS_MESSAGE_TYPE_METHOD_RETURN, DBUS_MESSAGE_TYPE_ERROR:
            if let call = pending.removeValue(forKey: message.replySerial) {
                serialsByToken.removeValue(forKey: call.token)
                // The caller may not have reached its `await` yet: see `ThreadSanitizer`.
                ThreadSanitizer.release(message)
                call.reply.resume(returning: .success(message))
            }
            return DBUS_HANDLER_RESULT_HANDLED
        case DBUS_MESSAGE_TYPE_SIGNAL:
            deliverSignal(message)
            return DBUS_HANDLER_RESULT_HANDLED
        case DBUS_MESSAGE_TYPE_METHOD_CALL:
            router.route(message, loop: self)
            return DBUS_HANDLER_RESULT_HANDLED
        default:
            return DBUS_HANDLER_RESULT_NOT_YET_HANDLED
        }
    }

    private func deliverSignal(_ message: DBusMessageRef) {
        let interface = message.interface ?? ""
        let member = message.member ?? ""
        if interface == "org.freedesktop.DBus.Local", member == "Disconnected" {
            sawDisconnect = true
            return
        }
        guard !subscribers.isEmpty else { return }
        let arguments: [DBusValue]
        do {
            arguments = try message.arguments()
        } catch {
            logger.debug("Ignored an unreadable signal", metadata: ["herald.dbus.error": "\(error)"])
            return
        }
        let signal = DBusSignal(
            sender: message.sender ?? "", path: message.path ?? "", interface: interface, member: member,
            arguments: arguments)
        for subscriber in subscribers.values where subscriber.rule.matches(signal) {
            // The consumer may not have reached its `await` yet: see `DBusSignalStream`.
            ThreadSanitizer.release(subscriber.handOff)
            subscriber.continuation.yield(signal)
        }
    }

    // MARK: Watches and timeouts (libdbus calls these on the dispatch thread)

    private func addWatch(_ watch: OpaquePointer) -> dbus_bool_t {
        watches[watch] = WatchEntry(id: nextEntryID, fd: dbus_watch_get_unix_fd(watch))
        nextEntryID += 1
        return 1
    }

    private func removeWatch(_ watch: OpaquePointer) {
        watches.removeValue(forKey: watch)
    }

    private func watchToggled(_ watch: OpaquePointer) {
        // The poll set is rebuilt from dbus_watch_get_enabled on every turn.
    }

    private func addTimeout(_ timeout: OpaquePointer) -> dbus_bool_t {
        timeouts[timeout] = TimeoutEntry(id: nextEntryID, deadline: Self.deadline(of: timeout))
        nextEntryID += 1
        return 1
    }

    private func removeTimeout(_ timeout: OpaquePointer) {
        timeouts.removeValue(forKey: timeout)
    }

    private func timeoutToggled(_ timeout: OpaquePointer) {
        timeouts[timeout]?.deadline = Self.deadline(of: timeout)
    }

    private static func deadline(of timeout: OpaquePointer) -> ContinuousClock.Instant? {
        guard dbus_timeout_get_enabled(timeout) != 0 else { return nil }
        return .now + .milliseconds(Int(dbus_timeout_get_interval(timeout)))
    }

    private func fireTimeouts(now: ContinuousClock.Instant) {
        let due = timeouts.filter { $0.value.deadline.map { $0 <= now } ?? false }
        for (timeout, entry) in due where timeouts[timeout]?.id == entry.id {
            // libdbus timeouts repeat until removed or disabled.
            timeouts[timeout]?.deadline = Self.deadline(of: timeout)
            _ = dbus_timeout_handle(timeout)
        }
    }

    // MARK: Ending

    /// Settles a command that arrived too late to be carried out.
    private static func abandon(_ command: Command) {
        switch command {
        case .call(_, _, _, _, let reply): reply.resume(returning: .failure(.disconnected))
        case .subscribe(_, _, let continuation, _): continuation.finish()
        case .send, .cancelCall, .unsubscribe, .close: break
        }
    }

    private func finish() {
        for call in pending.values {
            call.reply.resume(returning: .failure(.disconnected))
        }
        pending.removeAll()
        serialsByToken.removeAll()
        for subscriber in subscribers.values {
            subscriber.continuation.finish()
        }
        subscribers.removeAll()
        if let conn = connection {
            // A private connection must be closed before its last reference goes.
            dbus_connection_close(conn)
            dbus_connection_unref(conn)
            connection = nil
        }
        watches.removeAll()
        timeouts.removeAll()
        // Handlers often capture the connection; dropping them breaks that cycle.
        router.unexportAll()
        let (leftovers, waiters) = shared.withLock { state in
            state.isFinished = true
            defer {
                state.commands.removeAll()
                state.disconnectWaiters.removeAll()
            }
            return (state.commands, state.disconnectWaiters)
        }
        for command in leftovers {
            Self.abandon(command)
        }
        for waiter in waiters {
            waiter.resume()
        }
        logger.debug("D-Bus connection closed")
    }
}
