/// A piece of an utterance's text as it goes to an engine: words, index marks
/// between them, and pauses, in order.
public enum SpeechSegment: Sendable, Equatable {
    case text(String)
    /// An SSML `<mark name>`: reported when playback reaches this point.
    case mark(String)
    /// Silence (SSML `<break>`, paragraph ends).
    case pause(milliseconds: Int)
}

/// What one engine call synthesises: about a sentence, never more than the
/// engine's character limit, so the first audio comes after the first sentence.
public struct SpeechChunk: Sendable, Equatable {
    public var segments: [SpeechSegment]

    public init(_ segments: [SpeechSegment]) { self.segments = segments }

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
