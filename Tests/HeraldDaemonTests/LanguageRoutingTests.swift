import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Logging
import Testing

/// A message's language picks the first engine that speaks it: Spanish to
/// aura-2-es (or MeloTTS set to `es`), English to aura-2-en, in one queue;
/// SSML `xml:lang` switches engines mid-document; a language no engine
/// speaks goes to the default voice with one log line.
@Suite(.serialized)
struct LanguageRoutingTests {
    let config = ALSATestConfig.shared
    static let english = "@cf/deepgram/aura-2-en"
    static let spanish = "@cf/deepgram/aura-2-es"

    func withStack(
        _ fake: FakeWorkersAI, engines: [Configuration.Engine], voices: [String: String] = [:],
        _ body: (SpeechPipeline, SpeechEventLog, RecordingLogHandler.Store) async throws -> Void
    ) async throws -> ALSATestConfig.CapturePCM {
        let capture = try config.makeCapture()
        var configuration = Configuration.cloud(fake, engines: engines, device: capture.name)
        configuration.defaultVoices = voices
        let (logger, logs) = RecordingLogHandler.logger()
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let events = SpeechEventLog(await pipeline.scheduler.events())
        do {
            try await body(pipeline, events, logs)
        } catch {
            await pipeline.shutDown()
            throw error
        }
        await pipeline.shutDown()
        return capture
    }

    func say(_ pipeline: SpeechPipeline, _ events: SpeechEventLog, _ content: UtteranceContent, language: String?) async -> SpeechEventKind? {
        var settings = VoiceSettings()
        settings.language = language
        let (id, _) = await pipeline.scheduler.speak(content, priority: .text, client: ClientID("t"), settings: settings)
        return await events.waitForEnd(of: id, timeout: .seconds(20))?.event.kind
    }

    static func speak(_ text: String) -> String { #"{"text":"\#(text) ","type":"Speak"}"# }

    @Test func eachLanguageGoesToTheEngineThatSpeaksIt() async throws {
        try await FallbackChainTests.withFake { fake in
            _ = try await withStack(
                fake,
                engines: [
                    .init(model: Self.english), .init(model: Self.spanish), .init(model: "espeak-ng"),
                ]
            ) { pipeline, events, _ in
                #expect(await say(pipeline, events, .text("Buenos días a todos."), language: "es") == .ended)
                #expect(await say(pipeline, events, .text("Good morning everyone."), language: "en-GB") == .ended)
                #expect(await say(pipeline, events, .text("Hasta luego."), language: "es_MX") == .ended)
            }
            #expect(fake.socketMessages(for: Self.spanish).filter { $0.contains("Speak") } == [Self.speak("Buenos días a todos."), Self.speak("Hasta luego.")])
            #expect(fake.socketMessages(for: Self.english).filter { $0.contains("Speak") } == [Self.speak("Good morning everyone.")])
        }
    }

    @Test func xmlLangSwitchesEnginesMidDocument() async throws {
        try await FallbackChainTests.withFake { fake in
            _ = try await withStack(fake, engines: [.init(model: Self.english), .init(model: Self.spanish), .init(model: "espeak-ng")]) {
                pipeline, events, _ in
                let ssml = #"<speak xml:lang="en">Hello there. <s xml:lang="es">Hola amigos.</s> Goodbye now.</speak>"#
                #expect(await say(pipeline, events, .ssml(ssml), language: nil) == .ended)
            }
            let english = fake.socketMessages(for: Self.english).filter { $0.contains("Speak") }
            let spanish = fake.socketMessages(for: Self.spanish).filter { $0.contains("Speak") }
            #expect(spanish == [Self.speak("Hola amigos.")], "\(spanish)")
            #expect(english.count == 2 && english.first?.contains("Hello there.") == true && english.last?.contains("Goodbye now.") == true, "\(english)")
        }
    }

    @Test func meloTTSConfiguredForSpanishSpeaksSpanish() async throws {
        try await FallbackChainTests.withFake { fake in
            _ = try await withStack(
                fake, engines: [.init(model: Self.english), .init(model: "@cf/myshell-ai/melotts", language: "es"), .init(model: "espeak-ng")]
            ) { pipeline, events, _ in
                #expect(await say(pipeline, events, .text("Buenas noches."), language: "es") == .ended)
            }
            let melo = try #require(fake.requests.first { $0.method == "POST" })
            #expect(melo.path.hasSuffix("/@cf/myshell-ai/melotts"))
            #expect(melo.json?["lang"] == .string("es") && melo.json?["prompt"] == .string("Buenas noches."))
        }
    }

    @Test func espeakSpeaksALanguageNoCloudEngineHas() async throws {
        try await FallbackChainTests.withFake { fake in
            let capture = try await withStack(fake, engines: [.init(model: Self.english), .init(model: "espeak-ng")]) { pipeline, events, logs in
                #expect(await say(pipeline, events, .text("Guten Morgen."), language: "de") == .ended)
                #expect(logs.all.filter { $0.level >= .notice }.isEmpty, "espeak-ng speaks German: \(logs.all)")
            }
            #expect(try capture.wav().sampleRate == 22_050)
            #expect(fake.socketMessages.filter { $0.contains("Speak") }.isEmpty)
        }
    }

    @Test func anUnknownLanguageFallsBackWithOneLine() async throws {
        try await FallbackChainTests.withFake { fake in
            _ = try await withStack(fake, engines: [.init(model: Self.english), .init(model: "espeak-ng")]) { pipeline, events, logs in
                #expect(await say(pipeline, events, .text("Blorp zing."), language: "x-klingon") == .ended)
                #expect(await say(pipeline, events, .text("Zing blorp."), language: "x-klingon") == .ended)
                let lines = logs.all.filter { $0.level >= .notice }
                #expect(lines.count == 1 && lines.first?.metadata["herald.language"] == "x", "\(lines)")
            }
            #expect(fake.socketMessages(for: Self.english).filter { $0.contains("Speak") }.count == 2, "the default voice")
        }
    }

    @Test func aDefaultVoicePerLanguageIsUsed() async throws {
        try await FallbackChainTests.withFake { fake in
            _ = try await withStack(
                fake, engines: [.init(model: Self.english), .init(model: Self.spanish), .init(model: "espeak-ng")],
                voices: ["es": "\(Self.spanish):javier"]
            ) { pipeline, events, _ in
                #expect(await say(pipeline, events, .text("Hola."), language: "es") == .ended)
            }
            #expect(fake.requests.contains { $0.path.contains("aura-2-es?speaker=javier&") }, "\(fake.requests.map(\.path))")
        }
    }
}
