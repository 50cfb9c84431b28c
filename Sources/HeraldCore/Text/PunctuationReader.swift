/// Speaks punctuation as words according to a client's `PunctuationMode`.
///
/// Done here rather than left to engines because cloud voices have no
/// punctuation setting, and a screen-reader user reviewing code or a password
/// must hear every symbol the same way on every voice.
///
/// A spoken character becomes its English name with a space on each side
/// ("a@b" → "a at b"). Sentence punctuation (`. , ; : ? ! …`) that ends a
/// clause, i.e. is followed by whitespace, the end, or another symbol, keeps
/// the character after its name so the voice still pauses and inflects
/// ("Hi, you." → "Hi comma, you period."). A dot inside a word is "dot"
/// ("example dot com"). An apostrophe between letters is part of the word and
/// is never spoken. Characters not in the table are left to the engine.
///
/// Which characters each mode speaks:
/// - `all`: every character in the table.
/// - `most`: all but `. , ; : ? ! ' " -` and their typographic forms
///   (`… – — “ ” ‘ ’ « »`), which shape prosody.
/// - `some`: `@ # $ % ^ & * _ + = | \ / < > [ ] { } ~` and the symbols
///   `€ £ ¥ ¢ © ® ™ ° § ¶ • × ÷ ±`, which never shape prosody.
/// - `none`: nothing; text is returned unchanged.
public struct PunctuationReader: Sendable {
    public var mode: PunctuationMode

    public init(mode: PunctuationMode) { self.mode = mode }

    /// The text with the punctuation this mode speaks replaced by names; no
    /// space is added at the very start or end, and other whitespace,
    /// including line breaks the chunker uses, is kept as it was.
    public func read(_ text: String) -> String {
        read(text, padEdges: false)
    }

    /// Applies the mode to each text segment. A name at a segment's edge gets a
    /// space on the outer side too, so it can't fuse with the word across a mark.
    public func read(_ segments: [SpeechSegment]) -> [SpeechSegment] {
        guard mode != .none else { return segments }
        return segments.map { segment in
            if case .text(let text) = segment { .text(read(text, padEdges: true)) } else { segment }
        }
    }

    /// The English name of a punctuation character or symbol, whatever the mode.
    public static func name(of character: Unicode.Scalar) -> String? {
        names[character]
    }

    private func read(_ text: String, padEdges: Bool) -> String {
        guard mode != .none else { return text }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var endsWithSpace = !padEdges
        for (i, scalar) in scalars.enumerated() {
            let previous = i > 0 ? scalars[i - 1] : nil
            let next = i + 1 < scalars.count ? scalars[i + 1] : nil
            guard speaks(scalar), var name = Self.names[scalar],
                !Self.isApostropheInWord(scalar, previous: previous, next: next)
            else {
                output.append(scalar)
                endsWithSpace = scalar.isCollapsibleSpace
                continue
            }
            let insideWord = next.map { $0.properties.isAlphabetic || $0.properties.numericType != nil } ?? false
            if scalar == ".", insideWord, previous.map({ !$0.isCollapsibleSpace }) ?? false { name = "dot" }
            if !endsWithSpace { output.append(" ") }
            output.append(contentsOf: name.unicodeScalars)
            if Self.sentencePunctuation.contains(scalar) && !insideWord { output.append(scalar) }
            if let next {
                if !next.isCollapsibleSpace { output.append(" ") }
            } else if padEdges {
                output.append(" ")
            }
            endsWithSpace = true
        }
        return String(output)
    }

    private func speaks(_ scalar: Unicode.Scalar) -> Bool {
        switch mode {
        case .all: true
        case .most: !Self.prosodyPunctuation.contains(scalar)
        case .some: Self.symbols.contains(scalar)
        case .none: false
        }
    }

    private static func isApostropheInWord(_ scalar: Unicode.Scalar, previous: Unicode.Scalar?, next: Unicode.Scalar?) -> Bool {
        guard scalar == "'" || scalar == "’", let previous, let next else { return false }
        return previous.properties.isAlphabetic && next.properties.isAlphabetic
    }

    private static let sentencePunctuation: Set<Unicode.Scalar> = [".", ",", ";", ":", "?", "!", "…"]

    private static let prosodyPunctuation: Set<Unicode.Scalar> = [
        ".", ",", ";", ":", "?", "!", "'", "\"", "-", "…", "–", "—", "“", "”", "‘", "’", "«", "»",
    ]

    private static let symbols: Set<Unicode.Scalar> = [
        "@", "#", "$", "%", "^", "&", "*", "_", "+", "=", "|", "\\", "/", "<", ">", "[", "]", "{", "}", "~",
        "€", "£", "¥", "¢", "©", "®", "™", "°", "§", "¶", "•", "×", "÷", "±",
    ]

    static let names: [Unicode.Scalar: String] = [
        "!": "exclamation mark", "\"": "quote", "#": "hash", "$": "dollar", "%": "percent", "&": "and",
        "'": "apostrophe", "(": "left paren", ")": "right paren", "*": "star", "+": "plus", ",": "comma",
        "-": "dash", ".": "period", "/": "slash", ":": "colon", ";": "semicolon", "<": "less than",
        "=": "equals", ">": "greater than", "?": "question mark", "@": "at", "[": "left bracket",
        "\\": "backslash", "]": "right bracket", "^": "caret", "_": "underscore", "`": "backtick",
        "{": "left brace", "|": "bar", "}": "right brace", "~": "tilde",
        "…": "ellipsis", "–": "en dash", "—": "em dash", "«": "left guillemet", "»": "right guillemet",
        "“": "left quote", "”": "right quote", "‘": "left single quote", "’": "right single quote",
        "€": "euro", "£": "pound", "¥": "yen", "¢": "cent", "©": "copyright", "®": "registered",
        "™": "trademark", "°": "degree", "§": "section", "¶": "pilcrow", "•": "bullet", "×": "times",
        "÷": "divided by", "±": "plus or minus",
    ]
}
