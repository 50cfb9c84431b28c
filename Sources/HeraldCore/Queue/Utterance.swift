/// The number a client gets back for a message; never reused while the daemon runs.
public typealias UtteranceID = UInt64

/// Who asked for speech: a D-Bus unique name, an SSIP connection, a Spiel request.
///
/// Scopes (`self`) and per-client settings are keyed by it, so front ends must
/// give every connection its own.
public struct ClientID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// What a message asks to have spoken.
public enum UtteranceContent: Sendable, Equatable {
    /// Plain text, spoken as written (after punctuation and spelling modes).
    case text(String)
    /// SSML markup; `<mark>` elements become index-mark events.
    case ssml(String)
    /// One character, spoken by name ("space", "capital a").
    case character(String)
    /// A key name as SSIP sends it (`shift_a`, `control_alt_Delete`).
    case key(String)
    /// A named sound icon; spoken as its name until sound icons exist.
    case soundIcon(String)
}

/// One message in the queue: immutable once accepted.
public struct Utterance: Sendable, Identifiable, Equatable {
    public let id: UtteranceID
    public let client: ClientID
    public let priority: Priority
    public let content: UtteranceContent
    public let settings: VoiceSettings
    /// Which places of the text playback follows: sentences to move by
    /// (`Skip`), words to report (`Range`). SSIP's messages carry none.
    public let places: PlaceMarking

    public init(
        id: UtteranceID, client: ClientID, priority: Priority, content: UtteranceContent,
        settings: VoiceSettings = VoiceSettings(), places: PlaceMarking = .none
    ) {
        self.id = id
        self.client = client
        self.priority = priority
        self.content = content
        self.settings = settings
        self.places = places
    }
}
