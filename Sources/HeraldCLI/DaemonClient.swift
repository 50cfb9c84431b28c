internal import FoundationEssentials
internal import Glibc
internal import HeraldDBus

/// The CLI's side of `org.herald.Speech1`: a bus connection with the daemon
/// started on demand.
struct DaemonClient {
    static let busName = "org.herald.Speech1"
    static let objectPath = "/org/herald/Speech1"
    static let interface = "org.herald.Speech1"
    /// The named client the CLI's messages belong to, so that `herald stop`
    /// reaches what an earlier `herald speak` queued after that process exited.
    static let clientName = "herald"

    /// How long to wait for a daemon we started to take its name.
    static let startTimeout: Duration = .seconds(10)

    let connection: DBusConnection

    /// Connects to the session bus; with `start`, makes sure the daemon runs.
    static func connect(start: Bool = true) async throws(CLIError) -> DaemonClient {
        let connection: DBusConnection
        do {
            connection = try await DBusConnection.session()
        } catch {
            throw CLIError(error.message)
        }
        let client = DaemonClient(connection: connection)
        if start { try await client.ensureDaemon() }
        return client
    }

    func call(_ method: String, _ arguments: [DBusValue] = [], timeout: Duration = .seconds(10)) async throws(CLIError) -> [DBusValue] {
        do {
            return try await connection.call(
                destination: Self.busName, path: Self.objectPath, interface: Self.interface, method: method,
                arguments: arguments, timeout: timeout)
        } catch {
            throw CLIError(error.message)
        }
    }

    /// Queues `text` as the named client `herald`; returns the message id.
    func speak(_ text: String, priority: String, options: [String: DBusValue]) async throws(CLIError) -> UInt64 {
        var options = options
        options["client"] = .string(Self.clientName)
        let reply = try await call("Speak", [.string(text), .string(priority), .dictionary(options)])
        guard let id = reply.first?.uint64 else { throw CLIError("the daemon gave an unexpected reply to Speak") }
        return id
    }

    /// Remembers `id` in `slots` for later herald processes; best effort.
    func remember(_ id: UInt64, as slots: MessageMemory.Slot...) async {
        guard let daemon = await daemonOwner() else { return }
        for slot in slots { MessageMemory(daemon: daemon, id: id).save(slot) }
    }

    /// `GetStatus` with its variants unwrapped.
    func status() async throws(CLIError) -> [String: DBusValue] {
        let reply = try await call("GetStatus")
        guard case .dict(_, _, let entries)? = reply.first else { throw CLIError("the daemon gave an unexpected reply to GetStatus") }
        var status: [String: DBusValue] = [:]
        for (key, value) in entries {
            if let key = key.string { status[key] = value.unwrapped }
        }
        return status
    }

    /// The unique bus name of the running daemon (which changes when it
    /// restarts); nil when none runs.
    func daemonOwner() async -> String? {
        let reply = try? await connection.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "GetNameOwner", arguments: [.string(Self.busName)], timeout: .seconds(5))
        return reply?.first?.string
    }

    /// Starts heraldd when nobody owns the name: by D-Bus activation when a
    /// service file is installed, else the `heraldd` next to this executable.
    func ensureDaemon() async throws(CLIError) {
        if (try? await connection.nameHasOwner(Self.busName)) == true { return }
        let owners: AsyncStream<DBusNameOwnerChange>
        do {
            owners = try await connection.nameOwnerChanges(for: Self.busName)
        } catch {
            throw CLIError("cannot watch the session bus: \(error.message)")
        }
        let activated = (try? await connection.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "StartServiceByName", arguments: [.string(Self.busName), .uint32(0)], timeout: .seconds(10))) != nil
        if activated, (try? await connection.nameHasOwner(Self.busName)) == true { return }
        let log = try DaemonLauncher.launch()
        if (try? await connection.nameHasOwner(Self.busName)) == true { return }
        let appeared = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await change in owners where change.newOwner != nil { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: Self.startTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if appeared { return }
        if (try? await connection.nameHasOwner(Self.busName)) == true { return }
        throw CLIError("heraldd did not start within \(Self.startTimeout.components.seconds) s; its log is \(log)")
    }

    /// How a message ended, as `--wait` reports it.
    enum Outcome: Sendable {
        case ended
        case canceled
        case failed(String)
        /// The daemon left the bus (crashed or was stopped) first.
        case daemonGone
    }

    /// Subscribes, before the request is made so nothing is missed, to the
    /// daemon's signals and to its leaving the bus; the returned function
    /// waits for the end of one message, handing its other signals (began,
    /// marks, paused, resumed) to `progress` on the way.
    func outcomes(progress: (@Sendable (DBusSignal) -> Void)? = nil) async throws(CLIError) -> @Sendable (UInt64) async -> Outcome {
        let signals: DBusSignalStream
        let owners: AsyncStream<DBusNameOwnerChange>
        do {
            signals = try await connection.signals(
                matching: DBusMatchRule(sender: Self.busName, path: Self.objectPath, interface: Self.interface))
            owners = try await connection.nameOwnerChanges(for: Self.busName)
        } catch {
            throw CLIError("cannot listen to the daemon's signals: \(error.message)")
        }
        return { id in
            await withTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    for await signal in signals where signal.arguments.first?.uint64 == id {
                        switch signal.member {
                        case "Ended": return .ended
                        case "Canceled": return .canceled
                        case "Failed": return .failed(signal.arguments.last?.string ?? "unknown reason")
                        default: progress?(signal)
                        }
                    }
                    return .daemonGone
                }
                group.addTask {
                    for await change in owners where change.newOwner == nil { return .daemonGone }
                    return .daemonGone
                }
                let first = await group.next() ?? .daemonGone
                group.cancelAll()
                return first
            }
        }
    }
}
