/// Reads SSML from clients into words, marks and pauses.
///
/// Hand-written rather than an XML library because the input is untrusted and
/// often malformed, and because a screen reader must never go silent or read
/// markup aloud: a strict parser would have to reject, this one degrades.
///
/// Well-formed input is interpreted: `<mark name>` becomes a mark (names
/// starting `_herald.` are Herald's own place marks, `TextPlace`, and are
/// dropped); `<break>`
/// a pause (`time` in `ms` or `s`, else `strength`, at most 10 s, zero omitted);
/// `<s>` and `<p>` edges become pauses of 300 and 400 ms (the chunker's sentence
/// threshold and a paragraph gap); `<sub alias>` speaks its alias; `<desc>` is
/// silent; every other element (`speak`, `say-as`, `emphasis`, `prosody`,
/// `voice`, unknown ones) keeps its content. `xml:lang` switches the language of
/// its content (`parseRuns`); prosody attributes are ignored. Comments,
/// `<?…?>` and `<!DOCTYPE>` are dropped, CDATA is text, the five XML entities
/// and numeric references are decoded, unknown entities stay literal.
///
/// Malformed input (a `<` that starts no valid tag, an unterminated tag,
/// comment or CDATA, an attribute without a quoted value, an end tag that does
/// not match the open element) is spoken as plain text instead, built this way:
/// `<!--…-->` is dropped; CDATA content is kept; a `<` followed by a letter,
/// `/`, `!` or `?` starts a tag that is dropped up to the next `>` (or to the
/// end of the input if there is none, since what follows is likely markup);
/// any other `<` is literal; entities are decoded; whitespace collapses. Marks
/// and pauses are not recovered: positions in broken markup can't be trusted.
/// Elements left open at the end are closed silently rather than treated as
/// malformed, since nothing in them is ambiguous.
public enum SSMLParser {
    /// The segments an SSML document asks to be spoken.
    public static func parse(_ ssml: String) -> [SpeechSegment] {
        parseReportingFallback(ssml).segments
    }

    /// As `parse`, also telling whether the plain-text fallback was used, so a
    /// front end can log that a client sends broken markup.
    public static func parseReportingFallback(_ ssml: String) -> (segments: [SpeechSegment], usedFallback: Bool) {
        let (runs, usedFallback) = parseRuns(ssml)
        return (runs.flatMap(\.segments), usedFallback)
    }

    /// A stretch of the document in one language (`xml:lang` of the innermost
    /// element that sets it; nil where none does).
    public struct LanguageRun: Sendable, Equatable {
        public var language: String?
        public var segments: [SpeechSegment]
    }

    /// The document cut where `xml:lang` changes, so each part can go to an
    /// engine that speaks its language.
    ///
    /// With `marking`, place marks (`TextPlace`) go before the words, with
    /// offsets into the document's text content; broken markup falls back to
    /// plain text without them, since its text content is not well defined.
    public static func parseRuns(_ ssml: String, marking: PlaceMarking = .none) -> (runs: [LanguageRun], usedFallback: Bool) {
        let scalars = Array(ssml.unicodeScalars)
        var tokenizer = MarkupTokenizer(scalars: scalars)
        if let tokens = try? tokenizer.tokens(), let runs = interpret(tokens, marking: marking) {
            return (runs, false)
        }
        return ([LanguageRun(language: nil, segments: plainTextFallback(scalars))], true)
    }

    // MARK: Interpretation

    private struct OpenElement {
        var name: String
        var localName: String
        var silencesContent: Bool
        /// The language in force inside this element.
        var language: String?
    }

