/// A person's pronunciations: names, abbreviations and patterns said their way,
/// applied to the words of every message before any engine sees them, so every
/// voice, cloud or offline, says them alike.
///
/// Replacement is one pass over the text: at each place the earliest match
/// wins (the entry written first when two start together), and what an entry
/// says is never matched again, so entries cannot feed each other. Word
/// entries match whole words only (`GNOME` is not found in `GNOMEs`, but is in
/// `GNOME's`), case-insensitively unless asked. The text given is words only:
/// SSML tags and attributes never reach it (`TextPreparer`).
public struct Lexicon: Sendable {
    /// What an entry matches.
    public enum Pattern: Sendable, Equatable {
        /// A whole word (or words), case-insensitive unless `caseSensitive`.
        case word(String, caseSensitive: Bool)
        /// A regular expression (Swift `Regex` syntax); `$1`… in the replacement.
        case regex(String)
    }

    public struct Entry: Sendable, Equatable {
        public let pattern: Pattern
        public let say: String
        /// A primary language subtag; nil: every language.
        public let language: String?

        public init(_ pattern: Pattern, say: String, language: String? = nil) {
            self.pattern = pattern
            self.say = say
            self.language = language.map(Voice.primaryLanguage)
        }
    }

    /// Why an entry cannot be used; `entry` is its index and `key` the key at
    /// fault, for the caller to turn into a line.
    public struct EntryError: Error, Sendable, Equatable {
        public enum Key: String, Sendable {
            case word, regex, say
        }

        public let entry: Int
        public let key: Key
        public let problem: String
    }

    public static let empty = Lexicon(checked: [])

    public let entries: [Entry]

    public var isEmpty: Bool { entries.isEmpty }

    private init(checked entries: [Entry]) {
        self.entries = entries
    }

    /// - Throws: `EntryError` for an empty word, a regular expression that does
    ///   not compile, or one whose nested repetition could take exponential time.
    public init(_ entries: [Entry]) throws(EntryError) {
        for (index, entry) in entries.enumerated() {
            switch entry.pattern {
            case .word(let word, _):
                guard word.contains(where: { !$0.isWhitespace }) else {
                    throw EntryError(entry: index, key: .word, problem: "word is empty")
                }
            case .regex(let pattern):
                guard !pattern.isEmpty else { throw EntryError(entry: index, key: .regex, problem: "regex is empty") }
                do {
                    _ = try Regex(pattern)
                } catch {
                    throw EntryError(entry: index, key: .regex, problem: "regex does not compile: \(error)")
                }
                if let problem = Self.slowness(of: pattern) { throw EntryError(entry: index, key: .regex, problem: problem) }
                let groups = Self.captureGroups(in: pattern)
                if let highest = Self.highestGroupReference(in: entry.say), highest > groups {
                    throw EntryError(entry: index, key: .say, problem: "say uses $\(highest) but the regex has \(groups) group\(groups == 1 ? "" : "s")")
                }
            }
        }
        self.entries = entries
    }

    /// `text` as it will be said in `language` (a BCP 47 tag; nil: only the
    /// entries for every language apply).
    public func apply(to text: String, language: String?) -> String {
        let chosen = replacements(in: text, language: language)
        guard !chosen.isEmpty else { return text }
        var result = ""
        var cursor = text.startIndex
        for (range, say) in chosen {
            result += text[cursor..<range.lowerBound]
            result += say
            cursor = range.upperBound
        }
        result += text[cursor...]
        return result
    }

