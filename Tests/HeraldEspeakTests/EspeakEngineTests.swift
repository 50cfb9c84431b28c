import HeraldCore
import HeraldEspeak
import Logging
import HeraldTesting
import Testing

/// The real libespeak-ng: audio that is speech-length and not silence, marks
/// in the right places, streaming, voices, settings.
struct EspeakEngineTests {
    let engine: EspeakEngine

    init() throws {
        engine = try EspeakEngine(logger: Logger(label: "test"))
    }

    func run(_ chunk: SpeechChunk, settings: VoiceSettings = VoiceSettings()) async throws -> [SynthesisOutput] {
        var outputs: [SynthesisOutput] = []
        for try await output in engine.synthesize(chunk, settings: settings) { outputs.append(output) }
        return outputs
    }

    func frames(_ outputs: [SynthesisOutput]) -> Int {
        outputs.reduce(0) { total, output in
            if case .audio(let chunk) = output { return total + chunk.frameCount }
            return total
        }
    }

    @Test func aSentenceIsSpeechLengthAndNotSilence() async throws {
        let outputs = try await run(SpeechChunk([.text("The quick brown fox jumps over the lazy dog.")]))
        let seconds = engine.nativeFormat.seconds(frames: frames(outputs))
        #expect(seconds > 1.5 && seconds < 5, "about 2.5 s of speech, got \(seconds) s")
        let samples = outputs.flatMap { output -> [Int16] in
            if case .audio(let chunk) = output { return chunk.samples }
            return []
        }
        let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
        #expect(rms > 500, "not silence (RMS \(rms))")
    }

    @Test func audioStreamsInPiecesAsItIsMade() async throws {
        let text = String(repeating: "This sentence is one of many. ", count: 6)
        let outputs = try await run(SpeechChunk([.text(text)]))
        let pieces = outputs.filter { if case .audio = $0 { true } else { false } }
        #expect(pieces.count > 20, "streamed in small buffers, not one block (\(pieces.count) pieces)")
    }

    @Test func marksComeBetweenTheWordsTheyMark() async throws {
        let outputs = try await run(
            SpeechChunk([.mark("start"), .text("First part of the sentence, "), .mark("middle"), .text("and the second part."), .mark("end")]))
        let marks = outputs.compactMap { output -> String? in
            if case .mark(let name) = output { return name }
            return nil
        }
        #expect(marks == ["start", "middle", "end"])
        var framesBefore: [String: Int] = [:]
        var total = 0
        for output in outputs {
            switch output {
            case .audio(let chunk): total += chunk.frameCount
            case .mark(let name): framesBefore[name] = total
            }
        }
        let middle = Double(framesBefore["middle"] ?? 0) / Double(total)
        #expect(framesBefore["start"] ?? -1 < engine.nativeFormat.frames(milliseconds: 100))
        #expect(middle > 0.3 && middle < 0.7, "the middle mark sits near the middle of the audio (\(middle))")
        #expect(framesBefore["end"] ?? 0 >= total - engine.nativeFormat.frames(milliseconds: 400))
    }

    @Test func rateChangesTheLength() async throws {
        let chunk = SpeechChunk([.text("Speaking rate should change how long this takes to say.")])
        let slow = frames(try await run(chunk, settings: VoiceSettings(rate: -80)))
        let normal = frames(try await run(chunk))
        let fast = frames(try await run(chunk, settings: VoiceSettings(rate: 80)))
        #expect(slow > normal && normal > fast, "slow \(slow), normal \(normal), fast \(fast)")
    }

    @Test func volumeScalesTheSamples() async throws {
        let chunk = SpeechChunk([.text("Loud and quiet.")])
        func peak(_ outputs: [SynthesisOutput]) -> Int {
            outputs.reduce(0) { best, output in
                if case .audio(let chunk) = output { return max(best, chunk.samples.map { abs(Int($0)) }.max() ?? 0) }
                return best
            }
        }
        let loud = peak(try await run(chunk))
        let quiet = peak(try await run(chunk, settings: VoiceSettings(volume: -60)))
        #expect(quiet < loud / 2, "quiet \(quiet), loud \(loud)")
    }

    @Test func voicesComeFromTheLibrary() async {
        let voices = await engine.voices()
        #expect(voices.count > 50)
        #expect(voices.contains { $0.language.hasPrefix("en") && $0.engine == "espeak-ng" })
        #expect(voices.contains { $0.language == "es" })
        #expect(Set(voices.map(\.id)).count == voices.count, "ids are unique")
    }

    @Test func aLanguageOrVoiceSelectsIt() async throws {
        let chunk = SpeechChunk([.text("Hola, ¿cómo estás?")])
        #expect(frames(try await run(chunk, settings: VoiceSettings(language: "es"))) > 0)
        #expect(frames(try await run(chunk, settings: VoiceSettings(voice: "espeak-ng:roa/es"))) > 0)
        #expect(frames(try await run(chunk, settings: VoiceSettings(voice: "no-such-voice"))) > 0, "falls back to English")
    }

    @Test func cancellingStopsSynthesis() async throws {
        // About 100 minutes of speech: several seconds of synthesis unless the abandoned request is aborted.
        let long = String(repeating: "This is a long text that takes a while to synthesise. ", count: 2000)
        var received = 0
        for try await output in engine.synthesize(SpeechChunk([.text(long)]), settings: VoiceSettings()) {
            if case .audio = output { received += 1 }
            if received == 3 { break }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let next = try await run(SpeechChunk([.text("Next.")]))
        #expect(frames(next) > 0)
        #expect(clock.now - start < .seconds(3).timingScaled, "the abandoned request did not hold the engine (its whole text takes longer)")
    }

    @Test func markupCharactersInTextAreSpokenNotParsed() async throws {
        let outputs = try await run(SpeechChunk([.text("a < b & c > d \"quoted\"")]))
        #expect(frames(outputs) > engine.nativeFormat.frames(milliseconds: 500))
    }
}

/// A stop mid-chunk reaches libespeak-ng (in its helper process) at its next
/// buffer: the next request's first audio follows within a fraction of a
/// second, where finishing the abandoned text would take many seconds.
struct EspeakCancellationTests {
    @Test func cancellingMidChunkStopsAtOnce() async throws {
        let engine = try EspeakEngine(logger: Logger(label: "test"))
        let long = String(repeating: "This is a long text that takes a while to synthesise. ", count: 2000)
        var received = 0
        for try await output in engine.synthesize(SpeechChunk([.text(long)]), settings: VoiceSettings()) {
            if case .audio = output { received += 1 }
            if received == 2 { break }
        }
        let clock = ContinuousClock()
        let stoppedAt = clock.now
        var firstAudio: Duration?
        for try await output in engine.synthesize(SpeechChunk([.text("Next.")]), settings: VoiceSettings()) {
            if case .audio = output, firstAudio == nil { firstAudio = clock.now - stoppedAt }
        }
        print("after a cancel mid-chunk, the next request's first audio came in \(firstAudio.map(String.init(describing:)) ?? "-")")
        #expect(firstAudio.map { $0 < .milliseconds(500).timingScaled } == true, "\(String(describing: firstAudio))")
    }
}