    /// Nil when the element structure is broken.
    private static func interpret(_ tokens: [MarkupToken], marking: PlaceMarking) -> [LanguageRun]? {
        var builder = SegmentBuilder()
        var places = PlaceMarker(marking: marking)
        var open: [OpenElement] = []
        var silenced = 0
        var runs: [LanguageRun] = []
        var language: String?

        /// Ends the current run when the language changes, so no chunk mixes two.
        func switchLanguage(to next: String?) {
            guard next != language else { return }
            let segments = builder.finish()
            if !segments.isEmpty { runs.append(LanguageRun(language: language, segments: segments)) }
            builder = SegmentBuilder()
            language = next
        }

        /// Text in place marking: each word after the place that stands for it.
        func appendText(_ text: String) {
            guard marking != .none else { return builder.appendText(text) }
            places.forEachPiece(of: text) { piece, place in
                if let place { builder.appendMark(place.markName) }
                builder.appendText(Substring(piece))
            }
        }

        for (index, token) in tokens.enumerated() {
            switch token {
            case .text(let text):
                if silenced == 0 { appendText(text) } else { places.skip(text) }

            case .start(let name, let attributes, let selfClosing):
                let local = localName(name)
                var silencesContent = false
                let elementLanguage = attributes["xml:lang"].map { String($0.filter { !$0.isWhitespace }) }
                    .flatMap { $0.isEmpty ? nil : $0 } ?? language
                if !selfClosing { switchLanguage(to: elementLanguage) }
                switch local {
                case "mark":
                    if let markName = attributes["name"], !markName.isEmpty, !TextPlace.isReserved(markName) {
                        builder.appendMark(markName)
                    }
                case "break":
                    if silenced == 0, let milliseconds = breakDuration(attributes) {
                        builder.appendPause(milliseconds: milliseconds)
                    }
                case "s", "sentence":
                    builder.appendBoundary(milliseconds: 300)
                    places.noteEdge(.sentence)
                case "p", "paragraph":
                    builder.appendBoundary(milliseconds: 400)
                    places.noteEdge(.paragraph)
                case "sub":
                    if let alias = attributes["alias"] {
                        if silenced == 0 {
                            // The alias is heard where the text it stands for is.
                            let length = selfClosing ? 0 : Self.textLength(inside: tokens, after: index)
                            if let place = places.place(ofWord: Substring(alias).unicodeScalars, length: length, advancing: false) {
                                builder.appendMark(place.markName)
                            }
                            builder.appendText(alias)
                        }
                        silencesContent = true
                    }
                case "desc":
                    silencesContent = true
                default:
                    break
                }
                if selfClosing {
                    closeEdges(local, into: &builder)
                    if let edge = Self.edge(of: local) { places.noteEdge(edge) }
                } else {
                    open.append(
                        OpenElement(name: name, localName: local, silencesContent: silencesContent, language: elementLanguage))
                    if silencesContent { silenced += 1 }
                }

            case .end(let name):
                guard let element = open.popLast(), element.name.lowercased() == name.lowercased() else {
                    return nil
                }
                if element.silencesContent { silenced -= 1 }
                closeEdges(element.localName, into: &builder)
                if let edge = Self.edge(of: element.localName) { places.noteEdge(edge) }
                switchLanguage(to: open.last?.language)
            }
        }
        let segments = builder.finish()
        if !segments.isEmpty || runs.isEmpty { runs.append(LanguageRun(language: language, segments: segments)) }
        return runs
    }

    /// The length in scalars of the text inside the element that starts at `tokens[start]`.
    private static func textLength(inside tokens: [MarkupToken], after start: Int) -> Int {
        var depth = 1
        var length = 0
        for token in tokens[(start + 1)...] {
            switch token {
            case .text(let text): length += text.unicodeScalars.count
            case .start(_, _, let selfClosing): if !selfClosing { depth += 1 }
            case .end:
                depth -= 1
                if depth == 0 { return length }
            }
        }
        return length
    }

    /// What the next word begins after the edge of an element.
    private static func edge(of localName: String) -> TextPlace.Edge? {
        switch localName {
        case "s", "sentence": .sentence
        case "p", "paragraph": .paragraph
        default: nil
        }
    }

    private static func closeEdges(_ localName: String, into builder: inout SegmentBuilder) {
        switch localName {
        case "s", "sentence": builder.appendBoundary(milliseconds: 300)
        case "p", "paragraph": builder.appendBoundary(milliseconds: 400)
        case "sub": builder.appendWordBreak()
        default: break
        }
    }

    private static func localName(_ name: String) -> String {
        let lowered = name.lowercased()
        guard let colon = lowered.lastIndex(of: ":") else { return lowered }
        return String(lowered[lowered.index(after: colon)...])
    }

    /// Milliseconds, or nil for no pause. SSML says `time` wins over `strength`
    /// and a bare `<break/>` is a medium break.
    static func breakDuration(_ attributes: [String: String]) -> Int? {
        if let time = attributes["time"], let milliseconds = parseTime(time) {
            let clamped = min(milliseconds, SegmentBuilder.maximumPause)
            return clamped > 0 ? clamped : nil
        }
        let strength = attributes["strength"]?.lowercased() ?? "medium"
        let milliseconds =
            switch strength {
            case "none": 0
            case "x-weak": 100
            case "weak": 200
            case "strong": 700
            case "x-strong": 1000
            default: 400
            }
        return milliseconds > 0 ? milliseconds : nil
    }

