/// Turns what a client asked to hear into the chunks engines synthesise, in
/// one place, so every front end (D-Bus, SSIP, Spiel) speaks a message the
/// same way and engines receive only words, marks and pauses.
///
/// - `.text` is taken literally (never parsed as SSML: it may contain `<`),
///   then spelled or read with the punctuation mode, then chunked.
/// - `.ssml` is parsed first, so punctuation and spelling apply to the words
///   and never to markup.
/// - `.character`, `.key` and `.soundIcon` become their names.
///
/// Empty or whitespace-only input gives no chunks; SSML with marks but no
/// words gives one chunk of marks so clients still get their events.
///
/// The lexicon applies to words before punctuation is read (so a pattern
/// such as `v1.2` still sees its dot), never to spelled text, characters or
/// keys, and in SSML only to the words, in the language each part is in.
public struct TextPreparer: Sendable {
    public let maxChunkCharacters: Int
    /// The person's pronunciations; the daemon's is the one in force when a message starts.
    public var lexicon: Lexicon
    /// Whether words in another script than the message's language reads
    /// (Cyrillic in English text) become chunks in that script's language
    /// (`[text] detect_script`).
    public var detectScript: Bool
    /// Which places (`TextPlace`) to carry through synthesis: the player
    /// sets it per message, so a message nobody will move in or follow
    /// carries none.
    public var marking: PlaceMarking = .none

    /// `maxChunkCharacters` is the smallest input limit among the engines a
    /// chunk may go to, since fallback resends the same chunk.
    public init(maxChunkCharacters: Int, lexicon: Lexicon = .empty, detectScript: Bool = true) {
        self.maxChunkCharacters = maxChunkCharacters
        self.lexicon = lexicon
        self.detectScript = detectScript
    }

    /// Each chunk within one language: SSML parts in another `xml:lang`, and
    /// words in another script, are chunked on their own.
    public func chunks(for content: UtteranceContent, settings: VoiceSettings) -> [SpeechChunk] {
        switch content {
        case .ssml(let ssml):
            return SSMLParser.parseRuns(ssml, marking: settings.spelling ? .none : marking).runs.flatMap { run in
                let language = run.language ?? settings.language
                return chunked(
                    prepared(run.segments, settings: settings, language: language), marked: run.language, reader: language,
                    settings: settings)
            }
        case .text:
            return chunked(segments(for: content, settings: settings), marked: nil, reader: settings.language, settings: settings)
        case .character, .key, .soundIcon:
            return SentenceChunker(maxCharacters: maxChunkCharacters).chunks(segments(for: content, settings: settings))
        }
    }

    /// Chunks `segments`, each script run on its own when asked; runs the
    /// reader reads are marked `marked`, the others with their script's language.
    private func chunked(_ segments: [SpeechSegment], marked: String?, reader: String?, settings: VoiceSettings) -> [SpeechChunk] {
        let chunker = SentenceChunker(maxCharacters: maxChunkCharacters)
        let runs =
            detectScript && !settings.spelling
            ? ScriptRuns.split(segments, language: marked, reader: reader)
            : [ScriptRuns.Run(segments: segments, language: marked)]
        return runs.flatMap { run in
            chunker.chunks(run.segments).map { chunk in
                var chunk = chunk
                chunk.language = run.language
                return chunk
            }
        }
    }

    func segments(for content: UtteranceContent, settings: VoiceSettings) -> [SpeechSegment] {
        switch content {
        case .text(let text):
            if settings.spelling {
                let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
                return [.text(Speller.spell(String(trimmed), capitals: settings.capitalLetters))]
            }
            let reader = PunctuationReader(mode: settings.punctuation)
            if marking != .none {
                return reader.read(lexicon.apply(to: PlaceMarker.segments(marking: text, as: marking), language: settings.language))
            }
            return [.text(reader.read(lexicon.apply(to: text, language: settings.language)))]
        case .ssml(let ssml):
            return prepared(
                SSMLParser.parseRuns(ssml, marking: settings.spelling ? .none : marking).runs.flatMap(\.segments), settings: settings,
                language: settings.language)
        case .character(let character):
            return [.text(Speller.characterName(character, capitals: settings.capitalLetters))]
        case .key(let key):
            return [.text(Speller.keyName(key))]
        case .soundIcon(let name):
            return [.text(String(name.map { $0 == "_" || $0 == "-" ? " " : $0 }))]
        }
    }

    private func prepared(_ segments: [SpeechSegment], settings: VoiceSettings, language: String?) -> [SpeechSegment] {
        if settings.spelling { return spelled(segments, capitals: settings.capitalLetters) }
        return PunctuationReader(mode: settings.punctuation).read(lexicon.apply(to: segments, language: language))
    }

    /// Spells each text segment, keeping the ", " between letters when a mark
    /// or pause falls inside a word.
    private func spelled(_ segments: [SpeechSegment], capitals: CapitalLetterMode) -> [SpeechSegment] {
        var spelledBefore = false
        return segments.map { segment in
            guard case .text(let text) = segment, !text.isEmpty else { return segment }
            let spelling = Speller.spell(text, capitals: capitals)
            defer { spelledBefore = true }
            return .text(spelledBefore ? ", " + spelling : spelling)
        }
    }
}
