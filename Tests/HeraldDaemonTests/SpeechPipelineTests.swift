import HeraldConfig
import Foundation
import HeraldAudio
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Logging
import Testing

/// The daemon's real speech path — scheduler, player, espeak-ng, ALSA sink —
/// built as `heraldd` builds it (`SpeechPipeline`), playing into capture PCMs of
/// the process-wide `ALSATestConfig`. Serialized and under the private
/// PulseAudio because the paced tests measure time and share that server.
@Suite(.serialized, .privatePulseAudio)
struct SpeechPipelineTests {
    let config = ALSATestConfig.shared
    let client = ClientID("test")

    /// Frames per second of espeak-ng's output.
    static let rate = 22050

    @Test func aMessageIsHeardWithBeganThenEnded() async throws {
        let capture = try config.makeCapture()
        let (id, kinds, logs) = try await withStack(device: capture.name) { pipeline, events, logs in
            let (id, arrival) = await pipeline.scheduler.speak(
                .text(SampleText.twoSentences), priority: .message, client: client, settings: VoiceSettings())
            #expect(arrival == .queued)
            let end = await events.waitForEnd(of: id, timeout: .seconds(20))
            #expect(end != nil, "no final event within 20 s: \(events.kinds(for: id))")
            return (id, events.kinds(for: id), logs.all)
        }
        #expect(kinds == [.began, .ended], "events for \(id)")

        let wav = try capture.wav()
        print("file PCM: \(wav.frameCount) frames (\(wav.seconds) s) at \(wav.sampleRate) Hz, RMS \(wav.rms())")
        #expect(wav.sampleRate == Self.rate)
        #expect(wav.channels == 1)
        #expect(wav.seconds > 2 && wav.seconds < 8)
        #expect(wav.rms() > 0.02)
        // Spoken text stays out of logs above debug (DESIGN: privacy).
        #expect(!logs.contains { $0.level > .debug && $0.message.contains("quick brown fox") })
    }

