import HeraldCore
import Testing

/// Words in another script than the message's language reads become chunks
/// in that script's language, run by run; Latin keeps the message's language.
struct ScriptDetectionTests {
    let preparer = TextPreparer(maxChunkCharacters: 500)

    func runs(_ content: UtteranceContent, language: String? = nil, preparer: TextPreparer? = nil) -> [String] {
        var settings = VoiceSettings()
        settings.language = language
        return (preparer ?? self.preparer).chunks(for: content, settings: settings).map { chunk in
            "\(chunk.language ?? "-"): \(chunk.plainText.trimmingWhitespace())"
        }
    }

    @Test func aRussianQuotationInEnglishGoesToRussian() {
        #expect(
            runs(.text("He said: «Привет, как дела?» and left.")) == [
                "-: He said: «", "ru: Привет, как дела?»", "-: and left.",
            ])
    }

    @Test(arguments: [
        ("Καλημέρα", "el"), ("مرحبا", "ar"), ("שלום", "he"), ("Բարեւ", "hy"), ("გამარჯობა", "ka"),
        ("नमस्ते", "hi"), ("வணக்கம்", "ta"), ("สวัสดี", "th"), ("안녕하세요", "ko"), ("こんにちは", "ja"), ("你好", "cmn"),
    ])
    func eachScriptHasItsLanguage(word: String, language: String) {
        #expect(runs(.text("Say \(word) now.")) == ["-: Say", "\(language): \(word)", "-: now."])
    }

    @Test func textInTheMessagesOwnScriptStaysWhole() {
        #expect(runs(.text("Привет, мир. Hello too."), language: "ru") == ["-: Привет, мир.", "-: Hello too."])
        #expect(runs(.text("Hola, ¿qué tal?"), language: "es") == ["-: Hola, ¿qué tal?"])
        // Kanji among kana is Japanese, not Chinese.
        #expect(runs(.text("東京へ行きます")) == ["ja: 東京へ行きます"])
    }

    @Test func ssmlPartsAreSplitToo() {
        #expect(
            runs(.ssml(#"<speak>Read <mark name="m"/>Москва <s xml:lang="de">und Köln</s></speak>"#)) == [
                "-: Read", "ru: Москва", "de: und Köln",
            ])
    }

    @Test func itCanBeTurnedOff() {
        let off = TextPreparer(maxChunkCharacters: 500, detectScript: false)
        #expect(runs(.text("He said Привет."), preparer: off) == ["-: He said Привет."])
    }
}
