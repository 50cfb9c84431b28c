/// Cuts an utterance into engine calls of about one sentence each.
///
/// Why sentences: the first audio can start after the first sentence is
/// synthesised, and a failed engine call loses one sentence, not the whole
/// text. Why a limit: cloud engines reject or truncate long inputs.
///
/// Rules, in order:
/// - A chunk ends after `.` `!` `?` `…` (and `‼ ⁇ ⁈ ⁉`, with any closing quotes
///   or brackets) when whitespace follows and the next word does not start
///   with a lowercase letter or a digit, so "e.g. this" and "3.14" stay whole;
///   titles ("Dr.", "Mr.", "e.g.") and single-capital initials ("J.") never end one.
/// - After the CJK stops `。！？｡`, which need no following space.
/// - At a pause of 300 ms or more (the pause ends the chunk), and at a blank
///   line (two line breaks).
/// - Before exceeding `maxCharacters`: at the last space after a `,` `;` `:`
///   when that keeps at least half the limit, else at the last whitespace;
///   a word longer than the limit is cut after its last comma within the
///   limit, else hard, without splitting combining marks off their letter.
///
/// Lengths are counted in Unicode scalars, which are never fewer than
/// `Character`s, so a chunk's `plainText.count` never exceeds the limit.
/// Whitespace inside a chunk collapses to single spaces and chunks are
/// trimmed. A mark keeps its place between the same two words; one that falls
/// on a split between sentences starts the next chunk if it followed the
/// space, else ends the earlier one. Marks and pauses with no text after them
/// join the last chunk; input with marks but no text gives one chunk of marks,
/// so their events still fire. Linear time; the lazy form holds at most two
/// chunks in memory beyond its input.
public struct SentenceChunker: Sendable {
    /// Whether a sentence ends with `word` (its closing quotes and brackets
    /// included): `.`, `!`, `?` and their kin, but not after `Dr.` or an
    /// initial. Public for readers that mark sentences themselves (`herald
    /// speak --file`), so their sentences are the daemon's.
    public static func endsSentence(_ word: String) -> Bool { ChunkAssembler.endsSentence(word) }

    public let maxCharacters: Int

    /// A limit below 1 is treated as 1.
    public init(maxCharacters: Int) {
        self.maxCharacters = max(1, maxCharacters)
    }

    public func chunks(_ segments: [SpeechSegment]) -> [SpeechChunk] {
        Array(lazyChunks(segments))
    }

    /// Chunks produced on demand, so synthesis of the first sentence can begin
    /// before a long text has been scanned.
    public func lazyChunks(_ segments: [SpeechSegment]) -> SpeechChunkSequence {
        SpeechChunkSequence(segments: segments, limit: maxCharacters)
    }
}

/// The lazy result of `SentenceChunker.lazyChunks`.
public struct SpeechChunkSequence: Sequence, Sendable {
    let segments: [SpeechSegment]
    let limit: Int

    public func makeIterator() -> Iterator {
        Iterator(tokens: ChunkTokenizer(segments: segments), assembler: ChunkAssembler(limit: limit))
    }

    public struct Iterator: IteratorProtocol {
        var tokens: ChunkTokenizer
        var assembler: ChunkAssembler
        var finished = false

        public mutating func next() -> SpeechChunk? {
            while true {
                // Hold one chunk back until text follows it: trailing marks must
                // be able to join it.
                if assembler.ready.count >= 2 || (!assembler.ready.isEmpty && (assembler.hasText || finished)) {
                    return assembler.ready.removeFirst()
                }
                if finished { return nil }
                if let token = tokens.next() {
                    assembler.consume(token)
                } else {
                    assembler.finish()
                    finished = true
                }
            }
        }
    }
}

// MARK: Tokens

enum ChunkToken {
    /// A run of non-space scalars; `endsHard` after a CJK stop.
    case word(String, length: Int, endsHard: Bool)
    case space(paragraph: Bool)
    case mark(String)
    case pause(Int)
}

/// Splits segments into words and spaces by scanning UTF-8 directly, which
/// keeps a megabyte of text fast even in debug builds.
struct ChunkTokenizer {
    private let segments: [SpeechSegment]
    private var segmentIndex = 0
    private var bytes: [UInt8] = []
    private var position = 0

    init(segments: [SpeechSegment]) { self.segments = segments }

    mutating func next() -> ChunkToken? {
        while position >= bytes.count {
            guard segmentIndex < segments.count else { return nil }
            let segment = segments[segmentIndex]
            segmentIndex += 1
            switch segment {
            case .text(let text):
                bytes = Array(text.utf8)
                position = 0
            case .mark(let name):
                return .mark(name)
            case .pause(let milliseconds):
                return .pause(milliseconds)
            }
        }
        let (first, _) = decode(at: position)
        return Self.isSpace(first) ? scanSpace() : scanWord()
    }

