public import ArgumentParser

/// `herald`: the command-line client of the Herald daemon.
public struct HeraldCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Speak text through the Herald speech daemon.",
        discussion: """
            Talks to heraldd on the session bus and starts it when it is not running. Examples:

              herald speak "Hello there."
              echo "Build finished." | herald speak --priority notification
              herald speak --file notes.md --wait
              herald clipboard --toggle
              herald stop
              herald reload
              herald doctor
            """,
        subcommands: [
            SpeakCommand.self, ClipboardCommand.self, StopCommand.self, CancelCommand.self, PauseCommand.self, ResumeCommand.self,
            NextCommand.self, PreviousCommand.self, RepeatCommand.self,
            ReloadCommand.self, VoicesCommand.self, StatusCommand.self, LexiconCommand.self, PositionsCommand.self,
            DoctorCommand.self,
        ])

    public init() {}
}
