internal import ArgumentParser
internal import Dispatch
internal import Glibc

extension HeraldCommand {
    /// True when this process was started under the name `herald` (its
    /// `argv[0]`, whatever folder it is in).
    ///
    /// Why: the installed `herald` is a link to `heraldd`, one binary for both
    /// programs (packaging/install.sh). The two link the same Swift runtime,
    /// FoundationEssentials, SwiftNIO, AsyncHTTPClient and BoringSSL; as two
    /// binaries they were 26–31 MB each, one binary is both for a couple of
    /// MB more than the daemon alone (docs/memory.md has the figures).
    public static func isInvokedByName(arguments: [String] = CommandLine.arguments) -> Bool {
        guard let first = arguments.first else { return false }
        return first.split(separator: "/").last == "herald"
    }

    /// Runs `herald` to its end from a synchronous `main` (heraldd's) and
    /// exits: as the `herald` executable's async `main` does, on Swift's
    /// default executor, with libdispatch's main queue served for what runs
    /// on the main actor.
    public static func runAsMain() -> Never {
        Task {
            let command: any AsyncParsableCommand.Type = HeraldCommand.self
            await command.main()
            Glibc.exit(0)
        }
        dispatchMain()
    }
}
