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
