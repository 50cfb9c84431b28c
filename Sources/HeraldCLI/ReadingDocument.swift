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

    /// The prefix of the mark placed before block N (`b0`, `b1`, …).
    static let markPrefix = "b"

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

    /// The SSML sent to the daemon: every block escaped, headings and
    /// paragraphs as `<p>` with a pause after a heading, lines as `<s>`.
    var ssml: String {
        var out = "<speak>"
        for (index, block) in blocks.enumerated() {
            let text = Self.escaped(block.text)
            switch block.kind {
            case .heading:
                out += "<mark name=\"\(Self.markPrefix)\(index)\"/><p>\(text)</p><break time=\"600ms\"/>"
            case .paragraph:
                out += "<mark name=\"\(Self.markPrefix)\(index)\"/><p>\(text)</p>"
            case .line:
                out += "<mark name=\"\(Self.markPrefix)\(index)\"/><s>\(text)</s>"
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