    @Test func cancelSilencesAPacedDeviceAndTheNextMessagePlays() async throws {
        let capture = try config.makeCapture(paced: true)
        try await withStack(device: capture.name) { pipeline, events, _ in
            let (id, _) = await pipeline.scheduler.speak(
                .text(SampleText.paragraphs), priority: .message, client: client, settings: VoiceSettings())
            let began = try #require(await events.wait(for: id, timeout: .seconds(10)) { $0 == .began })
            try await Task.sleep(until: began.at + .milliseconds(500), clock: .continuous)

            let framesAtCancel = capture.framesWritten
            let cancelAt = ContinuousClock.now
            await pipeline.scheduler.cancel(.all)
            let cancelReturned = ContinuousClock.now
            let canceled = try #require(
                await events.waitForEnd(of: id, timeout: .seconds(2)), "no final event within 2 s of the cancel")
            #expect(canceled.event.kind == .canceled)

            var frames: [Int] = []
            for _ in 1...6 {
                try await Task.sleep(for: .milliseconds(50))
                frames.append(capture.framesWritten)
            }
            let growth = (frames.last ?? framesAtCancel) - framesAtCancel
            print(
                "paced cancel: \(seconds(framesAtCancel)) s written 0.5 s after began; cancel() took "
                    + "\(cancelReturned - cancelAt), cancel→canceled \(canceled.at - cancelAt); "
                    + "growth after cancel \(growth) frames (\(seconds(growth)) s), samples every 50 ms: \(frames)")
            #expect(canceled.at - cancelAt < .milliseconds(100).timingScaled)
            #expect(framesAtCancel > 0 && framesAtCancel < Self.rate)
            #expect(growth <= Self.rate / 20, "more than 50 ms of audio reached the device after the cancel")
            #expect(Set(frames.suffix(4)).count == 1, "the capture was still growing 150–300 ms after the cancel")
            #expect(events.kinds(for: id) == [.began, .canceled])

            let nextAt = ContinuousClock.now
            let (next, _) = await pipeline.scheduler.speak(
                .text("This message plays after the cancel."), priority: .message, client: client,
                settings: VoiceSettings())
            let end = await events.waitForEnd(of: next, timeout: .seconds(20))
            let nextBegan = events.first(next) { $0 == .began }
            let grown = capture.framesWritten - (frames.last ?? 0)
            print(
                "paced cancel: next message began after \(nextBegan.map { "\($0.at - nextAt)" } ?? "-"), "
                    + "ended after \(end.map { "\($0.at - nextAt)" } ?? "-"), \(seconds(grown)) s more captured")
            #expect(events.kinds(for: next) == [.began, .ended])
            #expect(grown > Self.rate)
            #expect(await pipeline.scheduler.status().state == .idle)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aMissingDeviceFailsEachMessageWithAReasonAndTheQueueMovesOn() async throws {
        let device = "herald_no_such_device"
        try await withStack(device: device) { pipeline, events, logs in
            var ids: [UtteranceID] = []
            for text in ["First message.", "Second message."] {
                let start = ContinuousClock.now
                let (id, _) = await pipeline.scheduler.speak(
                    .text(text), priority: .message, client: client, settings: VoiceSettings())
                ids.append(id)
                let end = try #require(
                    await events.waitForEnd(of: id, timeout: .seconds(5)), "message \(id) did not end within 5 s")
                print("missing device: message \(id) → \(events.kinds(for: id)) after \(end.at - start)")
                guard case .failed(let reason) = end.event.kind else {
                    Issue.record("expected failed, got \(end.event.kind)")
                    continue
                }
                #expect(reason.contains("\"\(device)\""), "the reason does not name the device: \(reason)")
                #expect(!events.kinds(for: id).contains(.ended))
            }
            let status = await pipeline.scheduler.status()
            #expect(status.state == .idle)
            #expect(status.queued == 0)
            #expect(status.speaking == nil)
            // One outage, one error line: not one per message.
            #expect(logs.all.filter { $0.level >= .error }.count == 1)
            // Began for audio nobody heard would mislead a client.
            for id in ids { #expect(!events.kinds(for: id).contains(.began)) }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aMegabyteOfTextStartsQuicklyInBoundedMemoryAndCancels() async throws {
        let capture = try config.makeCapture()
        let text = SampleText.prose(bytes: 1 << 20)
        try await withStack(device: capture.name) { pipeline, events, _ in
            let baseline = try #require(processResidentBytes())
            let sampler = Task { () -> Int in
                var peak = 0
                while !Task.isCancelled {
                    peak = max(peak, processResidentBytes() ?? 0)
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return peak
            }
            let start = ContinuousClock.now
            let (id, _) = await pipeline.scheduler.speak(
                .text(text), priority: .message, client: client, settings: VoiceSettings())
            let queued = ContinuousClock.now - start
            let began = try #require(
                await events.wait(for: id, timeout: .seconds(10)) { $0 == .began }, "no began within 10 s")
            try await Task.sleep(until: began.at + .seconds(1), clock: .continuous)
            let framesAtCancel = capture.framesWritten
            let cancelAt = ContinuousClock.now
            await pipeline.scheduler.cancel(.all)
            let end = await events.waitForEnd(of: id, timeout: .seconds(2))
            sampler.cancel()
            let peak = await sampler.value
            let growth = max(0, peak - baseline)
            print(
                "megabyte (\(text.utf8.count) bytes): speak() returned after \(queued), began after \(began.at - start); "
                    + "\(seconds(framesAtCancel)) s of audio in the first second; "
                    + "cancel→\(end.map { "\($0.event.kind) \($0.at - cancelAt)" } ?? "nothing"); "
                    + "RSS \(baseline >> 20) MiB → peak \(peak >> 20) MiB (+\(growth >> 20) MiB)")
            #expect(began.at - start < .seconds(2).timingScaled)
            #expect(framesAtCancel > Self.rate, "less than a second of audio in the first second")
            if TimingScale.memoryBoundsHold { #expect(growth < 100 << 20) }
            #expect(end?.event.kind == .canceled)
            #expect(events.kinds(for: id) == [.began, .canceled])
            #expect(await pipeline.scheduler.status().state == .idle)
        }
    }

    @Test func ssmlMarksArriveInOrderBetweenBeganAndEnded() async throws {
        let capture = try config.makeCapture()
        try await withStack(device: capture.name) { pipeline, events, _ in
            let (id, _) = await pipeline.scheduler.speak(
                .ssml(#"<speak>one <mark name="a"/> two <mark name="b"/> three</speak>"#), priority: .message,
                client: client, settings: VoiceSettings())
            #expect(await events.waitForEnd(of: id, timeout: .seconds(20)) != nil)
            #expect(events.kinds(for: id) == [.began, .indexMark("a"), .indexMark("b"), .ended])
        }
        let wav = try capture.wav()
        print("SSML marks: \(wav.seconds) s captured, RMS \(wav.rms())")
        #expect(wav.seconds > 0.5 && wav.rms() > 0.02)
    }

    // MARK: - Helpers

    /// Builds the daemon's pipeline on `device`, runs `body` with an event log
    /// and the recorded logs, and always shuts the pipeline down (closing the PCM,
    /// which finishes the capture file) before returning.
    private func withStack<T>(
        device: String,
        _ body: (SpeechPipeline, SpeechEventLog, RecordingLogHandler.Store) async throws -> T
    ) async throws -> T {
        var configuration = Configuration()
        configuration.audioDevice = device
        let (logger, logs) = RecordingLogHandler.logger(label: "test.daemon")
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let events = SpeechEventLog(await pipeline.scheduler.events())
        do {
            let result = try await body(pipeline, events, logs)
            await pipeline.shutDown()
            return result
        } catch {
            await pipeline.shutDown()
            throw error
        }
    }

    private func seconds(_ frames: Int) -> Double {
        (Double(frames) / Double(Self.rate) * 1000).rounded() / 1000
    }
}
