internal import Glibc
internal import HeraldDBus

/// The line `herald speak --wait` keeps on a terminal's stderr for text that
/// is not a file (arguments, standard input): the sentence being read, from
/// the daemon's `SentenceRange` offsets into the text sent, and whether it
/// is paused. Files get `ReadingProgress`, which also says how far.
final class SentenceProgress: @unchecked Sendable {
    private let text: [Unicode.Scalar]
    private let lock = PlainLock()
    private var sentence = ""
    private var paused = false
    private var shown = false

    private init(text: String) {
        self.text = Array(text.unicodeScalars)
    }

    /// A line for plain `text` if stderr is a terminal; nil otherwise.
    static func onTerminal(text: String) -> SentenceProgress? {
        isatty(2) == 1 ? SentenceProgress(text: text) : nil
    }

    /// Handles one of the message's signals (`SentenceRange`, `Paused`, `Resumed`).
    func update(_ signal: DBusSignal) {
        lock.lock()
        defer { lock.unlock() }
        switch signal.member {
        case "SentenceRange":
            let bounds = signal.arguments.dropFirst().compactMap(\.uint32).map(Int.init)
            guard bounds.count == 2, bounds[0] <= bounds[1], bounds[1] <= text.count else { return }
            sentence = String(String.UnicodeScalarView(text[bounds[0]..<bounds[1]]))
        case "Paused": paused = true
        case "Resumed": paused = false
        default: return
        }
        let state = paused ? "Paused (herald resume)" : "Speaking"
        FileHandleOutput.standardError("\r\u{1B}[K" + ReadingProgress.fitted(state, sentence, width: ReadingProgress.terminalWidth()))
        shown = true
    }

    /// Clears the line, so the shell prompt or an error starts clean.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { FileHandleOutput.standardError("\r\u{1B}[K") }
        shown = false
    }
}