    private mutating func scanSpace() -> ChunkToken {
        var lineBreaks = 0
        var paragraph = false
        var previous: UInt32 = 0
        while position < bytes.count {
            let (scalar, width) = decode(at: position)
            guard Self.isSpace(scalar) else { break }
            switch scalar {
            case 0x0A where previous == 0x0D: break
            case 0x0A...0x0D, 0x85, 0x2028: lineBreaks += 1
            case 0x2029: paragraph = true
            default: break
            }
            previous = scalar
            position += width
        }
        return .space(paragraph: paragraph || lineBreaks >= 2)
    }

    private mutating func scanWord() -> ChunkToken {
        let start = position
        var length = 0
        var endsHard = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte > 0x20 && byte < 0x80 && !endsHard {
                // Fast path for printable ASCII, the bulk of most text.
                position += 1
                length += 1
                continue
            }
            let (scalar, width) = decode(at: position)
            if Self.isSpace(scalar) { break }
            if endsHard && !isClosingPunctuation(scalar) && !isCJKStop(scalar) { break }
            if isCJKStop(scalar) { endsHard = true }
            position += width
            length += 1
        }
        let word = String(decoding: bytes[start..<position], as: UTF8.self)
        return .word(word, length: length, endsHard: endsHard)
    }

    private func decode(at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3)
        }
        return (
            (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                | UInt32(bytes[i + 3] & 0x3F), 4
        )
    }

    /// Same set as `Unicode.Scalar.isCollapsibleSpace`, without building a scalar.
    private static func isSpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0x1680, 0x2000...0x2006, 0x2008...0x200A, 0x2028, 0x2029, 0x205F, 0x3000: true
        default: false
        }
    }
}

// MARK: Assembly

/// The chunking state machine: tokens in, finished chunks out in `ready`.
struct ChunkAssembler {
    private enum Item {
        case word(String, length: Int)
        case space
        case mark(String)
        case pause(Int)
    }

    private enum SentenceEnd {
        case none
        /// The last word ends a sentence if whitespace follows.
        case awaitingSpace
        /// Split at `index` if the next word allows it.
        case cut(index: Int, dropsItem: Bool)
    }

    let limit: Int
    var ready: [SpeechChunk] = []
    private(set) var hasText = false

    private var items: [Item] = []
    private var length = 0
    private var spaceSinceWord = false
    private var lastWordEndsClause = false
    private var lastSpace: Int?
    private var clauseSpace: (index: Int, length: Int)?
    private var sentence = SentenceEnd.none

    init(limit: Int) { self.limit = limit }

    mutating func consume(_ token: ChunkToken) {
        switch token {
        case .word(let word, let length, let endsHard):
            addWord(word, length: length, endsHard: endsHard)
        case .space(let paragraph):
            if paragraph && hasText {
                flush()
            } else {
                addSpace()
            }
        case .mark(let name):
            items.append(.mark(name))
        case .pause(let milliseconds):
            addSpace()
            items.append(.pause(milliseconds))
            if milliseconds >= 300 && hasText { flush() }
        }
    }

    mutating func finish() {
        if hasText {
            flush()
        } else if !items.isEmpty {
            if let last = ready.popLast() {
                ready.append(SpeechChunk(last.segments + render(items[...]).segments))
            } else {
                ready.append(render(items[...]))
            }
            reset()
        }
    }

    private mutating func addSpace() {
        guard hasText, !spaceSinceWord else { return }
        spaceSinceWord = true
        lastSpace = items.count
        if lastWordEndsClause { clauseSpace = (items.count, length) }
        if case .awaitingSpace = sentence { sentence = .cut(index: items.count, dropsItem: true) }
        items.append(.space)
    }

    private mutating func addWord(_ word: String, length wordLength: Int, endsHard: Bool) {
        if case .cut(let index, let dropsItem) = sentence, !Self.startsLowercaseOrDigit(word) {
            cut(at: index, dropping: dropsItem)
        }
        sentence = .none

        var word = word
        var wordLength = wordLength
        while true {
            let gap = hasText && spaceSinceWord ? 1 : 0
            if length + gap + wordLength <= limit {
                appendWord(word, length: wordLength)
                break
            }
            if hasText {
                if let clause = clauseSpace, clause.length * 2 >= limit {
                    cut(at: clause.index, dropping: true)
                } else if let space = lastSpace {
                    cut(at: space, dropping: true)
                } else {
                    // Words joined without whitespace (around a mark): end the chunk there.
                    flush()
                }
                continue
            }
            let (head, headLength, rest) = Self.splitLongWord(word, limit: limit)
            appendWord(head, length: headLength)
            flush()
            word = rest
            wordLength -= headLength
        }

        lastWordEndsClause = Self.endsClause(word)
        if endsHard {
            sentence = .cut(index: items.count, dropsItem: false)
        } else if Self.endsSentence(word) {
            sentence = .awaitingSpace
        }
    }

    private mutating func appendWord(_ word: String, length wordLength: Int) {
        if hasText && spaceSinceWord { length += 1 }
        items.append(.word(word, length: wordLength))
        length += wordLength
        hasText = true
        spaceSinceWord = false
        lastWordEndsClause = false
    }

