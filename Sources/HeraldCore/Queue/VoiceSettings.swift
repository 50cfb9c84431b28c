/// How Speech Dispatcher clients ask punctuation to be read (`SET … PUNCTUATION`).
public enum PunctuationMode: String, Sendable, CaseIterable {
    /// Every punctuation character is spoken by name.
    case all
    /// Symbols and brackets are spoken; sentence punctuation (.,;:?!'"-) only shapes prosody.
    case most
    /// Only symbols that rarely shape prosody are spoken (@#$%^&*_+=|\/<>[]{}~).
    case some
    /// Punctuation is never spoken, only heard as pauses and intonation.
    case none
}

/// How capital letters are announced when spelling (`SET … CAP_LET_RECOGN`).
public enum CapitalLetterMode: String, Sendable, CaseIterable {
    case none
    /// "capital a".
    case spell
    /// A sound icon in Speech Dispatcher; Herald says "capital" too, since it has no icons yet.
    case icon
}

/// A client's voice settings, carried by each utterance so a later change
/// never alters what is already queued.
public struct VoiceSettings: Sendable, Equatable, Hashable {
    /// An engine voice id as `ListVoices` gives it; nil picks the engine's default.
    public var voice: String?
    /// BCP 47 language tag; nil means the voice's own.
    public var language: String?
    /// −100…100, 0 is the engine's normal rate.
    public var rate: Int
    /// −100…100, 0 is the voice's normal pitch.
    public var pitch: Int
    /// −100…100, 0 is the voice's normal intonation range.
    public var pitchRange: Int
    /// −100…100; Speech Dispatcher's default is 100 (full volume).
    public var volume: Int
    public var punctuation: PunctuationMode
    /// Spell every word letter by letter.
    public var spelling: Bool
    public var capitalLetters: CapitalLetterMode

    public init(
        voice: String? = nil, language: String? = nil, rate: Int = 0, pitch: Int = 0,
        pitchRange: Int = 0, volume: Int = 100, punctuation: PunctuationMode = .none,
        spelling: Bool = false, capitalLetters: CapitalLetterMode = .none
    ) {
        self.voice = voice
        self.language = language
        self.rate = Self.clamp(rate)
        self.pitch = Self.clamp(pitch)
        self.pitchRange = Self.clamp(pitchRange)
        self.volume = Self.clamp(volume)
        self.punctuation = punctuation
        self.spelling = spelling
        self.capitalLetters = capitalLetters
    }

    /// Settings arrive from untrusted clients; anything outside −100…100 is pinned to the edge.
    public static func clamp(_ value: Int) -> Int { min(100, max(-100, value)) }
}
