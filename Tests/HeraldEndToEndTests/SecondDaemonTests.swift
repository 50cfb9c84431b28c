import HeraldTesting
import Testing

/// One daemon per session: a second `heraldd` on the same bus says who owns
/// the name and exits, and the first keeps serving.
@Suite struct SecondDaemonTests {
    @Test func aSecondDaemonExitsNonZeroSayingAnotherOwnsTheName() async throws {
        let first = try await HeraldDaemonProcess.start(name: "first")
        let second = try ChildProcess(
            try BuiltExecutable.path("heraldd"), ["--config", first.configPath], environment: first.environment,
            logPath: first.folder.path("second.out"), errorPath: first.folder.path("second.err"))
        let started = ContinuousClock.now
        let exited = await second.exited(within: .seconds(10))
        let stderr = first.folder.read("second.err")
        print("second heraldd: exit \(second.exitCode.map(String.init) ?? "-") after \(ContinuousClock.now - started): \(stderr)")
        #expect(exited, "the second heraldd still runs after 10 s")
        #expect(second.exitCode.map { $0 != 0 } == true)
        #expect(stderr.contains("another Herald daemon already owns org.herald.Speech1"), "\(stderr)")

        #expect(first.process.isRunning)
        let client = try await first.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak("Still here.")
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(20))?.member == "Ended")
        await client.close()
        #expect(await first.stop() == 0, "\(first.log)")
    }
}
