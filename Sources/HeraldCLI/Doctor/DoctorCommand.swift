internal import ArgumentParser
internal import FoundationEssentials
internal import Glibc

/// `herald doctor`: checks the setup piece by piece and says what to fix,
/// so that a silent Herald can be mended without reading logs.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check Herald's setup and say what to fix.",
        discussion: """
            Each check prints one line: ✓ works, ! worth a look (advisory), ✗ must be fixed, with \
            what to do on the next line; – not checked. Nothing is spoken or played, and the \
            daemon is not started: when it does not run, doctor says what would start it.

            Required (✗, exit status 1): the session bus; a running daemon, or one the bus or \
            herald can start; the config file parsing; the audio device opening; espeak-ng's \
            voices; with cloud engines configured, credentials that only you can read and that \
            Cloudflare accepts (one word is synthesised, not played; skipped with --offline); no \
            engine set aside by the daemon; a clipboard tool in a graphical session; the SSIP \
            socket, mode 0600, while the daemon runs.

            Advisory (!, exit status 0): the daemon not running yet, an engine resting after a \
            failure, the device busy while heraldd holds it, Workers AI busy (429, 5xx), no \
            graphical session to check the clipboard in.

            Examples:
              herald doctor
              herald doctor --offline --config ~/.config/herald/config.toml
            """)

    @Flag(help: "Do not contact Cloudflare: skip the request that checks the token is accepted.")
    var offline = false

    @Option(name: .long, help: ArgumentHelp("The config file to check (default: the one the running daemon reads, else $XDG_CONFIG_HOME/herald/config.toml).", valueName: "path"))
    var config: String?

    func run() async throws {
        var report = DoctorReport(colours: DoctorReport.terminalWantsColours())
        await Doctor(offline: offline, configPath: config, environment: ProcessInfo.processInfo.environment).run(into: &report)
        FileHandleOutput.standardOutput(report.summary + "\n")
        if report.failures > 0 { throw ExitCode(1) }
    }
}
