import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Logging
import Testing

/// The sound server goes away mid-message and comes back: the message fails
/// with a reason, the outage is logged once, and the next message plays.
@Suite(.serialized)
struct DeviceFaultTests {
    let config = ALSATestConfig.shared

    @Test(.timeLimit(.minutes(1)))
    func theDeviceVanishesMidMessageAndComesBack() async throws {
        let socket = config.capture("late.sock")
        var pulse = try PrivatePulseAudio(socket: socket, directory: config.directory)
        var configuration = Configuration()
        configuration.audioDevice = "heraldlate"
        let (logger, logs) = RecordingLogHandler.logger()
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let events = SpeechEventLog(await pipeline.scheduler.events())
        let client = ClientID("device")

        let (long, _) = await pipeline.scheduler.speak(
            .text(String(repeating: "A long message that is cut off when the sound server goes away. ", count: 8)),
            priority: .message, client: client, settings: VoiceSettings())
        let began = await events.wait(for: long, timeout: .seconds(15)) { $0 == .began }
        #expect(began != nil, "\(events.kinds(for: long))")
        try await Task.sleep(for: .milliseconds(300))
        let vanished = ContinuousClock.now
        pulse.stop()
        let failed = await events.waitForEnd(of: long, timeout: .seconds(10))
        print("device gone: \(String(describing: failed?.event.kind)) after \(failed.map { $0.at - vanished } ?? .zero)")
        guard case .failed(let reason)? = failed?.event.kind else {
            Issue.record("the message did not fail: \(events.kinds(for: long))")
            await pipeline.shutDown()
            return
        }
        #expect(reason.contains("audio device"), "\(reason)")

        // While the device is away, a message fails at once instead of waiting.
        let (meanwhile, _) = await pipeline.scheduler.speak(.text("Nobody hears this."), priority: .message, client: client, settings: VoiceSettings())
        let meanwhileEnd = await events.waitForEnd(of: meanwhile, timeout: .seconds(10))
        #expect(meanwhileEnd.map { if case .failed = $0.event.kind { true } else { false } } == true)

        pulse = try PrivatePulseAudio(socket: socket, directory: config.directory)
        defer { pulse.stop() }
        let (next, _) = await pipeline.scheduler.speak(.text("The sound is back."), priority: .message, client: client, settings: VoiceSettings())
        let nextEnd = await events.waitForEnd(of: next, timeout: .seconds(15))
        await pipeline.shutDown()
        #expect(nextEnd?.event.kind == .ended, "\(events.kinds(for: next))")
        let errors = logs.all.filter { $0.level >= .error }
        #expect(errors.count == 1, "reported once: \(errors)")
        #expect(logs.all.contains { $0.level == .info && $0.message.contains("again") }, "its return is said too")
    }

    /// PipeWire killed and started again, as after a crash or `systemctl
    /// --user restart pipewire`: through either plugin, the next message
    /// after its return plays.
    /// (`heraldpwpulse`: ALSA's pulse plugin to pipewire-pulse; `heraldpipewire`: pipewire-alsa's plugin.)
    @Test(.timeLimit(.minutes(1)), arguments: ["heraldpwpulse", "heraldpipewire"])
    func pipeWireRestartedIsFoundAgain(device: String) async throws {
        if device == "heraldpipewire", ALSATestConfig.pipewirePlugin == nil {
            Issue.record("pipewire-alsa's plugin is missing: run packaging/install-deps.sh --test")
            return
        }
        var server: PrivatePipeWire? = try PrivatePipeWire(directory: config.directory)
        var configuration = Configuration()
        configuration.audioDevice = device
        let (logger, _) = RecordingLogHandler.logger()
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let events = SpeechEventLog(await pipeline.scheduler.events())
        let client = ClientID("restart")
        func say(_ text: String) async -> SpeechEventKind? {
            let (id, _) = await pipeline.scheduler.speak(.text(text), priority: .message, client: client, settings: VoiceSettings())
            return await events.waitForEnd(of: id, timeout: .seconds(15))?.event.kind
        }

        #expect(await say("Before the restart.") == .ended)
        server?.stop()
        server = nil
        let meanwhile = await say("Nobody hears this.")
        #expect(meanwhile.map { if case .failed = $0 { true } else { false } } == true, "\(String(describing: meanwhile))")
        server = try PrivatePipeWire(directory: config.directory)
        let back = await say("After the restart.")
        await pipeline.shutDown()
        server?.stop()
        #expect(back == .ended, "\(String(describing: back))")
    }
}