    /// Emits `items[..<index]`, keeps the rest as the start of the next chunk.
    /// Each item is carried over at most a few times, so this stays linear.
    private mutating func cut(at index: Int, dropping: Bool) {
        let head = items[..<index]
        let tail = items[(dropping ? index + 1 : index)...]
        ready.append(render(head))
        let carried = Array(tail)
        reset()
        for item in carried {
            switch item {
            case .word(let word, let wordLength):
                appendWord(word, length: wordLength)
                lastWordEndsClause = Self.endsClause(word)
            case .space: addSpace()
            case .mark, .pause: items.append(item)
            }
        }
        sentence = .none
    }

    /// Ends the chunk at the current position, if it has any words.
    private mutating func flush() {
        guard hasText else { return }
        ready.append(render(items[...]))
        reset()
    }

    private mutating func reset() {
        items.removeAll(keepingCapacity: true)
        length = 0
        hasText = false
        spaceSinceWord = false
        lastWordEndsClause = false
        lastSpace = nil
        clauseSpace = nil
        sentence = .none
    }

    private func render(_ items: ArraySlice<Item>) -> SpeechChunk {
        let isWord: (Item) -> Bool = {
            if case .word = $0 { true } else { false }
        }
        let firstWord = items.firstIndex(where: isWord) ?? items.endIndex
        let lastWord = items.lastIndex(where: isWord) ?? items.startIndex
        var segments: [SpeechSegment] = []
        var text = ""
        for index in items.indices {
            switch items[index] {
            case .word(let word, _):
                text += word
            case .space:
                if index > firstWord && index < lastWord { text += " " }
            case .mark(let name):
                if !text.isEmpty { segments.append(.text(text)) }
                text = ""
                segments.append(.mark(name))
            case .pause(let milliseconds):
                if !text.isEmpty { segments.append(.text(text)) }
                text = ""
                segments.append(.pause(milliseconds: milliseconds))
            }
        }
        if !text.isEmpty { segments.append(.text(text)) }
        return SpeechChunk(segments)
    }

    // MARK: Word tests

    /// Words that end in a dot without ending a sentence.
    private static let abbreviations: Set<String> = [
        "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs.", "e.g.", "i.e.", "cf.", "approx.",
    ]

    static func endsSentence(_ word: String) -> Bool {
        var scalars = word.unicodeScalars[...]
        while let last = scalars.last, isClosingPunctuation(last.value) { scalars.removeLast() }
        guard let last = scalars.last else { return false }
        switch last {
        case "!", "?", "…", "‼", "⁇", "⁈", "⁉", "。", "！", "？", "｡":
            return true
        case ".":
            let stem = String(String.UnicodeScalarView(scalars)).lowercased()
            if abbreviations.contains(stem) { return false }
            let letters = scalars.dropLast()
            if letters.count == 1, let initial = letters.first, initial.properties.isUppercase { return false }
            return true
        default:
            return false
        }
    }

    static func endsClause(_ word: String) -> Bool {
        switch word.unicodeScalars.last {
        case ",", ";", ":", "，", "、", "；", "：": true
        default: false
        }
    }

    private static func startsLowercaseOrDigit(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first else { return false }
        return first.properties.isLowercase || first.properties.numericType != nil
    }

    /// A head of at most `limit` scalars (at least one), cut after a comma in
    /// the second half of the limit when there is one, and never just before
    /// a combining mark or joiner.
    static func splitLongWord(_ word: String, limit: Int) -> (head: String, headLength: Int, rest: String) {
        let scalars = Array(word.unicodeScalars)
        var cut = limit
        if let comma = scalars[(limit / 2)..<limit].lastIndex(where: { endsClause(String($0)) }) {
            cut = comma + 1
        } else {
            while cut > 1, scalars[cut].continuesCluster || scalars[cut - 1].properties.isJoinControl {
                cut -= 1
            }
        }
        let head = String(String.UnicodeScalarView(scalars[..<cut]))
        let rest = String(String.UnicodeScalarView(scalars[cut...]))
        return (head, cut, rest)
    }
}

/// Closing quotes and brackets that may follow a sentence's last stop.
private func isClosingPunctuation(_ value: UInt32) -> Bool {
    switch value {
    case 0x22, 0x27, 0x29, 0x5D, 0x7D, 0xBB, 0x2019, 0x201D, 0x203A, 0x3009, 0x300B, 0x300D, 0x300F, 0x3011,
        0xFF09:
        true
    default: false
    }
}

private func isCJKStop(_ value: UInt32) -> Bool {
    value == 0x3002 || value == 0xFF01 || value == 0xFF1F || value == 0xFF61
}

extension Unicode.Scalar {
    /// Scalars that belong to the preceding character: splitting before them
    /// would strip an accent or break an emoji sequence.
    fileprivate var continuesCluster: Bool {
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return properties.isJoinControl || properties.isVariationSelector || (0x1F3FB...0x1F3FF).contains(value)
        }
    }
}
