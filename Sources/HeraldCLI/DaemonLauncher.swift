internal import FoundationEssentials
internal import Glibc
internal import HeraldSystem

/// Starts `heraldd` from the same folder as this `herald`, detached from the
/// terminal (its own session, standard input closed, output to a log file),
/// so it outlives the command that started it.
enum DaemonLauncher {
    /// Returns the log file the daemon writes to.
    static func launch() throws(CLIError) -> String {
        let executable = daemonPath()
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw CLIError("heraldd is not running and \(executable) does not exist; build or install Herald first")
        }
        let log = logPath()
        var daemon = Spawn(executable)
        daemon.standardError = .appending(to: log, mode: 0o600)
        daemon.newSession = true
        do {
            _ = try daemon.start()
        } catch {
            throw CLIError("\(error)")
        }
        return log
    }

    /// `heraldd` beside the running executable (a build folder or an install prefix).
    static func daemonPath() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("heraldd").path
    }

    /// `$XDG_RUNTIME_DIR/herald/heraldd.log`, in a folder only the user can read.
    static func logPath() -> String {
        RuntimeFolder.path() + "/heraldd.log"
    }
}
