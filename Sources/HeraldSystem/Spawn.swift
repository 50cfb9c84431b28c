public import Glibc

/// How Herald starts every program it runs: heraldd from `herald`, the
/// clipboard tools, the espeak-ng helper, and the test kit's servers.
///
/// `posix_spawn` rather than Foundation's `Process`, and always with an empty
/// signal mask and every signal at its default: heraldd blocks SIGTERM and
/// SIGINT on all its threads (DaemonSignals) and Swift Testing's threads
/// block most signals, and a child inherits both, so without this a helper
/// would never end on SIGTERM and a test of how a daemon handles it would test
/// nothing. Nothing of the parent reaches the child but what is named here:
/// every descriptor Herald opens is close-on-exec.
public struct Spawn: Sendable {
    /// Where one of the child's standard descriptors comes from.
    public enum Source: Sendable {
        /// `/dev/null`, for reading or writing as the descriptor is used.
        case null
        /// Kept as this process has it (heraldd's log, for the helper's stderr).
        case inherited
        /// A file, created with `mode` if missing, appended to.
        case appending(to: String, mode: mode_t)
        /// A descriptor of this process (a pipe's end); for standard error, 1
        /// means the child's standard output as just set.
        case descriptor(Int32)
    }

    /// Why the program did not start; says which and why, never its arguments.
    public struct Failure: Error, CustomStringConvertible {
        public let program: String
        public let errno: Int32
        public var description: String { "cannot start \(program): \(String(cString: strerror(errno)))" }
    }

    public var program: String
    /// argv after argv[0], which is `program`; never text a user wrote.
    public var arguments: [String]
    /// The whole environment of the child; nil: this process's.
    public var environment: [String: String]?
    public var standardInput = Source.null
    public var standardOutput = Source.null
    public var standardError = Source.inherited
    /// Further descriptors the child gets: its number ← ours (dup2).
    public var descriptors: [(child: Int32, ours: Int32)] = []
    /// A session of its own (`setsid`): no controlling terminal, outlives the shell that started it.
    public var newSession = false
    /// A process group of its own: a Ctrl-C or `kill -- -PGID` meant for the parent does not reach it.
    public var newProcessGroup = false

    public init(_ program: String, _ arguments: [String] = [], environment: [String: String]? = nil) {
        self.program = program
        self.arguments = arguments
        self.environment = environment
    }

    /// glibc's `POSIX_SPAWN_SETSID` (since 2.26); Swift does not import the macro.
    private static let setSID: Int32 = 0x80

    /// Starts the program and returns its pid; the caller reaps it.
    public func start() throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, source, flags) in [
            (Int32(0), standardInput, O_RDONLY), (1, standardOutput, O_WRONLY), (2, standardError, O_WRONLY),
        ] {
            switch source {
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", flags, 0)
            case .inherited: break
            case .appending(let path, let mode):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, mode)
            case .descriptor(let ours): posix_spawn_file_actions_adddup2(&actions, ours, fd)
            }
        }
        for (child, ours) in descriptors { posix_spawn_file_actions_adddup2(&actions, ours, child) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= Self.setSID }
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let status: Int32
        if let environment {
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { envp.forEach { free($0) } }
            status = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        } else {
            status = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        }
        guard status == 0 else { throw Failure(program: program, errno: status) }
        return pid
    }
}
