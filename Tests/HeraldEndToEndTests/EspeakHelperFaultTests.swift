import Foundation
import HeraldTesting
import Testing

/// espeak-ng runs in `herald-espeak`, a helper process heraldd supervises:
/// a helper that crashes or hangs costs the chunk it was speaking (the
/// message fails with a reason, as the offline voice is the only engine
/// here), it is replaced, and the next message is heard. Real heraldd, real
/// helper, real signals; paced audio so that a message is still playing
/// when the fault comes.
@Suite(.serialized, .privatePulseAudio)
struct EspeakHelperFaultTests {
    @Test func aHelperKilledMidMessageCostsThatMessageAndTheNextIsHeard() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "espeak-kill", paced: true)
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let first = try #require(EspeakHelperProcess.of(daemon.process.pid), "no herald-espeak under heraldd")

        // Mid-audio: the helper is usually idle between chunks (the next is
        // made while this one plays), so the message either goes on with a
        // new helper or fails with the reason; either way it ends.
        let long = try await client.speak(SampleText.long)
        #expect(await signals.wait(for: long, ["Began"], timeout: .seconds(10)) != nil, "\(signals.all)\n\(daemon.log)")
        try await Task.sleep(for: .milliseconds(700))
        kill(first, SIGKILL)
        let second = try await EspeakHelperProcess.replacement(of: first, under: daemon.process.pid)
        _ = try await client.call("Cancel", [.string("\(long)")])
        let longEnd = await signals.waitForEnd(of: long, timeout: .seconds(10))
        #expect(longEnd != nil, "the message spoken when the helper died never ended: \(signals.all)\n\(daemon.log)")

        // The new helper serves.
        let between = try await client.speak("Between.")
        #expect(await signals.waitForEnd(of: between, timeout: .seconds(10))?.member == "Ended", "\(signals.all)\n\(daemon.log)")

        // A request pending in the helper when it dies: stopped first, so it cannot answer before the kill.
        kill(second, SIGSTOP)
        let pending = try await client.speak(SampleText.short)
        try await Task.sleep(for: .milliseconds(300))
        let killedAt = ContinuousClock.now
        kill(second, SIGKILL)
        let failed = await signals.waitForEnd(of: pending, timeout: .seconds(10))
        print("helper killed: \(signals.sequence(for: pending)) \((failed?.at).map { $0 - killedAt }.map(String.init(describing:)) ?? "-") after the kill")
        #expect(failed?.member == "Failed", "\(signals.all)\n\(daemon.log)")
        #expect(failed?.detail?.contains("herald-espeak was killed by signal 9") == true, "reason: \(failed?.detail ?? "-")")
        #expect((failed?.at).map { $0 - killedAt < .seconds(2).timingScaled } == true, "the failure took over 2 s")

        let framesBefore = daemon.capture.framesWritten
        let next = try await client.speak(SampleText.short)
        let end = await signals.waitForEnd(of: next, timeout: .seconds(20))
        #expect(end?.member == "Ended", "the message after the crash: \(signals.sequence(for: next))\n\(daemon.log)")
        #expect(EspeakHelperProcess.of(daemon.process.pid).map { $0 != second } == true, "no new helper")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
        let wav = try daemon.capture.wav()
        let after = Array(wav.samples.dropFirst(framesBefore))
        let seconds = Double(after.count) / 22050
        let rms = (after.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, after.count))).squareRoot() / 32768
        print("after the crash: \(seconds) s captured, RMS \(rms)")
        #expect(seconds > 1.5, "\(seconds) s for a two-second sentence")
        #expect(rms > 0.02, "the message after the crash is silent")
        #expect(daemon.log.contains("espeak-ng helper replaced"))
    }

    @Test func aHungHelperIsReplacedWithinTheBoundAndTheNextMessageIsHeard() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "espeak-hang", paced: true)
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let hung = try #require(EspeakHelperProcess.of(daemon.process.pid), "no herald-espeak under heraldd")

        // Stopped mid-message: the next chunk's request waits on it, as on a
        // libespeak-ng call that never returns.
        let long = try await client.speak(SampleText.long)
        #expect(await signals.wait(for: long, ["Began"], timeout: .seconds(10)) != nil, "\(signals.all)\n\(daemon.log)")
        try await Task.sleep(for: .milliseconds(500))
        let stoppedAt = ContinuousClock.now
        kill(hung, SIGSTOP)
        let failed = await signals.waitForEnd(of: long, timeout: .seconds(25))
        let took = (failed?.at).map { $0 - stoppedAt }
        print("helper hung: \(failed?.description ?? "-") \(took.map(String.init(describing:)) ?? "-") after SIGSTOP")
        #expect(failed?.member == "Failed", "\(signals.all)\n\(daemon.log)")
        #expect(failed?.detail?.contains("sent nothing for 5") == true, "reason: \(failed?.detail ?? "-")")
        // The bound (5 s) from the request, which comes when the chunk before it starts playing.
        #expect(took.map { $0 < .seconds(20).timingScaled } == true)
        #expect(isGone(hung), "the hung helper was not killed")

        let framesBefore = daemon.capture.framesWritten
        let next = try await client.speak(SampleText.short)
        let end = await signals.waitForEnd(of: next, timeout: .seconds(20))
        #expect(end?.member == "Ended", "the message after the hang: \(signals.sequence(for: next))\n\(daemon.log)")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
        let wav = try daemon.capture.wav()
        let after = Array(wav.samples.dropFirst(framesBefore))
        let rms = (after.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, after.count))).squareRoot() / 32768
        print("after the hang: \(Double(after.count) / 22050) s captured, RMS \(rms)")
        #expect(Double(after.count) / 22050 > 1.5)
        #expect(rms > 0.02, "the message after the hang is silent")
    }

    /// A helper that dies as soon as it starts (killed here the moment each
    /// appears) is restarted with a growing back-off, not in a tight loop, and
    /// the offline voice speaks again once one stays up.
    @Test func aHelperThatKeepsDyingIsRestartedWithABackOff() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "espeak-crashloop")
        var helper = try #require(EspeakHelperProcess.of(daemon.process.pid), "no herald-espeak under heraldd")
        // The first has lived over a second by now: its death is an ordinary replacement.
        try await Task.sleep(for: .milliseconds(1100))
        var appeared: [ContinuousClock.Instant] = []
        for _ in 0..<5 {
            kill(helper, SIGKILL)
            helper = try await EspeakHelperProcess.replacement(of: helper, under: daemon.process.pid)
            appeared.append(.now)
        }
        let gaps = zip(appeared.dropFirst(), appeared).map { $0 - $1 }
        print("helpers killed at start: restarted after \(gaps)")
        // Back-off 0.1, 0.2, 0.4, 0.8 s between the four restarts after the first quick death.
        #expect(gaps.last.map { $0 >= .milliseconds(600) } == true, "no back-off: \(gaps)")
        #expect(daemon.log.contains("espeak-ng helper could not start; retrying"), "\(daemon.log)")

        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak(SampleText.short)
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(20))?.member == "Ended", "\(signals.all)\n\(daemon.log)")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    /// The helper holds only its socket and standard descriptors, keeps none
    /// of heraldd's environment beyond what libespeak-ng reads, and dies with heraldd.
    @Test func theHelperInheritsNothingAndDiesWithTheDaemon() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "espeak-fds")
        let helper = try #require(EspeakHelperProcess.of(daemon.process.pid), "no herald-espeak under heraldd")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak(SampleText.short)
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(20))?.member == "Ended", "\(daemon.log)")
        await client.close()
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(helper)/fd").compactMap(Int.init).sorted()
        #expect(descriptors == [0, 1, 2, 3], "the helper holds \(descriptors)")
        // Non-dumpable as heraldd is, so only root reads this; the test may be root.
        if let environ = try? String(contentsOfFile: "/proc/\(helper)/environ", encoding: .utf8) {
            let names = environ.split(separator: "\0").map { $0.prefix { $0 != "=" } }
            #expect(names.allSatisfy { ["HOME", "ESPEAK_DATA_PATH"].contains($0) }, "the helper's environment: \(names)")
        }
        print("heraldd RSS \((processResidentBytes(pid: daemon.process.pid) ?? 0) >> 10) kB, herald-espeak RSS \((processResidentBytes(pid: helper) ?? 0) >> 10) kB")
        daemon.process.send(SIGKILL)
        _ = await daemon.process.exited(within: .seconds(5))
        let deadline = ContinuousClock.now + .seconds(5)
        while !isGone(helper), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(isGone(helper), "herald-espeak outlived a killed heraldd")
        daemon.bus.stop()
    }
}

/// Finds heraldd's `herald-espeak` child through /proc.
enum EspeakHelperProcess {
    static func of(_ parent: pid_t) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            let name = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // "pid (comm) state ppid …"
            if name == "herald-espeak", fields.count > 1, pid_t(fields[1]) == parent, !isGone(pid) { return pid }
        }
        return nil
    }

    /// Waits for heraldd to have started a helper other than `old`.
    static func replacement(of old: pid_t, under parent: pid_t) async throws -> pid_t {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let pid = of(parent), pid != old { return pid }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ChildProcess.SpawnError(description: "heraldd started no new herald-espeak within 10 s")
    }

}
