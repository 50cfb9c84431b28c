internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Starts `heraldd` from the same folder as this `herald`, detached from the
/// terminal (its own session, standard input closed, output to a log file),
/// so it outlives the command that started it.
enum DaemonLauncher {
    /// glibc's `POSIX_SPAWN_SETSID` (since 2.26); Swift does not import the macro.
    private static let spawnSetSID: Int16 = 0x80

    /// Returns the log file the daemon writes to.
    static func launch() throws(CLIError) -> String {
        let executable = daemonPath()
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw CLIError("heraldd is not running and \(executable) does not exist; build or install Herald first")
        }
        let log = logPath()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK))
        var pid = pid_t()
        let arguments = [executable]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw CLIError("cannot start \(executable): \(String(cString: strerror(status)))")
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
