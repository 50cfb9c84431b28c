/// Spiel's voice feature bits (`VOICE_FEATURE` of the provider interface):
/// what a client may rely on a voice to do.
public struct SpielVoiceFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let wordEvents = SpielVoiceFeatures(rawValue: 0x1)
    public static let sentenceEvents = SpielVoiceFeatures(rawValue: 0x2)
    public static let rangeEvents = SpielVoiceFeatures(rawValue: 0x4)
    /// An event when playback reaches an SSML `<mark>`.
    public static let ssmlMarkEvents = SpielVoiceFeatures(rawValue: 0x8)
    public static let ssmlBreak = SpielVoiceFeatures(rawValue: 0x1000)
    public static let ssmlSub = SpielVoiceFeatures(rawValue: 0x2000)
}
