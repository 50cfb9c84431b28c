internal import FoundationEssentials
internal import Glibc
internal import HeraldCore
internal import HeraldDBus

/// The session bus and the daemon on it, asked without starting anything:
/// every call goes to the daemon's unique bus name, which the bus never
/// activates, and only once the well-known name has an owner.
struct DaemonCheck {
    /// What the running daemon reported.
    struct Running {
        let status: [String: DBusValue]
    }

    /// nil when the bus could not be reached.
    let connection: DBusConnection?
    let findings: [DoctorFinding]
    /// nil when no daemon runs.
    let running: Running?

    static let busName = DaemonClient.busName
    static let timeout: Duration = .seconds(5)

    static func run() async -> DaemonCheck {
        let connection: DBusConnection
        do {
            connection = try await DBusConnection.session()
        } catch {
            return DaemonCheck(
                connection: nil,
                findings: [
                    .failure(
                        "session bus", error.message,
                        fix: "run herald inside your desktop session, or under dbus-run-session on a machine without one"),
                    .skipped("daemon", "not checked without a session bus"),
                ],
                running: nil)
        }
        var findings: [DoctorFinding] = [.pass("session bus", "reachable")]
        guard let owner = await owner(on: connection) else {
            findings.append(await notRunning(on: connection))
            return DaemonCheck(connection: connection, findings: findings, running: nil)
        }
        do {
            let reply = try await connection.call(
                destination: owner, path: DaemonClient.objectPath, interface: DaemonClient.interface, method: "GetStatus",
                timeout: timeout)
            guard let status = reply.first?.dictionary else {
                findings.append(
                    .failure("daemon", "answered GetStatus with \(DBusValue.signature(of: reply)), not a{sv}",
                        fix: "another program owns \(busName); stop it, then run herald again"))
                return DaemonCheck(connection: connection, findings: findings, running: nil)
            }
            findings.append(await running(status, owner: owner, on: connection))
            return DaemonCheck(connection: connection, findings: findings, running: Running(status: status))
        } catch {
            findings.append(
                .failure(
                    "daemon", "owns \(busName) but does not answer: \(error.message)",
                    fix: "restart it: systemctl --user restart herald, or end the heraldd process; herald starts it again"))
            return DaemonCheck(connection: connection, findings: findings, running: nil)
        }
    }

    /// The unique name owning `org.herald.Speech1`, nil when nobody does.
    private static func owner(on connection: DBusConnection) async -> String? {
        let reply = try? await bus(connection, "GetNameOwner", [.string(busName)])
        return reply?.first?.string
    }

    private static func running(_ status: [String: DBusValue], owner: String, on connection: DBusConnection) async -> DoctorFinding {
        var facts: [String] = []
        if let pid = try? await bus(connection, "GetConnectionUnixProcessID", [.string(owner)]).first?.uint32 {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")).map { ", \($0)" } ?? ""
            facts.append("pid \(pid)\(executable)")
        }
        let version = status["version"]?.uint32
        facts.append("interface version \(version.map(String.init) ?? "unknown")")
        let detail = "running (\(facts.joined(separator: "; ")))"
        if let version, version != Herald.interfaceVersion {
            return .warning(
                "daemon", detail,
                fix: "this herald speaks interface version \(Herald.interfaceVersion); restart the daemon so the installed one runs (systemctl --user restart herald)")
        }
        return .pass("daemon", detail)
    }

    /// No daemon: fine when something would start it on demand, as `herald speak` does.
    private static func notRunning(on connection: DBusConnection) async -> DoctorFinding {
        let activatable = (try? await bus(connection, "ListActivatableNames", []).first?.stringArray)?.contains(busName) == true
        if activatable {
            return .warning(
                "daemon", "not running; the session bus starts it on the first request (D-Bus activation of \(busName))",
                fix: "nothing to do; herald speak starts it, or start it with the desktop: systemctl --user enable --now herald.service")
        }
        let beside = DaemonLauncher.daemonPath()
        if FileManager.default.isExecutableFile(atPath: beside) {
            return .warning(
                "daemon", "not running; herald starts \(beside) on the first request",
                fix: "nothing to do; herald speak starts it (its log goes to \(DaemonLauncher.logPath()))")
        }
        return .failure(
            "daemon", "not running, and nothing can start it: no D-Bus activation file for \(busName) and no \(beside)",
            fix: "install Herald (packaging/install.sh or the .deb), or run heraldd yourself")
    }

    private static func bus(_ connection: DBusConnection, _ method: String, _ arguments: [DBusValue]) async throws(DBusError)
        -> [DBusValue]
    {
        try await connection.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", method: method,
            arguments: arguments, timeout: timeout)
    }
}
