public import ArgumentParser
internal import FoundationEssentials
internal import Glibc
public import HeraldCore
internal import HeraldDBus
internal import HeraldSystem

extension Priority: ExpressibleByArgument {}

/// `herald speak`: text from arguments, a file or standard input.
struct SpeakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speak",
        abstract: "Speak text, a file, or standard input.",
        discussion: """
            With no TEXT (or TEXT "-"), reads standard input. --file reads a text file (UTF-8 or Latin-1; \
            "-" is standard input); a Markdown file (.md) is read without its markup, headings and \
            paragraphs becoming pauses. herald next, previous, repeat, pause, resume and cancel \
            from another shell act on the reading. With --wait, a line on a terminal shows the \
            sentence being read (and for a file, how far), and where a file's reading stops is \
            kept ($XDG_STATE_HOME/herald): --resume goes on from that sentence. Examples:

              herald speak "The build has finished."
              herald speak --file chapter.md --wait
              herald speak --file chapter.md --resume
              herald speak --language es "Buenos días."
              herald speak --output greeting.wav "Hello."
              xclip -o | herald speak --priority text
            """)

    @Argument(help: "The text to speak; several arguments are joined with spaces.")
    var text: [String] = []

    @Option(name: .long, help: "Speak this text or Markdown file (- for standard input).")
    var file: String?

    @Option(name: .long, help: "important, message, text, notification or progress.")
    var priority: Priority = .text

    @Option(name: .long, help: "A voice id from `herald voices`.")
    var voice: String?

    @Option(name: .long, help: "The text's language (BCP 47, e.g. es or en-GB): picks an engine that speaks it.")
    var language: String?

    @Option(name: .long, help: "Write the speech to this WAV file instead of playing it.")
    var output: String?

    @Flag(name: .long, help: "The text is SSML markup.")
    var ssml = false

    @Flag(name: .long, help: "Return once spoken: exit 0 when it ended, non-zero when canceled or failed.")
    var wait = false

    @Flag(name: .long, help: "With --file: start at the sentence where the last reading of the file stopped (implies --wait).")
    var resume = false

    /// The largest input read: what the daemon accepts in one message.
    static let maxBytes = 16 << 20

    func run() async throws {
        do throws(CLIError) {
            try await speak()
        } catch {
            fail(error)
        }
    }

    private func speak() async throws(CLIError) {
        let destination = try output.map { path throws(CLIError) in try AudioOutput(path: path) }
        if resume, file == nil || file == "-" || ssml || output != nil {
            throw CLIError("--resume goes with --file FILE (a file read aloud, not standard input, SSML or --output)")
        }
        let wait = self.wait || resume
        let (text, reading) = try message()
        guard text.contains(where: { !$0.isWhitespace }) else { throw CLIError("nothing to speak: the text is empty") }
        let client = try await DaemonClient.connect()
        var options: [String: DBusValue] = [:]
        if let voice { options["voice"] = .string(voice) }
        if let language {
            try await VoicesCommand.checkSpoken(language, client: client)
            options["language"] = .string(language)
        }
        if ssml || reading != nil { options["ssml"] = .bool(true) }
        if let destination {
            let written = try await destination.write(text, options: options, client: client)
            let seconds = Double(written.frames) / Double(max(1, written.rate))
            print("\(destination.path): \(Self.tenths(seconds)) s at \(written.rate) Hz")
            return
        }
        let progress = wait ? reading.flatMap { ReadingProgress.onTerminal(name: $0.name, document: $0.document) } : nil
        defer { progress?.finish() }
        // Text that is not a file: the sentence being read, by its offsets (SSML's would index its text content).
        let sentenceLine = wait && reading == nil && !ssml ? SentenceProgress.onTerminal(text: text) : nil
        defer { sentenceLine?.finish() }
        // Where the reading is, kept as it goes, so a later --resume finds it whatever ends it.
        let place = wait ? reading.flatMap(\.place) : nil
        var outcome: (@Sendable (UInt64) async -> DaemonClient.Outcome)?
        if wait {
            var handler: (@Sendable (DBusSignal) -> Void)?
            if let sentenceLine {
                handler = { signal in sentenceLine.update(signal) }
            } else if progress != nil || place != nil {
                handler = { signal in
                    let mark = signal.arguments.last?.string
                    progress?.update(member: signal.member, mark: mark)
                    if signal.member == "IndexMark", let mark, let position = ReadingDocument.position(ofMark: mark) {
                        place?.reached(position)
                    }
                }
            }
            outcome = try await client.outcomes(progress: handler)
        }
        let id = try await client.speak(text, priority: priority.rawValue, options: options)
        await client.remember(id, as: .reading)
        guard let outcome else { return }
        // Whichever comes first: the message's end, or Ctrl-C (which cancels it).
        let waited = await withTaskGroup(of: DaemonClient.Outcome??.self) { group in
            group.addTask { .some(await outcome(id)) }
            group.addTask { await Interruption.next() == nil ? nil : .some(nil) }
            for await result in group {
                guard let result else { continue }
                group.cancelAll()
                return result
            }
            return nil
        }
        switch waited {
        case .ended?:
            // Read to its end: the next reading starts at the beginning.
            place?.finished()
            return
        case .canceled?: throw CLIError("canceled before the end (message \(id))")
        case .failed(let reason)?: throw CLIError("could not speak: \(reason)")
        case .daemonGone?: throw CLIError("the daemon went away before the message ended")
        case nil:
            _ = try? await client.call("Cancel", [.string(String(id))])
            throw CLIError("interrupted; the message was canceled")
        }
    }

    /// What to send, and the prepared file when it came from `--file`.
    private func message() throws(CLIError) -> (String, FileReading?) {
        guard let file else { return (try input(), nil) }
        guard text.isEmpty else { throw CLIError("give either TEXT or --file, not both") }
        // A file of SSML goes as it is; any other is prepared for reading.
        if ssml { return (try TextInput.read(file: file, limit: FileReading.maxBytes), nil) }
        let reading = try FileReading(path: file, resuming: resume, environment: ProcessEnvironment.current)
        return (reading.ssml, reading)
    }

    private func input() throws(CLIError) -> String {
        if text.isEmpty || text == ["-"] {
            if isatty(0) == 1 {
                throw CLIError("nothing to speak: give TEXT, --file FILE, or pipe text into herald speak")
            }
            return try TextInput.read(descriptor: STDIN_FILENO, name: "standard input", limit: Self.maxBytes)
        }
        return text.joined(separator: " ")
    }

    /// `seconds` with one decimal, as `%.1f` printed it (String(format:) is
    /// Foundation proper's); the duration is never negative.
    static func tenths(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
