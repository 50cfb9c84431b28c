import Foundation
import HeraldCore
import Logging
import Testing

@testable import HeraldAudio

/// AlsaSink against real alsa-lib: `type file` PCMs to inspect what was played,
/// and a private PulseAudio where timing matters. Serialized because the tests
/// measure wall and CPU time, and share the one ALSA config of the process.
@Suite(.serialized)
struct AlsaSinkTests {
    let config = ALSATestConfig.shared
    let mono22k = AudioFormat(sampleRate: 22050)

    @Test func filePCMReceivesEverythingPlayed() async throws {
        let sink = AlsaSink(device: "heraldfile", logger: Logger(label: "test.alsa"))
        for chunk in TestTone.chunks(frequency: 440, seconds: 1, format: mono22k) {
            #expect(try await sink.play(chunk) == .completed)
        }
        #expect(try await sink.drain() == .completed)
        sink.shutdown()

        let wav = try WAVFile(path: config.capture("file.wav"))
        print("file PCM: \(wav.frameCount) frames at \(wav.sampleRate) Hz, RMS \(wav.rms())")
        #expect(wav.sampleRate == 22050)
        #expect(wav.channels == 1)
        #expect(abs(wav.frameCount - 22050) <= mono22k.frames(milliseconds: 10))
        #expect(wav.rms() > 0.3)
        #expect(abs(wav.toneFrequency(frames: 0..<wav.frameCount) - 440) < 5)
    }

    @Test func formatChangeReopensAndPlaysBoth() async throws {
        let mono24k = AudioFormat(sampleRate: 24000)
        let sink = AlsaSink(device: "heraldformats", logger: Logger(label: "test.alsa"))
        for chunk in TestTone.chunks(frequency: 440, seconds: 0.5, format: mono22k)
            + TestTone.chunks(frequency: 660, seconds: 0.5, format: mono24k)
        {
            #expect(try await sink.play(chunk) == .completed)
        }
        #expect(try await sink.drain() == .completed)
        sink.shutdown()

        for (format, frequency) in [(mono22k, 440.0), (mono24k, 660.0)] {
            let wav = try WAVFile(path: config.capture("formats-\(format.sampleRate)-1.wav"))
            print("format change: \(wav.frameCount) frames at \(wav.sampleRate) Hz, RMS \(wav.rms())")
            #expect(wav.sampleRate == format.sampleRate)
            #expect(abs(wav.frameCount - format.frames(milliseconds: 500)) <= format.frames(milliseconds: 10))
            #expect(wav.rms() > 0.3)
            #expect(abs(wav.toneFrequency(frames: 0..<wav.frameCount) - frequency) < 5)
        }
    }

    @Test func missingDeviceThrowsEveryTimeAndLogsOnce() async throws {
        let (logger, log) = RecordingLogHandler.logger()
        let sink = AlsaSink(device: "herald_no_such_device", logger: logger)
        defer { sink.shutdown() }
        let chunk = try #require(TestTone.chunks(frequency: 440, seconds: 0.1, format: mono22k).first)
        for _ in 1...3 {
            let start = ContinuousClock.now
            do {
                let outcome = try await sink.play(chunk)
                Issue.record("played to a missing device: \(outcome)")
            } catch {
                #expect(error.code == .deviceUnavailable)
                #expect(error.message.contains("\"herald_no_such_device\""))
                #expect(error.message.contains("aplay -L"))
                #expect(error.message.contains("[audio]"))
                print("missing device: \(error.message)")
            }
            #expect(ContinuousClock.now - start < .milliseconds(500))
        }
        #expect(try await sink.drain() == .completed)
        #expect(log.all.filter { $0.level == .error }.count == 1)
    }

    @Test func pacedPlaybackKeepsTimeStopsAtOnceAndRecovers() async throws {
        let (logger, log) = RecordingLogHandler.logger()
        let sink = AlsaSink(device: "heraldpaced", logger: logger)
        let chunk = try #require(TestTone.chunks(frequency: 440, seconds: 0.1, format: mono22k).first)

        // The server is not up yet: the device is unavailable, and comes back by itself.
        await #expect(throws: AudioError.self) { try await sink.play(chunk) }
        let pulse = try PrivatePulseAudio(socket: config.pulseSocket, directory: config.directory)
        defer { pulse.stop() }

        let start = ContinuousClock.now
        for chunk in TestTone.chunks(frequency: 440, seconds: 3, format: mono22k) {
            #expect(try await sink.play(chunk) == .completed)
        }
        let handedOver = ContinuousClock.now - start
        #expect(try await sink.drain() == .completed)
        let heard = ContinuousClock.now - start
        print("paced: 3 s of audio handed over in \(handedOver), heard after \(heard)")
        #expect(handedOver > .milliseconds(2800) && handedOver < .milliseconds(3300))
        #expect(heard > .milliseconds(2950) && heard < .milliseconds(3600))
        #expect(log.all.contains { $0.level == .info && $0.message.contains("available again") })
        #expect(log.all.filter { $0.level == .error }.count == 1)

        // Idle after a drain: the owner thread sleeps without a timeout and the
        // dropped PCM lets the pulse plugin rest, so the process uses no CPU.
        let cpuBefore = processCPUTime()
        try await Task.sleep(for: .seconds(1))
        let idleCPU = processCPUTime() - cpuBefore
        print("paced: CPU used in 1 s idle after drain: \(idleCPU)")
        #expect(idleCPU < .milliseconds(30))

        // A following play after the idle period works without reopening.
        #expect(try await sink.play(chunk) == .completed)
        #expect(try await sink.drain() == .completed)
        sink.shutdown()
        let wav = try WAVFile(path: config.capture("paced.wav"))
        #expect(abs(wav.frameCount - mono22k.frames(milliseconds: 3100)) <= mono22k.frames(milliseconds: 20))
        #expect(wav.rms() > 0.3)
    }