    /// `500ms`, `1.5s`, or a bare number taken as milliseconds (as espeak-ng does).
    /// Large values saturate instead of overflowing.
    static func parseTime(_ time: String) -> Int? {
        var text = Substring(time.lowercased())
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        var factor = 1.0
        if text.hasSuffix("ms") {
            text = text.dropLast(2)
        } else if text.hasSuffix("s") {
            text = text.dropLast()
            factor = 1000
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(text), value.isFinite
        else { return nil }
        let milliseconds = value * factor
        return milliseconds >= Double(Int32.max) ? Int(Int32.max) : Int(milliseconds.rounded())
    }

    // MARK: Fallback

    private static let blockTags: Set<String> = ["speak", "s", "p", "sentence", "paragraph", "break", "br"]

    private static func plainTextFallback(_ s: [Unicode.Scalar]) -> [SpeechSegment] {
        var builder = SegmentBuilder()
        var runStart = 0
        var i = 0

        func flushRun(upTo end: Int) {
            if runStart < end { builder.appendText(decodeEntities(s[runStart..<end])) }
        }

        while i < s.count {
            guard s[i] == "<" else {
                i += 1
                continue
            }
            if s.hasPrefix("<!--", at: i) {
                flushRun(upTo: i)
                i = s.firstIndex(of: "-->", from: i + 4).map { $0 + 3 } ?? s.count
                builder.appendWordBreak()
            } else if s.hasPrefix("<![CDATA[", at: i) {
                flushRun(upTo: i)
                let end = s.firstIndex(of: "]]>", from: i + 9) ?? s.count
                builder.appendText(String(String.UnicodeScalarView(s[(i + 9)..<end])))
                i = min(end + 3, s.count)
            } else if i + 1 < s.count, s[i + 1].isNameStart || ["/", "!", "?"].contains(s[i + 1]) {
                flushRun(upTo: i)
                var nameStart = i + 1
                if s[nameStart] == "/" { nameStart += 1 }
                var nameEnd = nameStart
                while nameEnd < s.count, s[nameEnd].isNameCharacter { nameEnd += 1 }
                let name = String(String.UnicodeScalarView(s[nameStart..<nameEnd])).lowercased()
                if blockTags.contains(name) { builder.appendWordBreak() }
                i = s.firstIndex(of: ">", from: i + 1).map { $0 + 1 } ?? s.count
            } else {
                i += 1
                continue
            }
            runStart = i
        }
        flushRun(upTo: s.count)
        return builder.finish()
    }
}

// MARK: Tokens

private enum MarkupToken {
    case text(String)
    case start(name: String, attributes: [String: String], selfClosing: Bool)
    case end(name: String)
}

private struct MalformedMarkup: Error {}

/// Splits markup into text and tags, throwing at the first thing that is not
/// well-formed so the caller can fall back as a whole.
private struct MarkupTokenizer {
    let scalars: [Unicode.Scalar]
    private var i = 0

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    mutating func tokens() throws(MalformedMarkup) -> [MarkupToken] {
        let s = scalars
        var tokens: [MarkupToken] = []
        while i < s.count {
            guard s[i] == "<" else {
                let start = i
                while i < s.count, s[i] != "<" { i += 1 }
                tokens.append(.text(decodeEntities(s[start..<i])))
                continue
            }
            if s.hasPrefix("<!--", at: i) {
                i = try end(of: "-->", from: i + 4)
            } else if s.hasPrefix("<![CDATA[", at: i) {
                let close = try end(of: "]]>", from: i + 9) - 3
                tokens.append(.text(String(String.UnicodeScalarView(s[(i + 9)..<close]))))
                i = close + 3
            } else if s.hasPrefix("<?", at: i) {
                i = try end(of: "?>", from: i + 2)
            } else if s.hasPrefix("<!", at: i) {
                try skipDeclaration()
            } else if s.hasPrefix("</", at: i) {
                i += 2
                let name = try readName()
                skipSpaces()
                try expect(">")
                tokens.append(.end(name: name))
            } else {
                i += 1
                tokens.append(try readStartTag())
            }
        }
        return tokens
    }

    /// The index just past `terminator`.
    private func end(of terminator: String, from start: Int) throws(MalformedMarkup) -> Int {
        guard let found = scalars.firstIndex(of: terminator, from: start) else { throw MalformedMarkup() }
        return found + terminator.unicodeScalars.count
    }

    /// `<!DOCTYPE …>`, allowing a bracketed internal subset.
    private mutating func skipDeclaration() throws(MalformedMarkup) {
        var depth = 0
        while i < scalars.count {
            switch scalars[i] {
            case "[": depth += 1
            case "]": depth -= 1
            case ">" where depth <= 0:
                i += 1
                return
            default: break
            }
            i += 1
        }
        throw MalformedMarkup()
    }

