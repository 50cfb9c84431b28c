import HeraldCore
import HeraldTesting
import Testing

struct SentenceChunkerTests {
    private func texts(_ text: String, limit: Int = 200) -> [String] {
        SentenceChunker(maxCharacters: limit).chunks([.text(text)]).map(\.plainText)
    }

    @Test(arguments: [
        ("Hello world. How are you? Fine!", ["Hello world.", "How are you?", "Fine!"]),
        ("See e.g. the docs. Then go.", ["See e.g. the docs.", "Then go."]),
        ("Use it, e.g. Paris or Rome.", ["Use it, e.g. Paris or Rome."]),
        ("Dr. Smith arrived. Mrs. Jones left.", ["Dr. Smith arrived.", "Mrs. Jones left."]),
        ("J. R. R. Tolkien wrote. Yes", ["J. R. R. Tolkien wrote.", "Yes"]),
        ("Pi is 3.14 today. Yes.", ["Pi is 3.14 today.", "Yes."]),
        ("It costs 5. 10 more.", ["It costs 5. 10 more."]),
        ("Wait... what? OK.", ["Wait... what?", "OK."]),
        ("Well… Fine.", ["Well…", "Fine."]),
        ("He said \"Stop.\" Then left.", ["He said \"Stop.\"", "Then left."]),
        ("(Really?) Yes.", ["(Really?)", "Yes."]),
        ("Version 2.0.1 is out.Next is soon.", ["Version 2.0.1 is out.Next is soon."]),
        ("你好。世界！好吗？！是的", ["你好。", "世界！", "好吗？！", "是的"]),
        ("「你好。」他说", ["「你好。」", "他说"]),
        ("Para one\n\nPara two", ["Para one", "Para two"]),
        ("Para one\r\n\r\n  Para two", ["Para one", "Para two"]),
        ("Line one\nline two\r\nline three", ["Line one line two line three"]),
        ("  spaced   out \t words  ", ["spaced out words"]),
        ("", []),
        (" \n\n\t ", []),
    ])
    func sentences(_ text: String, _ expected: [String]) {
        #expect(texts(text) == expected)
    }

    @Test(arguments: [
        ("aaa bbb ccc ddd", 10, ["aaa bbb", "ccc ddd"]),
        ("aaa bbb ccc ddd", 7, ["aaa bbb", "ccc ddd"]),
        ("aaa bbb ccc ddd", 6, ["aaa", "bbb", "ccc", "ddd"]),
        // A clause break in the second half of the limit wins over the last space.
        ("alpha beta, gamma delta epsilon", 20, ["alpha beta,", "gamma delta epsilon"]),
        // One too early would make a tiny chunk: the last space is used instead.
        ("one, two three four five six", 20, ["one, two three four", "five six"]),
        ("abcdefghijkl", 5, ["abcde", "fghij", "kl"]),
        ("aaaaaa,bbbbbbbb", 10, ["aaaaaa,", "bbbbbbbb"]),
        ("x abcdefghijkl y", 5, ["x", "abcde", "fghij", "kl y"]),
        ("e\u{301}e\u{301}e\u{301}", 3, ["e\u{301}", "e\u{301}", "e\u{301}"]),
        ("a b", 0, ["a", "b"]),
    ])
    func limits(_ text: String, _ limit: Int, _ expected: [String]) {
        let chunks = texts(text, limit: limit)
        #expect(chunks == expected)
        #expect(chunks.allSatisfy { $0.unicodeScalars.count <= max(1, limit) })
    }

