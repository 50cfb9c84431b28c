import ArgumentParser
import Glibc
import HeraldAudio
import HeraldCLI
import HeraldDaemon
import HeraldExecutor
import HeraldSystem
import Logging

/// `heraldd`: the Herald speech daemon.
@main
struct HeraldDaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldd",
        abstract: "The Herald text-to-speech daemon.",
        discussion: """
            Runs until SIGTERM or SIGINT; SIGHUP re-reads the config file (as `herald reload` does). \
            Without a config file it speaks with espeak-ng on ALSA's default device. Example:

              heraldd --say "Hello from Herald" --exit-when-idle
            """)

    /// Started as `herald` (the installed `herald` is a link to this binary;
    /// `HeraldCommand.isInvokedByName` says why): the command-line client,
    /// before anything of the daemon's is set up. Otherwise the daemon.
    static func main() {
        if HeraldCommand.isInvokedByName() {
            GlobalExecutor.releaseDaemonSignals()
            HeraldCommand.runAsMain()
        }
        main(nil)
    }

    @Option(name: .long, help: "Config file (default: $XDG_CONFIG_HOME/herald/config.toml).")
    var config: String?

    @Option(name: .long, help: "Speak this text at start (repeatable).")
    var say: [String] = []

    @Flag(name: .long, help: "Exit once the --say texts have been spoken.")
    var exitWhenIdle = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    mutating func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        // First, while this is the only thread: every thread started from here
        // on inherits the blocked signals, so a SIGTERM or SIGHUP during start-up
        // waits for the daemon instead of killing it, and tasks run on Herald's pool
        // rather than libdispatch's (which would wake the daemon every second).
        let signals = DaemonSignals.block([SIGTERM, SIGINT, SIGHUP])
        // Before the sound card opens, and while no other thread reads the environment.
        StreamIdentity.export(from: ProcessEnvironment.current)
        try GlobalExecutor.install()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "heraldd")
        let (configPath, greeting, exitWhenIdle) = (config, say, exitWhenIdle)
        try GlobalExecutor.runBlocking {
            do {
                try await Daemon.run(
                    configPath: configPath, greeting: greeting, exitWhenIdle: exitWhenIdle, signals: signals,
                    logger: logger)
            } catch let error as Daemon.StartError {
                printError("heraldd: \(error)")
                throw ExitCode(2)
            }
        }
    }
}

/// One line on stderr, written with write(2): the daemon links no Foundation.
func printError(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return }
        written += count
    }
}