    @Test func stopFromAnotherThreadDropsAtOnceAndLaterAudioPlays() async throws {
        let pulse = try PrivatePulseAudio(socket: config.pulseSocket, directory: config.directory)
        defer { pulse.stop() }
        let sink = AlsaSink(device: "heraldstopped", logger: Logger(label: "test.alsa"))
        let capture = config.capture("stopped.wav")

        let stopCalled = TimeMark()
        let started = ContinuousClock.now
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.5)
            stopCalled.mark()
            sink.stop()
        }
        var stopped: PlaybackOutcome?
        var returned: ContinuousClock.Instant?
        var framesBeforeStop = 0
        for chunk in TestTone.chunks(frequency: 440, seconds: 3, format: mono22k, chunkMilliseconds: 50) {
            let outcome = try await sink.play(chunk)
            if case .stopped(let accepted) = outcome {
                returned = .now
                stopped = outcome
                framesBeforeStop += accepted
                break
            }
            framesBeforeStop += chunk.frameCount
        }
        let stopAt = try #require(stopCalled.value)
        let returnedAt = try #require(returned, "play never returned .stopped")
        let dropLatency = try #require(sink.lastStopToDropLatency)
        print("stop: called \(stopAt - started) in; stop→drop \(dropLatency), stop→play returned \(returnedAt - stopAt); \(stopped!)")
        #expect(dropLatency < .milliseconds(5))
        #expect(returnedAt - stopAt < .milliseconds(10))

        // Nothing more reaches the device after the stop.
        let sizeAtStop = try FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int
        try await Task.sleep(for: .milliseconds(300))
        let sizeLater = try FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int
        #expect(sizeAtStop == sizeLater)

        // Audio after the stop plays normally.
        for chunk in TestTone.chunks(frequency: 880, seconds: 0.3, format: mono22k) {
            #expect(try await sink.play(chunk) == .completed)
        }
        #expect(try await sink.drain() == .completed)
        sink.shutdown()

        let wav = try WAVFile(path: capture)
        let after = mono22k.frames(milliseconds: 300)
        let before = wav.frameCount - after
        print("stop: captured \(mono22k.seconds(frames: before)) s before the stop (accepted \(framesBeforeStop) frames), then \(after) frames")
        #expect(before >= mono22k.frames(milliseconds: 450))
        #expect(before <= mono22k.frames(milliseconds: 500 + 60))
        #expect(before == framesBeforeStop)
        #expect(abs(wav.toneFrequency(frames: 0..<before) - 440) < 10)
        #expect(abs(wav.toneFrequency(frames: before..<wav.frameCount) - 880) < 10)
        #expect(wav.rms(frames: before..<wav.frameCount) > 0.3)
    }

    @Test func stopAndShutdownEndEveryQueuedRequest() async throws {
        let pulse = try PrivatePulseAudio(socket: config.pulseSocket, directory: config.directory)
        defer { pulse.stop() }
        let sink = AlsaSink(device: "heraldpulse", logger: Logger(label: "test.alsa"))
        let second = TestTone.chunks(frequency: 440, seconds: 1, format: mono22k, chunkMilliseconds: 1000)[0]

        async let first = sink.play(second)
        async let queued = sink.play(second)
        async let drained = sink.drain()
        try await Task.sleep(for: .milliseconds(300))
        sink.stop()
        let outcomes = try await [first, queued, drained]
        print("stop with a queue: \(outcomes)")
        #expect(outcomes.allSatisfy { if case .stopped = $0 { true } else { false } })
        #expect(outcomes.filter { $0 == .stopped(framesAccepted: 0) }.count >= 2)

        async let pending = sink.play(second)
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        sink.shutdown()
        print("shutdown took \(ContinuousClock.now - start)")
        #expect(ContinuousClock.now - start < .milliseconds(100))
        if case .stopped = try await pending {} else { Issue.record("pending play was not stopped by shutdown") }
        #expect(try await sink.play(second) == .stopped(framesAccepted: 0))
    }
}
