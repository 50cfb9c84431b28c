import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Logging
import Testing

/// Cloud voices as the daemon offers them: listed with their language when
/// credentials are set, chosen by id (which picks the engine that has it),
/// and left out with one clear line when the credentials are missing or the
/// token file is readable by others. The token travels only in the
/// Authorization header.
@Suite(.serialized)
struct CloudVoicesTests {
    let config = ALSATestConfig.shared

    @Test func configuredModelsListTheirSpeakersWithLanguage() async throws {
        try await FallbackChainTests.withFake { fake in
            let engines = [
                Configuration.Engine(model: "@cf/deepgram/aura-2-en"), Configuration.Engine(model: "@cf/deepgram/aura-2-es"),
                Configuration.Engine(model: "@cf/myshell-ai/melotts"), Configuration.Engine(model: "espeak-ng"),
            ]
            let (logger, _) = RecordingLogHandler.logger()
            let pipeline = try await SpeechPipeline(
                configuration: Configuration.cloud(fake, engines: engines, device: try config.makeCapture().name), logger: logger)
            let voices = await pipeline.voices()
            await pipeline.shutDown()
            let luna = voices.first { $0.id == "@cf/deepgram/aura-2-en:luna" }
            #expect(luna?.language == "en" && luna?.engine == "@cf/deepgram/aura-2-en")
            #expect(voices.first { $0.id == "@cf/deepgram/aura-2-es:javier" }?.language == "es")
            #expect(voices.first { $0.id == "@cf/myshell-ai/melotts:fr" }?.language == "fr")
            #expect(voices.filter { $0.engine == "@cf/deepgram/aura-2-en" }.count == 40)
            #expect(voices.contains { $0.engine == "espeak-ng" })
            #expect(pipeline.engine.status.map(\.engine) == engines.map(\.model))
        }
    }

    @Test func choosingAVoiceSpeaksWithTheEngineThatHasIt() async throws {
        try await FallbackChainTests.withFake { fake in
            let engines = [
                Configuration.Engine(model: "@cf/deepgram/aura-2-en"), Configuration.Engine(model: "@cf/deepgram/aura-2-es"),
                Configuration.Engine(model: "espeak-ng"),
            ]
            let (logger, _) = RecordingLogHandler.logger()
            let capture = try config.makeCapture()
            let pipeline = try await SpeechPipeline(configuration: Configuration.cloud(fake, engines: engines, device: capture.name), logger: logger)
            let events = SpeechEventLog(await pipeline.scheduler.events())
            var settings = VoiceSettings()
            settings.voice = "@cf/deepgram/aura-2-es:javier"
            let (id, _) = await pipeline.scheduler.speak(.text("Hola, buenos días."), priority: .message, client: ClientID("t"), settings: settings)
            let end = await events.waitForEnd(of: id, timeout: .seconds(10))
            await pipeline.shutDown()
            #expect(end?.event.kind == .ended)
            let upgrades = fake.requests.map(\.path)
            #expect(upgrades.contains { $0.contains("/aura-2-es?speaker=javier&") }, "\(upgrades)")
            #expect(fake.socketMessages.contains(#"{"text":"Hola, buenos días. ","type":"Speak"}"#))
        }
    }

    @Test func theTokenTravelsOnlyInTheAuthorizationHeader() async throws {
        try await FallbackChainTests.withFake { fake in
            let (logger, logs) = RecordingLogHandler.logger()
            for engine in [
                Configuration.Engine(model: "@cf/deepgram/aura-2-en", transport: "websocket"),
                Configuration.Engine(model: "@cf/deepgram/aura-2-en", transport: "post"),
                Configuration.Engine(model: "@cf/myshell-ai/melotts"),
            ] {
                let pipeline = try await SpeechPipeline(
                    configuration: Configuration.cloud(fake, engines: [engine, Configuration.Engine(model: "espeak-ng")], device: try config.makeCapture().name),
                    logger: logger)
                let events = SpeechEventLog(await pipeline.scheduler.events())
                let (id, _) = await pipeline.scheduler.speak(.text("One. Two."), priority: .message, client: ClientID("t"), settings: VoiceSettings())
                let end = await events.waitForEnd(of: id, timeout: .seconds(10))
                await pipeline.shutDown()
                #expect(end?.event.kind == .ended, "\(engine)")
            }
            #expect(fake.requests.filter { $0.method == "POST" }.count >= 2 && fake.requests.contains { $0.method == "GET" })
            for request in fake.requests {
                #expect(request.header("Authorization") == "Bearer \(fake.token)")
                #expect(!request.path.contains(fake.token))
                #expect(!String(decoding: request.body, as: UTF8.self).contains(fake.token))
                #expect(request.headers.filter { $0.value.contains(fake.token) }.map(\.name) == ["Authorization"])
            }
            #expect(!fake.socketMessages.contains { $0.contains(fake.token) })
            #expect(!logs.all.contains { $0.description.contains(fake.token) })
        }
    }

    @Test func aTokenFileOthersCanReadKeepsTheCloudOff() async throws {
        try await FallbackChainTests.withFake { fake in
            let folder = NSTemporaryDirectory() + "herald-token-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let tokenFile = folder + "/token"
            try fake.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            chmod(tokenFile, 0o644)
            var configuration = Configuration.cloud(
                fake, engines: [Configuration.Engine(model: "@cf/deepgram/aura-2-en"), Configuration.Engine(model: "espeak-ng")],
                device: try config.makeCapture().name)
            configuration.cloudflare.apiToken = nil
            configuration.cloudflare.apiTokenFile = tokenFile
            let (logger, logs) = RecordingLogHandler.logger()
            let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
            let voices = await pipeline.voices()
            await pipeline.shutDown()
            #expect(voices.allSatisfy { $0.engine == "espeak-ng" })
            let warnings = logs.all.filter { $0.level >= .warning }
            #expect(warnings.count == 1, "\(warnings)")
            #expect(warnings.first?.message.contains("chmod 600 \(tokenFile)") == true, "\(warnings)")
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func noCredentialsAtAllIsOneLineAndTheOfflineVoice() async throws {
        var configuration = Configuration()
        configuration.audioDevice = try config.makeCapture().name
        configuration.engines = [Configuration.Engine(model: "@cf/deepgram/aura-2-en"), Configuration.Engine(model: "espeak-ng")]
        let (logger, logs) = RecordingLogHandler.logger()
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger, environment: [:])
        let name = pipeline.engineName
        await pipeline.shutDown()
        #expect(name == "espeak-ng")
        let warnings = logs.all.filter { $0.level >= .warning }
        #expect(warnings.count == 1 && warnings.first?.message.contains("CLOUDFLARE_ACCOUNT_ID") == true, "\(warnings)")
    }
}
