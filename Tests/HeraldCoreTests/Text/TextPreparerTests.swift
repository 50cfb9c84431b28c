import HeraldCore
import Testing

struct TextPreparerTests {
    private let preparer = TextPreparer(maxChunkCharacters: 200)

    @Test(arguments: [
        (UtteranceContent.text(""), VoiceSettings(), [[SpeechSegment]]()),
        (.text("  \n\t "), VoiceSettings(), []),
        (.ssml("<speak> </speak>"), VoiceSettings(), []),
        (.text("Hello. World."), VoiceSettings(), [[.text("Hello.")], [.text("World.")]]),
        (.text("<b>not markup</b>"), VoiceSettings(punctuation: .none), [[.text("<b>not markup</b>")]]),
        (.text("mail me@example.org"), VoiceSettings(punctuation: .some), [[.text("mail me at example.org")]]),
        (.text("Hi, you."), VoiceSettings(punctuation: .all), [[.text("Hi comma, you period.")]]),
        (.ssml(#"<speak>Hi <mark name="m"/>there.</speak>"#), VoiceSettings(), [[.text("Hi "), .mark("m"), .text("there.")]]),
        (.ssml("<speak>a@b &amp; c</speak>"), VoiceSettings(punctuation: .some), [[.text("a at b and c")]]),
        (.ssml(#"<speak><mark name="a"/></speak>"#), VoiceSettings(), [[.mark("a")]]),
        (.ssml("<p>One</p><p>Two</p>"), VoiceSettings(), [[.text("One"), .pause(milliseconds: 400)], [.text("Two")]]),
        (.ssml("Hello <mark name=\"x\""), VoiceSettings(), [[.text("Hello")]]),
        (.text(" Hi "), VoiceSettings(spelling: true, capitalLetters: .spell), [[.text("capital h, i")]]),
        (.ssml(#"<speak>Hi<mark name="m"/>yo</speak>"#), VoiceSettings(spelling: true, capitalLetters: .spell),
         [[.text("capital h, i"), .mark("m"), .text(", y, o")]]),
        (.character("A"), VoiceSettings(capitalLetters: .spell), [[.text("capital a")]]),
        (.character("space"), VoiceSettings(), [[.text("space")]]),
        (.key("shift_a"), VoiceSettings(), [[.text("shift a")]]),
        (.soundIcon("message_new-mail"), VoiceSettings(), [[.text("message new mail")]]),
    ])
    func pipeline(_ content: UtteranceContent, _ settings: VoiceSettings, _ expected: [[SpeechSegment]]) {
        #expect(preparer.chunks(for: content, settings: settings).map(\.segments) == expected)
    }

    @Test func longTextRespectsTheLimit() {
        let text = String(repeating: "many words without any stop at all ", count: 50)
        let chunks = TextPreparer(maxChunkCharacters: 40).chunks(for: .text(text), settings: VoiceSettings())
        #expect(chunks.count > 40)
        #expect(chunks.allSatisfy { $0.plainText.count <= 40 })
    }
}
