import HeraldDBus
import HeraldTesting
import Testing

/// A message spoken from end to end: the D-Bus call, the signals a screen
/// reader follows, and the audio that reached the (captured) sound card.
@Suite struct SpokenMessageTests {
    /// espeak-ng's output rate.
    static let rate = 22050

    @Test func plainTextSignalsBeganThenEndedAndIsHeard() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "plain")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let sent = ContinuousClock.now
        let id = try await client.speak(SampleText.short)
        let replied = ContinuousClock.now - sent
        let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
        #expect(end != nil, "no end within 20 s: \(signals.all)\n\(daemon.log)")
        #expect(signals.sequence(for: id) == ["Began", "Ended"])
        let began = try #require(signals.first(id, ["Began"]))
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")

        let wav = try daemon.capture.wav()
        print(
            "plain Speak: daemon up in \(daemon.startup), reply in \(replied), Began after \(began.at - sent), "
                + "Ended after \((end?.at).map { $0 - sent }.map(String.init(describing:)) ?? "-"); "
                + "captured \(wav.seconds) s at \(wav.sampleRate) Hz, RMS \(wav.rms())")
        #expect(wav.sampleRate == Self.rate)
        #expect(wav.seconds > 1.5 && wav.seconds < 6, "\(wav.seconds) s for a two-second sentence")
        #expect(wav.rms() > 0.02, "the capture is silent")
        #expect(began.at - sent < .seconds(2).timingScaled, "Began came \(began.at - sent) after Speak")
        // Spoken text stays out of the daemon's log at its default level.
        #expect(!daemon.log.contains("lazy dog"), "the log quotes spoken text")
    }

    /// A client that speaks the moment the name appears (as `herald speak`
    /// does after starting the daemon) must get every signal: a lost Ended
    /// leaves `herald speak --wait` waiting for ever. Several fresh daemons,
    /// because the window is short.
    @Test func aMessageSpokenAsSoonAsTheNameAppearsGetsAllItsSignals() async throws {
        var lost: [String] = []
        for round in 0..<8 {
            let daemon = try await HeraldDaemonProcess.start(name: "first-message-\(round)")
            let client = try await daemon.connect()
            let signals = try await client.signalLog()
            let id = try await client.speak("A.")
            let end = await signals.waitForEnd(of: id, timeout: .seconds(10))
            if end == nil || signals.sequence(for: id) != ["Began", "Ended"] {
                lost.append("round \(round): \(signals.sequence(for: id))")
            }
            await client.close()
            await daemon.stop()
        }
        #expect(
            lost.isEmpty,
            "signals lost for a message spoken right after heraldd took its name (Speech1Service subscribes to the scheduler's events only in run(), after start() has exported the object and taken the name): \(lost)")
    }

    @Test func ssmlMarksArriveInOrderBetweenBeganAndEnded() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "marks")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let ssml = """
            <speak>First words. <mark name="one"/>Then a few more words here. \
            <mark name="two"/>And the last sentence of all.<mark name="end"/></speak>
            """
        let sent = ContinuousClock.now
        let id = try await client.speak(ssml, "message", ["ssml": .bool(true)])
        let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
        #expect(end?.member == "Ended", "\(signals.all)\n\(daemon.log)")
        let sequence = signals.sequence(for: id)
        print("SSML Speak: \(sequence), at \(signals.all.filter { $0.id == id }.map { $0.at - sent })")
        #expect(sequence == ["Began", "IndexMark(one)", "IndexMark(two)", "IndexMark(end)", "Ended"])
        await client.close()
        #expect(await daemon.stop() == 0)

        let wav = try daemon.capture.wav()
        #expect(wav.seconds > 2 && wav.seconds < 10, "\(wav.seconds) s")
        #expect(wav.rms() > 0.02)
        // The markup is not read out: three short sentences, not a recital of tags.
        #expect(wav.seconds < 8)
    }

    @Test func badSSMLGetsAnErrorOrIsSpokenButNeverKillsTheDaemon() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "bad-ssml")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        for markup in ["<speak>unclosed", "<speak><mark/></speak>", "not markup at all & <", "<speak></speak>"] {
            let result: Result<UInt64, DBusError>
            do { result = .success(try await client.speak(markup, "message", ["ssml": .bool(true)])) } catch { result = .failure(error) }
            switch result {
            case .success(let id):
                let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
                print("SSML \(markup.debugDescription): \(signals.sequence(for: id))")
                #expect(end != nil, "no end for \(markup.debugDescription)")
            case .failure(let error):
                print("SSML \(markup.debugDescription): \(error)")
                #expect(error.name.hasPrefix(HeraldDaemonProcess.errorPrefix), "\(error)")
            }
            #expect(try await client.status()["state"] != nil)
        }
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}
