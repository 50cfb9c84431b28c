/// A piece of an utterance's text as it goes to an engine: words, index marks
/// between them, and pauses, in order.
public enum SpeechSegment: Sendable, Hashable {
    case text(String)
    /// An SSML `<mark name>`: reported when playback reaches this point.
    case mark(String)
    /// Silence (SSML `<break>`, paragraph ends).
    case pause(milliseconds: Int)
}

/// What one engine call synthesises: about a sentence, never more than the
/// engine's character limit, so the first audio comes after the first sentence.
public struct SpeechChunk: Sendable, Hashable {
    public var segments: [SpeechSegment]
    /// The language of this part of the text (SSML `xml:lang`), when it says;
    /// it goes before the message's own language in choosing an engine.
    public var language: String?

    public init(_ segments: [SpeechSegment], language: String? = nil) {
        self.segments = segments
        self.language = language
    }

    /// The words alone, as a cloud engine receives them.
    public var plainText: String {
        segments.reduce(into: "") { text, segment in
            if case .text(let words) = segment { text += words }
        }
    }

    /// Each mark with its offset, in characters, into `plainText`; cloud engines
    /// place marks proportionally from these.
    public var markOffsets: [(name: String, offset: Int)] {
        var offset = 0
        var marks: [(name: String, offset: Int)] = []
        for segment in segments {
            switch segment {
            case .text(let words): offset += words.count
            case .mark(let name): marks.append((name, offset))
            case .pause: break
            }
        }
        return marks
    }
}

extension SpeechChunk {
    /// What is left to say after an engine failed part-way through this chunk,
    /// having produced `seconds` of audio and reported its first `marksReported` marks.
    ///
    /// Engines say nothing about how far into the text their audio reached, so
    /// the position is estimated at a speaking pace of `charactersPerSecond`
    /// and moved back to the start of the word it falls in: the next engine
    /// may repeat part of a word, never skip one. Marks already reported are
    /// dropped; the rest are kept, those before the cut at the start.
    public func remainder(afterSeconds seconds: Double, marksReported: Int, charactersPerSecond: Double = 15) -> SpeechChunk {
        let text = Array(plainText)
        var cut = min(text.count, max(0, Int(seconds * charactersPerSecond)))
        if cut < text.count {
            while cut > 0, !text[cut - 1].isWhitespace { cut -= 1 }
        }
        var offset = 0
        var marks = 0
        var kept: [SpeechSegment] = []
        for segment in segments {
            switch segment {
            case .text(let words):
                let start = max(0, cut - offset)
                offset += words.count
                if start < words.count { kept.append(.text(String(words.dropFirst(start)))) }
            case .mark(let name):
                marks += 1
                if marks > marksReported { kept.append(.mark(name)) }
            case .pause:
                if offset >= cut { kept.append(segment) }
            }
        }
        return SpeechChunk(kept, language: language)
    }

    /// True when nothing is left to speak or report.
    public var isEmpty: Bool {
        segments.allSatisfy { if case .text(let words) = $0 { words.isEmpty } else { false } }
    }
}