    @Test(arguments: [
        ([SpeechSegment.text("Hello world. "), .mark("m"), .text("Next one.")], 200,
         [[SpeechSegment.text("Hello world.")], [.mark("m"), .text("Next one.")]]),
        ([.text("Hello world."), .mark("m"), .text(" Next one.")], 200,
         [[.text("Hello world."), .mark("m")], [.text("Next one.")]]),
        ([.text("Hello "), .mark("m"), .text("world")], 8,
         [[.text("Hello")], [.mark("m"), .text("world")]]),
        ([.text("one"), .mark("a"), .text(" two")], 5,
         [[.text("one"), .mark("a")], [.text("two")]]),
        ([.text("Hel"), .mark("m"), .text("lo there")], 200,
         [[.text("Hel"), .mark("m"), .text("lo there")]]),
        ([.mark("start"), .text("Hi. "), .mark("m"), .text("Bye."), .mark("end")], 200,
         [[.mark("start"), .text("Hi.")], [.mark("m"), .text("Bye."), .mark("end")]]),
        ([.text("One"), .pause(milliseconds: 500), .text("Two")], 200,
         [[.text("One"), .pause(milliseconds: 500)], [.text("Two")]]),
        ([.text("One"), .pause(milliseconds: 100), .text("Two")], 200,
         [[.text("One "), .pause(milliseconds: 100), .text("Two")]]),
        ([.pause(milliseconds: 1000), .text("Late start.")], 200,
         [[.pause(milliseconds: 1000), .text("Late start.")]]),
        ([.text("Hi."), .pause(milliseconds: 500), .mark("end")], 200,
         [[.text("Hi."), .pause(milliseconds: 500), .mark("end")]]),
        ([.mark("only")], 200, [[.mark("only")]]),
        ([.text("  "), .mark("a"), .text(" ")], 200, [[.mark("a")]]),
        ([], 200, []),
    ])
    func marksAndPauses(_ segments: [SpeechSegment], _ limit: Int, _ expected: [[SpeechSegment]]) {
        let chunks = SentenceChunker(maxCharacters: limit).chunks(segments)
        #expect(chunks.map(\.segments) == expected)
    }

    @Test func lazyFormMatchesArrayForm() {
        let segments: [SpeechSegment] = [
            .text("First one. Second, longer sentence here! "), .mark("m"), .text("Third?"),
            .pause(milliseconds: 400), .text("Fourth"), .mark("end"),
        ]
        let chunker = SentenceChunker(maxCharacters: 16)
        #expect(Array(chunker.lazyChunks(segments)) == chunker.chunks(segments))
    }

    @Test(arguments: [7, 20, 80, 200])
    func invariantsHoldOnMixedText(limit: Int) {
        var generator = SplitMix(seed: UInt64(limit))
        let words = ["word", "Word.", "e.g.", "3.14", "a,b,c", "supercalifragilistic", "你好。", "x!", "né", "\n\n", "…"]
        var segments: [SpeechSegment] = []
        var markNames: [String] = []
        for index in 0..<2000 {
            switch generator.next() % 10 {
            case 0:
                markNames.append("m\(index)")
                segments.append(.mark("m\(index)"))
            case 1: segments.append(.pause(milliseconds: Int(generator.next() % 600)))
            default:
                let word = words[Int(generator.next() % UInt64(words.count))]
                segments.append(.text(generator.next() % 3 == 0 ? word : word + " "))
            }
        }
        let chunks = SentenceChunker(maxCharacters: limit).chunks(segments)
        #expect(chunks.allSatisfy { $0.plainText.count <= limit })
        #expect(chunks.allSatisfy { !$0.plainText.isEmpty })
        let marks = chunks.flatMap { $0.markOffsets.map(\.name) }
        #expect(marks == markNames)
        let input = segments.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
        #expect(chunks.map(\.plainText).joined().withoutWhitespace == input.withoutWhitespace)
    }

    @Test func chunksOneMegabyteQuickly() {
        let paragraph = """
            The quick brown fox, e.g. a fox from Dr. Smith's farm, jumps over 3.14 lazy dogs! \
            Does it? Yes… and then some more words follow here; more, and more. 你好。世界！ \
            Averyveryveryverylongwordwithoutanyspaceswhatsoeverthatgoesonandonandonandonandonforeverandeverandever \
            Ünïcödé wörds with accents. \n\n
            """
        var text = ""
        while text.utf8.count < 1_048_576 { text += paragraph }
        let limit = 120
        let clock = ContinuousClock()
        var chunks: [SpeechChunk] = []
        let elapsed = clock.measure {
            chunks = SentenceChunker(maxCharacters: limit).chunks([.text(text)])
        }
        #expect(elapsed < .seconds(4).timingScaled, "took \(elapsed); a quadratic chunker takes minutes")
        #expect(chunks.count > 10_000)
        #expect(chunks.allSatisfy { $0.plainText.count <= limit })
        #expect(chunks.map(\.plainText).joined().withoutWhitespace == text.withoutWhitespace)
    }
}

extension String {
    fileprivate var withoutWhitespace: String { String(unicodeScalars.filter { !$0.properties.isWhitespace }) }
}

/// A small deterministic generator, so failures reproduce.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