    private mutating func readStartTag() throws(MalformedMarkup) -> MarkupToken {
        let name = try readName()
        var attributes: [String: String] = [:]
        while true {
            let hadSpace = skipSpaces()
            guard i < scalars.count else { throw MalformedMarkup() }
            if scalars[i] == ">" {
                i += 1
                return .start(name: name, attributes: attributes, selfClosing: false)
            }
            if scalars[i] == "/" {
                i += 1
                try expect(">")
                return .start(name: name, attributes: attributes, selfClosing: true)
            }
            guard hadSpace else { throw MalformedMarkup() }
            let attributeName = try readName().lowercased()
            skipSpaces()
            try expect("=")
            skipSpaces()
            guard i < scalars.count, scalars[i] == "\"" || scalars[i] == "'" else { throw MalformedMarkup() }
            let quote = scalars[i]
            i += 1
            let valueStart = i
            while i < scalars.count, scalars[i] != quote {
                // A `<` here almost always means the quote was never closed.
                if scalars[i] == "<" { throw MalformedMarkup() }
                i += 1
            }
            guard i < scalars.count else { throw MalformedMarkup() }
            if attributes[attributeName] == nil {
                attributes[attributeName] = decodeEntities(scalars[valueStart..<i])
            }
            i += 1
        }
    }

    private mutating func readName() throws(MalformedMarkup) -> String {
        guard i < scalars.count, scalars[i].isNameStart else { throw MalformedMarkup() }
        let start = i
        while i < scalars.count, scalars[i].isNameCharacter { i += 1 }
        return String(String.UnicodeScalarView(scalars[start..<i]))
    }

    @discardableResult
    private mutating func skipSpaces() -> Bool {
        let start = i
        while i < scalars.count, scalars[i].isCollapsibleSpace { i += 1 }
        return i > start
    }

    private mutating func expect(_ scalar: Unicode.Scalar) throws(MalformedMarkup) {
        guard i < scalars.count, scalars[i] == scalar else { throw MalformedMarkup() }
        i += 1
    }
}

// MARK: Entities

private let namedEntities: [String: Unicode.Scalar] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
]

/// Decodes the five XML entities and numeric references; anything else,
/// including references to invalid scalars, stays as written.
private func decodeEntities(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var output = String.UnicodeScalarView()
    var i = scalars.startIndex
    while i < scalars.endIndex {
        let scalar = scalars[i]
        guard scalar == "&", let (decoded, next) = decodeEntity(scalars, at: i) else {
            output.append(scalar)
            i += 1
            continue
        }
        output.append(decoded)
        i = next
    }
    return String(output)
}

private func decodeEntity(_ s: ArraySlice<Unicode.Scalar>, at ampersand: Int) -> (Unicode.Scalar, Int)? {
    let longest = 10
    var end = ampersand + 1
    while end < s.endIndex, end - ampersand <= longest, s[end] != ";" {
        if s[end] == "&" || s[end] == "<" || s[end].isCollapsibleSpace { return nil }
        end += 1
    }
    guard end < s.endIndex, s[end] == ";", end > ampersand + 1 else { return nil }
    let name = String(String.UnicodeScalarView(s[(ampersand + 1)..<end]))
    if let named = namedEntities[name] { return (named, end + 1) }
    guard name.hasPrefix("#") else { return nil }
    var digits = name.dropFirst()
    var radix = 10
    if digits.first == "x" || digits.first == "X" {
        digits = digits.dropFirst()
        radix = 16
    }
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = UInt32(digits, radix: radix), value != 0,
        let scalar = Unicode.Scalar(value)
    else { return nil }
    return (scalar, end + 1)
}

// MARK: Scanning helpers

extension Unicode.Scalar {
    fileprivate var isNameStart: Bool {
        switch value {
        case 0x41...0x5A, 0x61...0x7A, 0x5F, 0x3A: true
        case 0..<0x80: false
        default: !isCollapsibleSpace
        }
    }

    fileprivate var isNameCharacter: Bool {
        isNameStart || (0x30...0x39).contains(value) || value == 0x2D || value == 0x2E
    }
}

extension Array where Element == Unicode.Scalar {
    fileprivate func hasPrefix(_ prefix: String, at index: Int) -> Bool {
        var i = index
        for scalar in prefix.unicodeScalars {
            guard i < count, self[i] == scalar else { return false }
            i += 1
        }
        return true
    }

    /// The start of the first occurrence of `needle` at or after `start`.
    /// Needles are short and distinctive, so a naive scan stays linear in practice.
    fileprivate func firstIndex(of needleText: String, from start: Int) -> Int? {
        let needle = Array(needleText.unicodeScalars)
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = start
        while i <= count - needle.count {
            if self[i] == needle[0] {
                var matched = true
                for k in 1..<needle.count where self[i + k] != needle[k] {
                    matched = false
                    break
                }
                if matched { return i }
            }
            i += 1
        }
        return nil
    }
}
