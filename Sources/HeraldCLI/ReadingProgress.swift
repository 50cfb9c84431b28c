internal import FoundationEssentials
internal import Glibc

/// The line `herald speak --file F --wait` keeps up to date on a terminal's
/// stderr while the file is read: how far, which block, paused or not.
/// Nothing is printed when stderr is not a terminal, so scripts and logs
/// never see it.
final class ReadingProgress: @unchecked Sendable {
    private let name: String
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
        case "Paused": paused = true
        case "Resumed", "Began": paused = false
        default: return
        }
        let percent = total == 0 ? 0 : offsets[block] * 100 / total
        let ordinal = ordinals.isEmpty ? 0 : max(1, ordinals[block])
        let state = paused ? " — paused (herald resume)" : ""
        write("\r\u{1B}[KReading \(name): \(percent)%, part \(ordinal) of \(blockCount)\(state)")
        shown = true
    }

    /// Clears the line, so the shell prompt or an error starts clean.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { write("\r\u{1B}[K") }
        shown = false
    }

    private func write(_ text: String) {
        FileHandleOutput.standardError(text)
    }
}
