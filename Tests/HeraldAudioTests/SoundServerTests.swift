import Foundation
import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldAudio

/// The sink on PipeWire, as desktops reach it: through ALSA's pulse plugin and
/// pipewire-pulse, and through pipewire-alsa's plugin. Neither lets
/// `snd_pcm_delay` reach 0 when a stream runs dry, which made every message
/// wait 5 s and then fail as a stalled device.
@Suite(.serialized, .privatePipeWire)
struct PipeWireSinkTests {
    let mono24k = AudioFormat(sampleRate: 24_000)

    @Test(arguments: [ALSATestConfig.Route.pipewirePulse, .pipewireALSA])
    func messagesEndWhenTheirAudioHasPlayed(route: ALSATestConfig.Route) async throws {
        if route == .pipewireALSA {
            try #require(
                ALSATestConfig.pipewirePlugin != nil,
                "pipewire-alsa's plugin is neither installed nor unpacked; run packaging/install-deps.sh --test")
        }
        let capture = try ALSATestConfig.shared.makeCapture(route: route)
        let (logger, log) = RecordingLogHandler.logger()
        let sink = AlsaSink(device: capture.name, logger: logger)
        defer { sink.shutdown() }
        var lateness: [Duration] = []
        for seconds in [0.6, 0.3, 0.45] {
            let start = ContinuousClock.now
            for chunk in TestTone.chunks(frequency: 440, seconds: seconds, format: mono24k) {
                #expect(try await sink.play(chunk) == .completed)
            }
            #expect(try await sink.drain() == .completed)
            lateness.append(ContinuousClock.now - start - .milliseconds(Int(seconds * 1000)))
        }
        print("\(route): each message ended this long after its audio's length: \(lateness)")
        // The audio's end within 50 ms is what BENCHMARKS.md measures; here, far
        // below the 5 s that a frozen delay cost.
        for late in lateness { #expect(late < .seconds(1).timingScaled) }
        #expect(!log.all.contains { $0.level >= .error }, "\(log.all.map(\.message))")
        let wav = try capture.wav()
        #expect(abs(wav.seconds - 1.35) < 0.05)
        #expect(wav.rms() > 0.3)
    }

    /// pipewire-alsa's plugin asks PipeWire for a quantum of one period, so
    /// 10 ms periods wake heraldd and the server half as often as the 5 ms
    /// that a 20 ms buffer gets by default (BENCHMARKS.md has the figures),
    /// and the buffer stays within the 40 ms of audio ahead of the speaker
    /// that a stop drops and marks run early by.
    @Test func pipewireALSAPlaysInTenMillisecondPeriodsWithinFortyMilliseconds() throws {
        try #require(ALSATestConfig.pipewirePlugin != nil, "run packaging/install-deps.sh --test")
        _ = ALSATestConfig.shared
        for format in [AudioFormat(sampleRate: 22050), mono24k] {
            let device = try PCMDevice(name: "heraldpipewire", format: format)
            let period = Double(device.periodFrames) / Double(format.sampleRate)
            let buffer = Double(device.bufferFrames) / Double(format.sampleRate)
            print("pipewire-alsa at \(format.sampleRate) Hz: \(device.periodFrames)-frame periods, \(device.bufferFrames)-frame buffer")
            #expect(abs(period - 0.010) < 0.001)
            #expect(buffer <= 0.040 && buffer >= 2 * period)
        }
    }
}

/// A sound server that is not running is named, with how to start it.
@Suite struct SoundServerDownTests {
    let mono22k = AudioFormat(sampleRate: 22050)

    @Test(arguments: [
        ("heraldnoserver", "the sound server is not running", "systemctl --user start pipewire-pulse"),
        ("heraldnopipewire", "the PipeWire sound server is not running", "systemctl --user start pipewire"),
    ])
    func theErrorSaysWhichServerAndHowToStartIt(device: String, problem: String, fix: String) async throws {
        if device == "heraldnopipewire" {
            try #require(ALSATestConfig.pipewirePlugin != nil, "run packaging/install-deps.sh --test")
        }
        _ = ALSATestConfig.shared
        let (logger, log) = RecordingLogHandler.logger()
        let sink = AlsaSink(device: device, logger: logger)
        defer { sink.shutdown() }
        let chunk = try #require(TestTone.chunks(frequency: 440, seconds: 0.1, format: mono22k).first)
        do {
            _ = try await sink.play(chunk)
            Issue.record("played with no sound server")
        } catch {
            print("\(device): \(error.message)")
            #expect(error.code == .deviceUnavailable)
            #expect(error.message.contains(problem))
            #expect(error.message.contains(fix))
        }
        #expect(log.all.filter { $0.level == .error }.count == 1)
        if case .soundServerDown(_, let server) = PCMProbe.open(device) {
            #expect(server.problem.hasPrefix(problem))
        } else {
            Issue.record("PCMProbe did not see that the server is down")
        }
    }
}

/// What heraldd tells the sound server about its stream, and that a user's
/// own settings of those variables win.
struct StreamIdentityTests {
    @Test func theRoleIdAndNameAreSetWhereTheUserSetNone() {
        let set = StreamIdentity.variables(for: [:])
        #expect(set["PULSE_PROP"]?.contains("media.role=a11y") == true)
        #expect(set["PULSE_PROP"]?.contains("application.id=org.herald.Herald") == true)
        #expect(set["PULSE_PROP_OVERRIDE"] == "application.name=Herald")
        #expect(set["PIPEWIRE_ALSA"]?.contains(#"media.role = "Accessibility""#) == true)
        #expect(set["PIPEWIRE_ALSA"]?.contains(#"node.name = "Herald""#) == true)
    }

    @Test func aUsersOwnSettingIsKept() {
        let set = StreamIdentity.variables(for: ["PULSE_PROP": "media.role=music", "PIPEWIRE_ALSA": "{ }"])
        #expect(set["PULSE_PROP"] == nil && set["PIPEWIRE_ALSA"] == nil)
        #expect(set["PULSE_PROP_OVERRIDE"] != nil)
    }
}
