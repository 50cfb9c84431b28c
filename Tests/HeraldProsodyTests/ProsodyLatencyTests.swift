import HeraldCore
import HeraldProsody
import HeraldSystem
import HeraldTesting
import Testing

/// A sine voice that streams as a cloud voice does: a chunk every `interval`,
/// noting when it yielded its first.
private final class StreamingSine: SpeechEngine {
    let name = "streaming"
    let format = AudioFormat(sampleRate: 24_000)
    var nativeFormat: AudioFormat { format }
    let chunks: [AudioChunk]
    let interval: Duration
    let firstYield = Locked<ContinuousClock.Instant?>(nil)

    init(chunkMilliseconds: Int, interval: Duration) {
        chunks = TestTone.chunks(frequency: 200, seconds: 0.5, format: format, chunkMilliseconds: chunkMilliseconds)
        self.interval = interval
    }

    func voices() async -> [Voice] { [] }

    func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let task = Task { [chunks, interval, firstYield] in
            try? await Task.sleep(for: .milliseconds(2))
            for audio in chunks {
                firstYield.withLock { $0 = $0 ?? .now }
                continuation.yield(.audio(audio))
                try? await Task.sleep(for: interval)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// What the stage adds before a message's first audio, from the engine's
/// first chunk to the stage's first output: sonic's computing only, even for
/// a first chunk shorter than the 31 ms sonic gathers before it gives output
/// (the stage flushes it then).
@Suite(.serialized) struct ProsodyLatencyTests {
    func overhead(chunkMilliseconds: Int, interval: Duration) async throws -> (median: Duration, worst: Duration) {
        var overheads: [Duration] = []
        for _ in 0..<15 {
            let engine = StreamingSine(chunkMilliseconds: chunkMilliseconds, interval: interval)
            for try await output in ProsodyStage(engine).synthesize(SpeechChunk([.text("a phrase")]), settings: VoiceSettings(rate: 60)) {
                guard case .audio = output else { continue }
                let first = try #require(engine.firstYield.withLock { $0 })
                overheads.append(ContinuousClock.now - first)
                break
            }
        }
        let sorted = overheads.sorted()
        return (sorted[sorted.count / 2], sorted[sorted.count - 1])
    }

    @Test func firstAudioOverheadIsPrinted() async throws {
        for (milliseconds, interval) in [(100, Duration.milliseconds(20)), (40, .milliseconds(10)), (20, .milliseconds(5))] {
            let (median, worst) = try await overhead(chunkMilliseconds: milliseconds, interval: interval)
            print("prosody stage, first audio at rate 60 from \(milliseconds) ms chunks every \(interval): "
                + "median \(median) after the engine's first chunk, worst \(worst)")
            // Waiting for the engine's next chunk (what a stage that did not
            // flush would do) costs a whole interval; sonic's computing, well under it.
            #expect(median < interval.timingScaled, "the stage waited for the engine's next chunk")
        }
    }
}