    /// What is replaced in `text` and by what, in order, none overlapping.
    private func replacements(in text: String, language: String?) -> [(range: Range<String.Index>, say: String)] {
        guard !entries.isEmpty, !text.isEmpty else { return [] }
        let primary = language.map(Voice.primaryLanguage)
        var found: [(range: Range<String.Index>, entry: Int, say: String)] = []
        var words: [String: Int] = [:]
        var exactWords: [String: Int] = [:]
        for (index, entry) in entries.enumerated() where entry.language == nil || entry.language == primary {
            switch entry.pattern {
            case .word(let word, let caseSensitive) where Self.isSingleWord(word):
                if caseSensitive {
                    if exactWords[word] == nil { exactWords[word] = index }
                } else if words[word.lowercased()] == nil {
                    words[word.lowercased()] = index
                }
            case .word(let phrase, let caseSensitive):
                // Several words: their spaces match any run of white space.
                let pattern = phrase.split(whereSeparator: \.isWhitespace).map { Self.escaped(String($0)) }.joined(separator: "\\s+")
                guard var regex = try? Regex("\\b" + pattern + "\\b").wordBoundaryKind(.simple) else { continue }
                if !caseSensitive { regex = regex.ignoresCase() }
                for match in text.matches(of: regex) { found.append((match.range, index, entry.say)) }
            case .regex(let pattern):
                guard let regex = try? Regex(pattern).wordBoundaryKind(.simple) else { continue }
                for match in text.matches(of: regex) where !match.range.isEmpty {
                    found.append((match.range, index, Self.substitute(entry.say, match.output)))
                }
            }
        }
        if !words.isEmpty || !exactWords.isEmpty {
            var start: String.Index?
            func close(at end: String.Index) {
                guard let from = start else { return }
                start = nil
                let word = String(text[from..<end])
                if let index = exactWords[word] ?? words[word.lowercased()] {
                    // The first entry written wins when both a case-sensitive and a plain one match.
                    let chosen = min(index, words[word.lowercased()] ?? index)
                    found.append((from..<end, chosen, entries[chosen].say))
                }
            }
            var position = text.startIndex
            while position < text.endIndex {
                if Self.isWordCharacter(text[position]) {
                    if start == nil { start = position }
                } else {
                    close(at: position)
                }
                position = text.index(after: position)
            }
            close(at: text.endIndex)
        }
        found.sort { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.entry < $1.entry }
        var chosen: [(range: Range<String.Index>, say: String)] = []
        var cursor = text.startIndex
        for match in found where match.range.lowerBound >= cursor {
            chosen.append((match.range, match.say))
            cursor = match.range.upperBound
        }
        return chosen
    }

    /// Applies the lexicon to text that carries place marks (`TextPlace`)
    /// between its words: matches may span them, as they span the words, and
    /// a place inside what an entry replaces joins the place before it, so
    /// offsets still point into the client's text. Other marks and pauses
    /// separate what is matched, as in SSML.
    public func apply(to segments: [SpeechSegment], language: String?) -> [SpeechSegment] {
        guard !entries.isEmpty else { return segments }
        var result: [SpeechSegment] = []
        var run: [SpeechSegment] = []
        func flush() {
            if !run.isEmpty { result += apply(toRun: run, language: language) }
            run = []
        }
        for segment in segments {
            switch segment {
            case .text: run.append(segment)
            case .mark(let name) where TextPlace.isReserved(name): run.append(segment)
            case .mark, .pause:
                flush()
                result.append(segment)
            }
        }
        flush()
        return result
    }

    private func apply(toRun run: [SpeechSegment], language: String?) -> [SpeechSegment] {
        var text = ""
        var places: [(utf8: Int, place: TextPlace)] = []
        for segment in run {
            switch segment {
            case .text(let words): text += words
            case .mark(let name): if let place = TextPlace(markName: name) { places.append((text.utf8.count, place)) }
            case .pause: break
            }
        }
        let chosen = replacements(in: text, language: language).map { match in
            (
                lower: text.utf8.distance(from: text.startIndex, to: match.range.lowerBound),
                upper: text.utf8.distance(from: text.startIndex, to: match.range.upperBound), say: match.say)
        }
        guard !chosen.isEmpty else { return run }
        let utf8 = text.utf8
        var result: [SpeechSegment] = []
        var pending = ""
        var cursor = 0
        var nextPlace = 0
        var lastPlace: Int?
        func copyText(to end: Int) {
            guard end > cursor else { return }
            let from = utf8.index(utf8.startIndex, offsetBy: cursor)
            pending += String(text[from..<utf8.index(from, offsetBy: end - cursor)])
            cursor = end
        }
        func copy(upTo end: Int) {
            while nextPlace < places.count, places[nextPlace].utf8 <= end {
                copyText(to: places[nextPlace].utf8)
                if !pending.isEmpty { result.append(.text(pending)) }
                pending = ""
                lastPlace = result.count
                result.append(.mark(places[nextPlace].place.markName))
                nextPlace += 1
            }
            copyText(to: end)
        }
        for match in chosen {
            copy(upTo: match.lower)
            // Places inside the replaced words speak through the one before them.
            while nextPlace < places.count, places[nextPlace].utf8 < match.upper {
                if let index = lastPlace, case .mark(let name) = result[index], let place = TextPlace(markName: name) {
                    result[index] = .mark(place.extended(to: places[nextPlace].place.end).markName)
                }
                nextPlace += 1
            }
            pending += match.say
            cursor = match.upper
        }
        copy(upTo: utf8.count)
        if !pending.isEmpty { result.append(.text(pending)) }
        return result
    }

