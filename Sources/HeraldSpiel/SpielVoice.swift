public import HeraldCore

/// One entry of the provider's `Voices` property: a Herald voice with the
/// stream format it is delivered in and the features it really has.
public struct SpielVoice: Sendable, Hashable {
    public let voice: Voice
    /// The PCM inside the stream: every chunk of this voice is brought to it.
    public let format: AudioFormat
    public let features: SpielVoiceFeatures

    /// Herald's output for a voice whose audio is `format` and whose engine
    /// places marks as `marks` says.
    ///
    /// Every voice is streamed as `audio/x-spiel`, so that marks can travel
    /// with the audio. Only an engine with exact marks reads the chunk's
    /// markup, reports marks at their audio positions and keeps SSML breaks
    /// (the others receive words only and marks are placed by estimate), so
    /// only its voices advertise those bits, and word events, which are
    /// place marks before each word (`TextPlace`). Sentence events come for
    /// every voice: a sentence usually starts a chunk, whose first audio is
    /// its start whatever the engine. `<sub alias>` is applied to the text
    /// before any engine sees it.
    public init(voice: Voice, format: AudioFormat, marks: MarkTiming) {
        self.voice = voice
        self.format = format
        features =
            marks == .exact
            ? [.wordEvents, .sentenceEvents, .ssmlMarkEvents, .ssmlBreak, .ssmlSub] : [.sentenceEvents, .ssmlSub]
    }

    /// The GStreamer caps string of the stream, e.g.
    /// `audio/x-spiel,format=S16LE,channels=1,rate=22050`.
    public var outputFormat: String {
        "audio/x-spiel,format=S16LE,channels=\(format.channels),rate=\(format.sampleRate)"
    }

    /// BCP 47 tags: the voice's language with `_` made `-`, then its primary
    /// language (`en-us`, `en`), so that a client asking for plain `en` finds
    /// regional voices too, as espeak-ng's own language lists do; none when unknown.
    public var languages: [String] {
        let tag = voice.language.replacing("_", with: "-")
        guard !tag.isEmpty else { return [] }
        let primary = String(tag.prefix { $0 != "-" })
        return primary == tag || primary.isEmpty ? [tag] : [tag, primary]
    }
}
