internal import FoundationEssentials
internal import Glibc

/// The line `herald speak --file F --wait` keeps up to date on a terminal's
/// stderr while the file is read: how far, which block, paused or not, and
/// the sentence being read, cut to the terminal's width.
/// Nothing is printed when stderr is not a terminal, so scripts and logs
/// never see it.
final class ReadingProgress: @unchecked Sendable {
    private let name: String
    private let document: ReadingDocument
    private var sentence = ""
    private let blockCount: Int
    /// Characters before each block, and in all, for a percentage by text read.
    private let offsets: [Int]
    private let total: Int
    /// Ordinal of each block among those with words.
    private let ordinals: [Int]
    private let lock = PlainLock()
    private var block = 0
    private var paused = false
    private var shown = false

    init(name: String, document: ReadingDocument) {
        self.name = name
        self.document = document
        var offsets: [Int] = []
        var ordinals: [Int] = []
        var sum = 0
        var ordinal = 0
        for block in document.blocks {
            offsets.append(sum)
            sum += block.text.count
            if block.kind != .pause { ordinal += 1 }
            ordinals.append(ordinal)
        }
        self.offsets = offsets
        self.ordinals = ordinals
        self.total = sum
        self.blockCount = ordinal
    }

    /// A progress line for `document` if stderr is a terminal; nil otherwise.
    static func onTerminal(name: String, document: ReadingDocument) -> ReadingProgress? {
        isatty(2) == 1 ? ReadingProgress(name: name, document: document) : nil
    }

    /// Handles one of the message's signals (`IndexMark`, `Paused`, `Resumed`, `Began`).
    func update(member: String, mark: String?) {
        lock.lock()
        defer { lock.unlock() }
        switch member {
        case "IndexMark":
            guard let mark, let position = ReadingDocument.position(ofMark: mark), offsets.indices.contains(position.block)
            else { return }
            block = position.block
            let sentences = ReadingDocument.sentences(document.blocks[block].text)
            sentence = sentences.indices.contains(position.sentence) ? String(sentences[position.sentence]) : ""
        case "Paused": paused = true
        case "Resumed", "Began": paused = false
        default: return
        }
        let percent = total == 0 ? 0 : offsets[block] * 100 / total
        let ordinal = ordinals.isEmpty ? 0 : max(1, ordinals[block])
        let state = paused ? " — paused (herald resume)" : ""
        let line = "Reading \(name): \(percent)%, part \(ordinal) of \(blockCount)\(state)"
        write("\r\u{1B}[K" + Self.fitted(line, sentence, width: Self.terminalWidth()))
        shown = true
    }

    /// Clears the line, so the shell prompt or an error starts clean.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { write("\r\u{1B}[K") }
        shown = false
    }

    /// `line`, then as much of `sentence` as the width leaves, quoted, with
    /// an ellipsis where it is cut: one terminal line, never wrapped.
    static func fitted(_ line: String, _ sentence: String, width: Int) -> String {
        let words = sentence.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let room = width - 1 - line.count - 4
        guard !words.isEmpty, room >= 12 else { return String(line.prefix(max(1, width - 1))) }
        let shown = words.count <= room ? words : words.prefix(room - 1) + "…"
        return line + ": “" + shown + "”"
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private func write(_ text: String) {
        FileHandleOutput.standardError(text)
    }
}
