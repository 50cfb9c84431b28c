/// What happened to a message, in the order clients must see it.
///
/// Every accepted message ends in exactly one of `ended`, `canceled` or `failed`.
public enum SpeechEventKind: Sendable, Equatable {
    case began
    case ended
    case canceled
    case paused
    case resumed
    case indexMark(String)
    /// The word being heard (the message asked for `PlaceMarking.words`).
    case word(TextRange)
    /// A sentence begins to be heard: the range from its first word to its last.
    case sentence(TextRange)
    /// Synthesis or playback failed; the reason says what to do and never quotes the text.
    case failed(reason: String)
}

/// An event with the message and client it concerns, so front ends can route it.
public struct SpeechEvent: Sendable, Equatable {
    public let id: UtteranceID
    public let client: ClientID
    public let kind: SpeechEventKind

    public init(id: UtteranceID, client: ClientID, kind: SpeechEventKind) {
        self.id = id
        self.client = client
        self.kind = kind
    }
}

/// Offsets, in Unicode scalars, into the text a client sent (SSML: its text
/// content); `end` is one past the last scalar.
public struct TextRange: Sendable, Hashable {
    public let start: Int
    public let end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
}
