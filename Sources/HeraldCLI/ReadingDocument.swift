internal import HeraldCore

/// A file as it is read aloud: headings, paragraphs and list items in order,
/// markup already removed, sent to the daemon as SSML.
///
/// Converted here, in the client, because the daemon already speaks SSML
/// with pauses (`<p>`, `<s>`, `<break>`) and marks: a heading or a paragraph
/// becomes a pause rather than punctuation read out, and a `<mark>` before
/// each block comes back as an `IndexMark` signal when the voice reaches it,
/// which is what `--wait` shows as progress.
struct ReadingDocument: Equatable {
    enum Kind: Equatable {
        /// Followed by a longer pause than a paragraph.
        case heading
        case paragraph
        /// A list item, table row or code line: a sentence of its own.
        case line
        /// A thematic break (`---`): only a pause.
        case pause
    }

    struct Block: Equatable {
        var kind: Kind
        var text: String
    }

    var blocks: [Block]

    /// The prefix of the mark placed before block N (`b0`, `b1`, …), and
    /// before its sentence K after the first (`b3.1`, `b3.2`, …).
    static let markPrefix = "b"

    /// A place in the document: a block and a sentence of it.
    struct Position: Equatable {
        var block = 0
        var sentence = 0
    }

    /// The place a mark names, or nil for a mark that is not one of ours.
    static func position(ofMark mark: String) -> Position? {
        guard mark.hasPrefix(markPrefix) else { return nil }
        let parts = mark.dropFirst(markPrefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let block = Int(parts[0]) else { return nil }
        guard parts.count == 2 else { return Position(block: block) }
        guard let sentence = Int(parts[1]) else { return nil }
        return Position(block: block, sentence: sentence)
    }

    /// A block's sentences, split after each word that ends one (as the
    /// daemon's chunker decides), each with the space that follows it.
    static func sentences(_ text: String) -> [Substring] {
        var sentences: [Substring] = []
        var start = text.startIndex
        var wordStart: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let isSpace = text[index].isWhitespace
            if !isSpace, wordStart == nil { wordStart = index }
            if isSpace, let from = wordStart {
                wordStart = nil
                if SentenceChunker.endsSentence(String(text[from..<index])) {
                    var end = index
                    while end < text.endIndex, text[end].isWhitespace { end = text.index(after: end) }
                    sentences.append(text[start..<end])
                    start = end
                    index = end
                    continue
                }
            }
            index = text.index(after: index)
        }
        if start < text.endIndex { sentences.append(text[start...]) }
        return sentences
    }

    /// Paragraphs separated by blank lines; the lines of one paragraph are
    /// joined, since plain text is usually wrapped at a fixed width.
    static func plainText(_ source: String) -> ReadingDocument {
        var blocks: [Block] = []
        var lines: [Substring] = []
        func flush() {
            let text = lines.map { $0.trimmingWhitespace() }.joined(separator: " ")
            if !text.isEmpty { blocks.append(Block(kind: .paragraph, text: text)) }
            lines = []
        }
        for line in source.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.allSatisfy(\.isWhitespace) { flush() } else { lines.append(line) }
        }
        flush()
        return ReadingDocument(blocks: blocks)
    }

    /// Blocks that carry words, in reading order (what progress counts).
    var spokenBlocks: Int { blocks.filter { $0.kind != .pause }.count }

    /// Block `index`'s number among those with words, from 1, as progress shows it.
    func ordinal(of index: Int) -> Int {
        max(1, blocks.prefix(index + 1).filter { $0.kind != .pause }.count)
    }

    /// The SSML sent to the daemon: every block escaped, headings and
    /// paragraphs as `<p>` with a pause after a heading, lines as `<s>`; a
    /// mark before each block and each further sentence, so the reader knows
    /// which sentence is heard. From `start` on: what came before is left out.
    func ssml(from start: Position = Position()) -> String {
        var out = "<speak>"
        for (index, block) in blocks.enumerated() where index >= start.block {
            var text = ""
            for (number, sentence) in Self.sentences(block.text).enumerated() {
                if index == start.block, number < start.sentence { continue }
                if number > 0 { text += "<mark name=\"\(Self.markPrefix)\(index).\(number)\"/>" }
                text += Self.escaped(String(sentence))
            }
            // Resuming inside a block, the sentence's own mark (inside the text) says where. Inside the
            // element, right before the words: a move to the block's first sentence hears it too.
            let mark = index == start.block && start.sentence > 0 ? "" : "<mark name=\"\(Self.markPrefix)\(index)\"/>"
            switch block.kind {
            case .heading:
                out += "<p>\(mark)\(text)</p><break time=\"600ms\"/>"
            case .paragraph:
                out += "<p>\(mark)\(text)</p>"
            case .line:
                out += "<s>\(mark)\(text)</s>"
            case .pause:
                out += "<break time=\"800ms\"/>"
            }
            out += "\n"
        }
        return out + "</speak>"
    }

    /// XML-escaped, with the control characters XML cannot carry dropped.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\t", "\n", "\r": out += " "
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    continue
                }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
