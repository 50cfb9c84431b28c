import HeraldCore
import Testing

/// Places from text to chunks: offsets into the text as sent (plain, SSML,
/// through the lexicon), the sentences and paragraphs they begin, and where
/// moving by them leads.
@Suite struct TextPlaceTests {
    func places(_ chunks: [SpeechChunk]) -> [TextPlace] {
        ReadingPlaces(chunks).entries.map(\.place)
    }

    func words(_ places: [TextPlace], in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return places.map { String(String.UnicodeScalarView(scalars[$0.start..<$0.end])) }
    }

    func preparer(_ marking: PlaceMarking, lexicon: Lexicon = .empty) -> TextPreparer {
        var preparer = TextPreparer(maxChunkCharacters: 200, lexicon: lexicon)
        preparer.marking = marking
        return preparer
    }

    @Test func aPlaceIsAMarkNoClientCanForge() throws {
        let place = TextPlace(edge: .sentence, start: 12, end: 17)
        #expect(TextPlace(markName: place.markName) == place)
        #expect(TextPlace(markName: "_herald.x1.2") == nil && TextPlace(markName: "chapter-1") == nil)
        let chunks = TextPreparer(maxChunkCharacters: 200).chunks(
            for: .ssml("<speak>a <mark name=\"\(place.markName)\"/>b <mark name=\"mine\"/>c</speak>"), settings: VoiceSettings())
        #expect(chunks.flatMap(\.segments).filter { if case .mark = $0 { true } else { false } } == [.mark("mine")])
    }

    @Test func plainTextWordsSentencesAndParagraphs() {
        let text = "Héllo  wörld. Dr. Who\tcame; e.g. this.\n\nNew paragraph 3.5 here!"
        let chunks = preparer(.words).chunks(for: .text(text), settings: VoiceSettings())
        let found = places(chunks)
        #expect(words(found, in: text) == ["Héllo", "wörld.", "Dr.", "Who", "came;", "e.g.", "this.", "New", "paragraph", "3.5", "here!"])
        #expect(found.map(\.edge) == [.paragraph, .word, .sentence, .word, .word, .word, .word, .paragraph, .word, .word, .word])
        // The engines hear the same words with or without places.
        let unmarked = TextPreparer(maxChunkCharacters: 200).chunks(for: .text(text), settings: VoiceSettings())
        #expect(chunks.map(\.plainText) == unmarked.map(\.plainText))
        // Sentences only: a mark where each sentence or paragraph begins.
        let sentences = places(preparer(.sentences).chunks(for: .text(text), settings: VoiceSettings()))
        #expect(words(sentences, in: text) == ["Héllo", "Dr.", "New"])
    }

    @Test func ssmlOffsetsCountItsTextContent() {
        let ssml = "<speak><s>Tom &amp; <sub alias=\"Jerry\">J.</sub> ran.</s><s>Fast <break time=\"100ms\"/>home<desc>x</desc>.</s></speak>"
        let content = "Tom & J. ran.Fast homex."
        let found = places(preparer(.words).chunks(for: .ssml(ssml), settings: VoiceSettings()))
        // A word that markup cuts in two ("home<desc>x</desc>.") has a place for each part.
        #expect(words(found, in: content) == ["Tom", "&", "J.", "ran.", "Fast", "home", "."])
        #expect(found.map(\.edge) == [.paragraph, .word, .word, .word, .sentence, .word, .word])
    }

    /// A replacement that spans words speaks for all of them: one place covers
    /// what it replaced, so a client highlights "GNOME Shell" while "guh nome
    /// shell" is heard; the words around keep their own offsets.
    @Test func theLexiconsReplacementsMapBackToTheText() throws {
        let lexicon = try Lexicon([
            .init(.word("GNOME Shell", caseSensitive: false), say: "guh nome shell"),
            .init(.regex(#"\bv(\d+)\.(\d+)\b"#), say: "version $1 point $2"),
        ])
        let text = "Try GNOME Shell v3.2 today."
        let chunks = preparer(.words, lexicon: lexicon).chunks(for: .text(text), settings: VoiceSettings())
        #expect(chunks.map(\.plainText) == ["Try guh nome shell version 3 point 2 today."])
        #expect(words(places(chunks), in: text) == ["Try", "GNOME Shell", "v3.2", "today."])
    }

    @Test func movingBySentencesAndParagraphs() {
        let text = "One a. One b.\n\nTwo a. Two b. Two c.\n\nThree a."
        let reading = ReadingPlaces(preparer(.words).chunks(for: .text(text), settings: VoiceSettings()))
        let first = { (entry: Int?) in entry.map { self.words([reading.entries[$0].place], in: text)[0] + " " } }
        // Word entries: 0 One 1 a. 2 One 3 b. 4 Two 5 a. 6 Two 7 b. 8 Two 9 c. 10 Three 11 a.
        #expect(first(reading.target(from: nil, moving: 1, by: .sentence)) == "One ")
        #expect(reading.target(from: nil, moving: 1, by: .sentence) == 2)
        #expect(reading.target(from: 5, moving: 1, by: .sentence) == 6)
        #expect(reading.target(from: 5, moving: 0, by: .sentence) == 4)
        #expect(reading.target(from: 5, moving: -1, by: .sentence) == 2)
        #expect(reading.target(from: 1, moving: -3, by: .sentence) == 0, "going back stops at the first")
        #expect(reading.target(from: 11, moving: 1, by: .sentence) == nil, "past the end")
        #expect(reading.target(from: 7, moving: 1, by: .paragraph) == 10)
        #expect(reading.target(from: 7, moving: 0, by: .paragraph) == 4)
        #expect(reading.target(from: 7, moving: -1, by: .paragraph) == 0)
        #expect(reading.target(from: 7, moving: 2, by: .paragraph) == nil)
        #expect(reading.range(ofSentence: reading.sentence(containing: 9)) == TextRange(start: 29, end: 35))
    }
}
