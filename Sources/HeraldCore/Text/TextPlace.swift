/// Where a word of the client's text is, carried through synthesis as an
/// internal mark so that it is heard exactly where an engine reports marks
/// (espeak-ng) or where the share of the text before it falls (cloud voices),
/// on the same timeline as the client's own marks.
///
/// Offsets count Unicode scalars (code points, as Python's `str` and GLib's
/// character offsets do) in the text as the client sent it; for SSML, in its
/// text content with the markup removed and entities decoded.
///
/// Internal marks are named `_herald.` and what follows; the SSML parser
/// drops client marks with that prefix, so a client cannot forge one.
public struct TextPlace: Sendable, Hashable {
    /// What begins at this word.
    public enum Edge: Sendable, Hashable, Comparable {
        case word
        case sentence
        case paragraph
    }

    public let edge: Edge
    public let start: Int
    public let end: Int

    public init(edge: Edge, start: Int, end: Int) {
        self.edge = edge
        self.start = start
        self.end = max(start, end)
    }

    static let prefix = "_herald."

    /// True for the names Herald keeps for itself.
    public static func isReserved(_ markName: String) -> Bool { markName.hasPrefix(prefix) }

    /// The internal mark that stands for this place.
    public var markName: String {
        let letter =
            switch edge {
            case .word: "w"
            case .sentence: "s"
            case .paragraph: "p"
            }
        return "\(Self.prefix)\(letter)\(start).\(end)"
    }

    /// The place an internal mark stands for; nil for a client's mark.
    /// Read byte by byte: a megabyte's reading has a few hundred thousand.
    public init?(markName: String) {
        var name = markName
        let parsed: TextPlace? = name.withUTF8 { bytes in
            let prefix = Self.prefixBytes
            guard bytes.count > prefix.count + 3 else { return nil }
            for index in 0..<prefix.count where bytes[index] != prefix[index] { return nil }
            let edge: Edge
            switch bytes[prefix.count] {
            case UInt8(ascii: "w"): edge = .word
            case UInt8(ascii: "s"): edge = .sentence
            case UInt8(ascii: "p"): edge = .paragraph
            default: return nil
            }
            var start = 0
            var end = 0
            var inEnd = false
            var digits = 0
            for index in (prefix.count + 1)..<bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "."), !inEnd, digits > 0 {
                    inEnd = true
                    digits = 0
                    continue
                }
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 12 else { return nil }
                let digit = Int(byte - UInt8(ascii: "0"))
                if inEnd { end = end * 10 + digit } else { start = start * 10 + digit }
                digits += 1
            }
            guard inEnd, digits > 0 else { return nil }
            return TextPlace(edge: edge, start: start, end: end)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    private static let prefixBytes = Array(prefix.utf8)

    /// The same place with its end moved to `end`: a lexicon replacement
    /// that swallows the next word speaks for both.
    func extended(to end: Int) -> TextPlace { TextPlace(edge: edge, start: start, end: Swift.max(self.end, end)) }
}

/// Which places a message's text carries.
public enum PlaceMarking: Sendable, Hashable {
    /// None: SSIP's messages (its clients cannot move or follow), characters, keys.
    case none
    /// Sentence and paragraph starts: enough to move by them.
    case sentences
    /// Every word: what following along (`Range`) needs.
    case words
}

/// Finds the words of a text and the sentences and paragraphs they begin,
/// by the same rules as `SentenceChunker`, and emits a place mark before
/// each one `marking` asks for.
struct PlaceMarker {
    let marking: PlaceMarking
    /// Scalars of the client's text passed so far.
    private(set) var offset = 0
    private var previousEndsSentence = false
    private var pendingEdge: TextPlace.Edge? = .paragraph

    init(marking: PlaceMarking) { self.marking = marking }

    /// A sentence or paragraph begins with the next word (SSML `<s>`, `<p>`).
    mutating func noteEdge(_ edge: TextPlace.Edge) {
        pendingEdge = max(pendingEdge ?? .word, edge)
    }

    /// Text the client wrote that is not spoken (inside `<sub>`, `<desc>`).
    mutating func skip(_ text: String) {
        offset += text.unicodeScalars.count
    }

    /// The place of the next word, `length` scalars long, given the word
    /// itself for the sentence rules; nil when `marking` leaves it out.
    /// Not `advancing` for words said in place of text that follows (an
    /// SSML `<sub>` alias): that text moves the offset when it is skipped.
    mutating func place(ofWord word: Substring.UnicodeScalarView, length: Int, advancing: Bool = true) -> TextPlace? {
        var edge = pendingEdge ?? .word
        if edge == .word, previousEndsSentence, !Self.startsLowercaseOrDigit(word) { edge = .sentence }
        pendingEdge = nil
        previousEndsSentence = ChunkAssembler.endsSentence(String(word))
        let place = TextPlace(edge: edge, start: offset, end: offset + length)
        if advancing { offset += length }
        switch marking {
        case .none: return nil
        case .sentences: return edge == .word ? nil : place
        case .words: return place
        }
    }

    /// Whitespace between words: a blank line or a paragraph separator starts a paragraph.
    mutating func gap(_ scalars: Substring.UnicodeScalarView) {
        var lineBreaks = 0
        var previous: Unicode.Scalar?
        for scalar in scalars {
            switch scalar.value {
            case 0x0A where previous == "\r": break
            case 0x0A...0x0D, 0x85, 0x2028: lineBreaks += 1
            case 0x2029: lineBreaks += 2
            default: break
            }
            previous = scalar
        }
        if lineBreaks >= 2 { noteEdge(.paragraph) }
        offset += scalars.count
    }

    private static func startsLowercaseOrDigit(_ word: Substring.UnicodeScalarView) -> Bool {
        guard let first = word.first else { return false }
        return first.properties.isLowercase || first.properties.numericType != nil
    }

    /// Plain text as segments with a place mark before each word `marking`
    /// asks for; the text between them is kept as written, line breaks and all.
    static func segments(marking text: String, as marking: PlaceMarking) -> [SpeechSegment] {
        var marker = PlaceMarker(marking: marking)
        var segments: [SpeechSegment] = []
        let scalars = text.unicodeScalars
        var pending = scalars.startIndex
        marker.forEachPiece(of: text) { piece, place in
            guard let place else { return }
            if piece.startIndex > pending { segments.append(.text(String(scalars[pending..<piece.startIndex]))) }
            pending = piece.startIndex
            segments.append(.mark(place.markName))
        }
        if scalars.endIndex > pending { segments.append(.text(String(scalars[pending...]))) }
        return segments
    }

    /// Calls `body` with each word and each gap of `text` in order, a word's
    /// place beside it (nil for gaps and for words left unmarked).
    mutating func forEachPiece(of text: String, _ body: (Substring.UnicodeScalarView, TextPlace?) -> Void) {
        let scalars = Substring(text).unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let isSpace = scalars[index].isCollapsibleSpace
            var end = index
            var length = 0
            while end < scalars.endIndex, scalars[end].isCollapsibleSpace == isSpace {
                end = scalars.index(after: end)
                length += 1
            }
            let piece = scalars[index..<end]
            if isSpace {
                gap(piece)
                body(piece, nil)
            } else {
                body(piece, place(ofWord: piece, length: length))
            }
            index = end
        }
    }
}
