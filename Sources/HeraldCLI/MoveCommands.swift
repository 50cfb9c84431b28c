internal import ArgumentParser
internal import HeraldDBus

/// `herald next`, `previous` and `repeat`: move in what herald last started
/// reading (`speak`, `clipboard`), from any shell or a keybinding, by D-Bus
/// `Skip`. They differ only in how far they move.
protocol MoveCommand: AsyncParsableCommand {
    /// Sentences (or paragraphs) to move: 1 forward, -1 back, 0 the current one again.
    static var count: Int32 { get }
    var paragraph: Bool { get }
}

extension MoveCommand {
    func run() async throws {
        do throws(CLIError) {
            let nothing = CLIError("herald is reading nothing: start with herald speak or herald clipboard")
            guard let reading = MessageMemory.load(.reading) else { throw nothing }
            let client = try await DaemonClient.connect(start: false)
            // A daemon started since has ids of its own; the remembered one is not among them.
            guard let daemon = await client.daemonOwner(), daemon == reading.daemon else { throw nothing }
            _ = try await client.call("Skip", [.uint64(reading.id), .int32(Self.count), .string(paragraph ? "paragraph" : "sentence")])
        } catch {
            fail(error)
        }
    }
}

struct NextCommand: MoveCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Skip to the next sentence of what herald is reading.",
        discussion: "Past the last sentence the reading ends. Works while paused: it moves and stays paused.")
    static let count: Int32 = 1
    @Flag(name: .long, help: "Move by paragraph instead.") var paragraph = false
}

struct PreviousCommand: MoveCommand {
    static let configuration = CommandConfiguration(
        commandName: "previous",
        abstract: "Go back to the sentence before the one being read.",
        discussion: "Twice in a row goes back two: each move counts from where the last one went.")
    static let count: Int32 = -1
    @Flag(name: .long, help: "Move by paragraph instead.") var paragraph = false
}

struct RepeatCommand: MoveCommand {
    static let configuration = CommandConfiguration(
        commandName: "repeat", abstract: "Read the sentence being read again from its start.")
    static let count: Int32 = 0
    @Flag(name: .long, help: "The paragraph instead.") var paragraph = false
}
