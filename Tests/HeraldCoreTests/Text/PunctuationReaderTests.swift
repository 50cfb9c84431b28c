import HeraldCore
import Testing

struct PunctuationReaderTests {
    @Test(arguments: [
        (PunctuationMode.none, "a@b, c. (x) \"q\" 50%", "a@b, c. (x) \"q\" 50%"),
        (.some, "a@b", "a at b"),
        (.some, "@home", "at home"),
        (.some, "Hi, you.", "Hi, you."),
        (.some, "50% off & more", "50 percent off and more"),
        (.some, "path/to/file", "path slash to slash file"),
        (.some, "(x) 'y' - z", "(x) 'y' - z"),
        (.some, "© 2024, 20°", "copyright 2024, 20 degree"),
        (.most, "(x)", "left paren x right paren"),
        (.most, "Hi, you. \"Yes\" - no…", "Hi, you. \"Yes\" - no…"),
        (.most, "#1 in €", "hash 1 in euro"),
        (.all, "Hi, you.", "Hi comma, you period."),
        (.all, "Really?!", "Really question mark? exclamation mark!"),
        (.all, "3.14", "3 dot 14"),
        (.all, "example.com", "example dot com"),
        (.all, "don't", "don't"),
        (.all, "don’t 'quoted'", "don’t apostrophe quoted apostrophe"),
        (.all, "a—b", "a em dash b"),
        (.all, "“Hi”", "left quote Hi right quote"),
        (.all, "Wait…", "Wait ellipsis…"),
        (.all, "line one\n\nline two.", "line one\n\nline two period."),
        (.all, "a;b: c", "a semicolon b colon: c"),
        (.all, "x × y ÷ z", "x times y divided by z"),
        (.all, "plain words", "plain words"),
        (.all, "", ""),
    ])
    func modes(_ mode: PunctuationMode, _ text: String, _ expected: String) {
        #expect(PunctuationReader(mode: mode).read(text) == expected)
    }

    @Test(arguments: [
        ([SpeechSegment.text("a@"), .mark("m"), .text("b")], [SpeechSegment.text("a at "), .mark("m"), .text("b")]),
        ([.text("x"), .mark("m"), .text("@y")], [.text("x"), .mark("m"), .text(" at y")]),
        ([.text("no symbols"), .pause(milliseconds: 100)], [.text("no symbols"), .pause(milliseconds: 100)]),
    ])
    func segmentsKeepWordsApartAcrossMarks(_ segments: [SpeechSegment], _ expected: [SpeechSegment]) {
        #expect(PunctuationReader(mode: .some).read(segments) == expected)
    }

    @Test func noneLeavesSegmentsUntouched() {
        let segments: [SpeechSegment] = [.text("a@b "), .mark("m"), .text("c!")]
        #expect(PunctuationReader(mode: .none).read(segments) == segments)
    }

    @Test(arguments: ["…", "–", "—", "«", "»", "“", "”", "‘", "’", "€", "£", "¥", "©", "®", "°", "§", "¶", "•", "×"] as [Unicode.Scalar])
    func unicodeSymbolsHaveNames(_ symbol: Unicode.Scalar) {
        #expect(PunctuationReader.name(of: symbol) != nil)
    }

    @Test func everyASCIIPunctuationHasAName() {
        let ascii = (0x21...0x7E).compactMap(Unicode.Scalar.init).filter {
            !$0.properties.isAlphabetic && $0.properties.numericType == nil
        }
        #expect(ascii.count == 32)
        #expect(ascii.allSatisfy { PunctuationReader.name(of: $0) != nil })
    }
}
