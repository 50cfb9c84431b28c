import HeraldCore
import Testing

/// The lexicon says words a person's way: whole words, one pass, per language,
/// regular expressions with their groups, and nothing inside SSML markup.
struct LexiconTests {
    static let lexicon = try! Lexicon([
        .init(.word("GNOME", caseSensitive: false), say: "guh nome"),
        .init(.regex(#"\bv(\d+)\.(\d+)\b"#), say: "version $1 point $2"),
        .init(.word("Herr", caseSensitive: false), say: "Hair", language: "de"),
        .init(.word("US", caseSensitive: true), say: "United States"),
        .init(.word("New York", caseSensitive: false), say: "Noo York"),
        // Would turn the first entry's output back into something else if replacements were matched again.
        .init(.word("guh", caseSensitive: false), say: "WRONG"),
    ])

    @Test(arguments: [
        ("GNOME is out", "guh nome is out"),
        ("gnome, Gnome and GNOME's panel", "guh nome, guh nome and guh nome's panel"),
        ("GNOMEs and libgnome stay", "GNOMEs and libgnome stay"),
        ("Herald v3.2 and v10.0", "Herald version 3 point 2 and version 10 point 0"),
        // The regex as written: the dot after 2 is a word boundary.
        ("v3.2.1", "version 3 point 2.1"),
        ("the US and us", "the United States and us"),
        ("from New  York on", "from Noo York on"),
        ("Herr Müller", "Herr Müller"),
        ("", ""),
    ])
    func appliesWholeWordsInOnePass(text: String, said: String) {
        #expect(Self.lexicon.apply(to: text, language: "en") == said)
    }

    @Test func languageEntriesApplyInTheirLanguageOnly() {
        #expect(Self.lexicon.apply(to: "Herr GNOME", language: "de-DE") == "Hair guh nome")
        #expect(Self.lexicon.apply(to: "Herr GNOME", language: nil) == "Herr guh nome")
    }

    @Test func theFirstEntryWinsWhereTwoStartTogether() throws {
        let lexicon = try Lexicon([
            .init(.regex("GNOME Shell"), say: "the shell"),
            .init(.word("GNOME", caseSensitive: false), say: "guh nome"),
        ])
        #expect(lexicon.apply(to: "GNOME Shell on GNOME", language: nil) == "the shell on guh nome")
    }

    @Test(arguments: [
        (Lexicon.Pattern.regex("(a+)+$"), "exponential"),
        (.regex(#"(\w*)*x"#), "exponential"),
        (.regex("(?:ab+){2,}"), "exponential"),
        (.regex("v(\\d+"), "does not compile"),
        (.regex(""), "empty"),
        (.word("  ", caseSensitive: false), "empty"),
    ])
    func unusableEntriesAreRefusedWhenRead(pattern: Lexicon.Pattern, problem: String) {
        #expect {
            _ = try Lexicon([.init(.word("fine", caseSensitive: false), say: "ok"), .init(pattern, say: "x")])
        } throws: { error in
            guard let error = error as? Lexicon.EntryError else { return false }
            return error.entry == 1 && error.problem.contains(problem)
        }
    }

    @Test func aReplacementNamingAMissingGroupIsRefused() {
        #expect(throws: Lexicon.EntryError.self) { try Lexicon([.init(.regex("v(\\d+)"), say: "version $2")]) }
        #expect(throws: Never.self) { try Lexicon([.init(.regex("(?:v)(\\d+)(?<minor>x)?"), say: "$1 $2")]) }
    }

    @Test func ssmlMarkupIsNeverRewritten() {
        let preparer = TextPreparer(maxChunkCharacters: 500, lexicon: Self.lexicon)
        let chunks = preparer.chunks(
            for: .ssml(#"<speak><mark name="GNOME"/>GNOME <say-as interpret-as="characters">US</say-as></speak>"#),
            settings: VoiceSettings())
        let segments = chunks.flatMap(\.segments)
        #expect(segments.contains(.mark("GNOME")), "\(segments)")
        #expect(chunks.map(\.plainText).joined().contains("guh nome"), "\(segments)")
    }

    @Test func spelledTextIsSpelledAsWritten() {
        let preparer = TextPreparer(maxChunkCharacters: 500, lexicon: Self.lexicon)
        var settings = VoiceSettings()
        settings.spelling = true
        let said = preparer.chunks(for: .text("GNOME"), settings: settings).map(\.plainText).joined()
        #expect(!said.contains("guh"), "\(said)")
    }

    @Test func aMegabyteIsAppliedQuickly() {
        let text = String(repeating: "The GNOME desktop v3.2 runs in New York and elsewhere. ", count: 20_000)
        let start = ContinuousClock.now
        let said = Self.lexicon.apply(to: text, language: "en")
        let elapsed = ContinuousClock.now - start
        print("lexicon over \(text.utf8.count) bytes: \(elapsed)")
        #expect(said.contains("guh nome desktop version 3 point 2 runs in Noo York"))
    }
}
