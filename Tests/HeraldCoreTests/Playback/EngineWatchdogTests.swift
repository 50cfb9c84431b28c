import HeraldCore
import HeraldTesting
import Logging
import Testing

/// An engine that hangs is let go by the chain's watchdog: the chunk goes to
/// the next engine, the hung one rests, and the queue speaks on.
struct EngineWatchdogTests {
    let logger = Logger(label: "test.watchdog")

    func audioSeconds(_ stream: AsyncThrowingStream<SynthesisOutput, any Error>) async throws -> Double {
        var seconds = 0.0
        for try await output in stream {
            if case .audio(let audio) = output { seconds += audio.format.seconds(frames: audio.frameCount) }
        }
        return seconds
    }

    @Test func aHungEngineIsLeftForTheNext() async throws {
        let hanging = HangingEngine()
        let tone = ToneEngine()
        let chain = await EngineChain(engines: [hanging, tone], watchdog: .milliseconds(300), logger: logger)
        let start = ContinuousClock.now
        let seconds = try await audioSeconds(chain.synthesize(SpeechChunk([.text("Hello there.")]), settings: VoiceSettings()))
        let elapsed = ContinuousClock.now - start
        print("hung engine: left after \(elapsed)")
        #expect(abs(seconds - 0.12) < 0.001, "the tone engine spoke it all")
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(3).timingScaled)
        #expect(hanging.stopped == 1, "the hung engine's stream was dropped")
        #expect(chain.status[0].lastError?.message.contains("hung") == true)
        #expect(chain.name == "tone", "the hung engine rests")
        // The next chunk does not wait for it.
        let next = ContinuousClock.now
        _ = try await audioSeconds(chain.synthesize(SpeechChunk([.text("Again.")]), settings: VoiceSettings()))
        #expect(ContinuousClock.now - next < .milliseconds(250).timingScaled)
    }

    @Test func aHangMidChunkHandsOverTheRest() async throws {
        // 0.5 s of audio (about seven characters at 15 a second), then silence forever.
        let hanging = HangingEngine(framesBeforeHanging: 4000)
        let chain = await EngineChain(engines: [hanging, ToneEngine()], watchdog: .milliseconds(300), logger: logger)
        let text = "Seven words of text are spoken here today."
        let seconds = try await audioSeconds(chain.synthesize(SpeechChunk([.text(text)]), settings: VoiceSettings()))
        print("hang mid-chunk: \(seconds) s in all")
        #expect(seconds > 0.5 + 0.2 && seconds < 0.5 + 0.01 * Double(text.count), "the rest, not all of it again")
    }

    @Test func theQueueSpeaksOnPastAHungEngine() async throws {
        let sink = RecordingSink()
        let chain = await EngineChain(engines: [HangingEngine(), ToneEngine()], watchdog: .milliseconds(200), logger: logger)
        let player = Player(engine: chain, sink: sink, preparer: TextPreparer(maxChunkCharacters: 200), logger: logger)
        let scheduler = Scheduler(player: player, logger: logger)
        let events = SpeechEventLog(await scheduler.events())
        var ids: [UtteranceID] = []
        for text in ["One.", "Two.", "Three."] {
            ids.append(await scheduler.speak(.text(text), priority: .message, client: ClientID("t"), settings: VoiceSettings()).0)
        }
        for id in ids {
            let end = await events.waitForEnd(of: id, timeout: .seconds(5))
            #expect(end?.event.kind == .ended, "\(events.kinds(for: id))")
        }
        await scheduler.shutDown()
    }
}
