internal import ArgumentParser
internal import HeraldDBus

/// What `--all` or its absence means for stop, cancel, pause and resume.
struct ScopeOptions: ParsableArguments {
    @Flag(name: .long, help: "Every client's speech, not only what herald started.")
    var all = false

    var scope: String { all ? "all" : "client:\(DaemonClient.clientName)" }
}

/// The four queue controls differ only in the method they call.
protocol ControlCommand: AsyncParsableCommand {
    static var method: String { get }
    var options: ScopeOptions { get }
}

extension ControlCommand {
    func run() async throws {
        do throws(CLIError) {
            let client = try await DaemonClient.connect(start: false)
            guard (try? await client.connection.nameHasOwner(DaemonClient.busName)) == true else { return }
            _ = try await client.call(Self.method, [.string(options.scope)])
        } catch {
            fail(error)
        }
    }
}

struct StopCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the message being spoken; queued ones follow.")
    static let method = "Stop"
    @OptionGroup var options: ScopeOptions
}

struct CancelCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Stop the message being spoken and drop the queued ones.")
    static let method = "Cancel"
    @OptionGroup var options: ScopeOptions
}

struct PauseCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause speech where it is.")
    static let method = "Pause"
    @OptionGroup var options: ScopeOptions
}

struct ResumeCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume paused speech.")
    static let method = "Resume"
    @OptionGroup var options: ScopeOptions
}

/// `herald reload`: what `systemctl --user reload herald` runs.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running daemon read its config file again.",
        discussion: """
            The next message uses the new engines, credentials, voices and audio device; what is \
            speaking finishes as it began, and queued messages and connected clients are kept. A config \
            that cannot be used changes nothing: the error names the file, the line and what to fix, \
            and herald exits 1. Does not start the daemon.
            """)

    func run() async throws {
        do throws(CLIError) {
            let client = try await DaemonClient.connect(start: false)
            guard (try? await client.connection.nameHasOwner(DaemonClient.busName)) == true else {
                throw CLIError("heraldd is not running; it reads the config when it starts")
            }
            let reply = try await client.call("Reload", timeout: .seconds(30))
            print("reloaded \(reply.first?.string ?? "the config")")
        } catch {
            fail(error)
        }
    }
}

/// Prints `herald: MESSAGE` on stderr and exits non-zero.
func fail(_ error: CLIError) -> Never {
    FileHandleOutput.standardError("herald: \(error.description)\n")
    HeraldCommand.exit(withError: ExitCode(1))
}