    /// Letters, digits and `_`: what `\w` and the regexes' word boundaries call a word.
    static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_" || character.unicodeScalars.first.map {
            $0.properties.generalCategory == .nonspacingMark || $0.properties.generalCategory == .spacingMark
        } == true
    }

    private static func isSingleWord(_ word: String) -> Bool {
        !word.isEmpty && word.allSatisfy(isWordCharacter)
    }

    private static func escaped(_ literal: String) -> String {
        var escaped = ""
        for character in literal {
            if "\\^$.|?*+()[]{}-/#&~ ".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// `say` with `$1`…`$9` replaced by the match's groups (`$$` is a `$`).
    private static func substitute(_ say: String, _ output: AnyRegexOutput) -> String {
        guard say.contains(where: { $0 == "$" }) else { return say }
        var result = ""
        var characters = say.makeIterator()
        while let character = characters.next() {
            guard character == "$" else {
                result.append(character)
                continue
            }
            guard let next = characters.next() else {
                result.append("$")
                break
            }
            if let digit = next.wholeNumberValue, digit > 0 {
                if digit < output.count, let group = output[digit].substring { result += group }
            } else {
                result.append(next == "$" ? "$" : "$\(next)")
            }
        }
        return result
    }

    private static func highestGroupReference(in say: String) -> Int? {
        var highest: Int?
        var previous: Character?
        for character in say {
            if previous == "$", let digit = character.wholeNumberValue, digit > 0 { highest = max(highest ?? 0, digit) }
            previous = previous == "$" && character == "$" ? nil : character
        }
        return highest
    }

    /// The capturing groups of `pattern`: `(` not followed by `?`, and named groups.
    static func captureGroups(in pattern: String) -> Int {
        let characters = Array(pattern)
        var count = 0
        var index = 0
        var inClass = false
        while index < characters.count {
            let character = characters[index]
            if character == "\\" {
                index += 2
                continue
            }
            if inClass {
                if character == "]" { inClass = false }
            } else if character == "[" {
                inClass = true
            } else if character == "(" {
                let next = index + 1 < characters.count ? characters[index + 1] : " "
                if next != "?" {
                    count += 1
                } else if index + 3 < characters.count {
                    let kind = characters[index + 2]
                    let after = characters[index + 3]
                    if (kind == "<" && after != "=" && after != "!") || kind == "P" || kind == "'" { count += 1 }
                }
            }
            index += 1
        }
        return count
    }

    /// Why matching `pattern` could take exponential time, or nil: a repeated
    /// group that itself repeats (`(a+)+`, `(\w*)*`), the shape behind
    /// catastrophic backtracking. Swift's `Regex` has no time limit, so such a
    /// pattern is refused when the lexicon is read rather than left to stall
    /// a message.
    static func slowness(of pattern: String) -> String? {
        let characters = Array(pattern)
        var index = 0
        // Per open group: whether it contains a repetition.
        var groups: [Bool] = [false]
        var lastGroupRepeats = false
        var afterGroup = false
        func isRepetition(at position: Int) -> Bool {
            guard position < characters.count else { return false }
            switch characters[position] {
            case "*", "+": return true
            case "{":
                // {n,} or {n,m} with m > 1 repeats; {n} and {0,1} do not matter here.
                guard let close = characters[position...].firstIndex(of: "}") else { return false }
                let inside = String(characters[(position + 1)..<close])
                let parts = inside.split(separator: ",", omittingEmptySubsequences: false)
                if parts.count == 2 { return parts[1].isEmpty || (Int(parts[1]) ?? 0) > 1 }
                return false
            default: return false
            }
        }
        while index < characters.count {
            let character = characters[index]
            if isRepetition(at: index) {
                if afterGroup, lastGroupRepeats {
                    return "regex repeats a group that itself repeats (as in (a+)+), which can take exponential time; rewrite it without the nesting"
                }
                groups[groups.count - 1] = true
                afterGroup = false
                index += 1
                continue
            }
            afterGroup = false
            switch character {
            case "\\":
                index += 2
                continue
            case "[":
                // A class: skip to its closing bracket, escapes included.
                index += 1
                if index < characters.count, characters[index] == "^" { index += 1 }
                if index < characters.count, characters[index] == "]" { index += 1 }
                while index < characters.count, characters[index] != "]" {
                    index += characters[index] == "\\" ? 2 : 1
                }
            case "(":
                groups.append(false)
            case ")":
                let repeats = groups.count > 1 ? groups.removeLast() : false
                if repeats { groups[groups.count - 1] = true }
                lastGroupRepeats = repeats
                afterGroup = true
            default:
                break
            }
            index += 1
        }
        return nil
    }
}
