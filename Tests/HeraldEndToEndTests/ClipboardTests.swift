import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// A selection owned by a real `xclip` on a private Xvfb display, which
/// `herald clipboard` reads as it would on a desktop. The text reaches xclip
/// through a file, never an argument.
final class SelectionOwner {
    private let process: ChildProcess

    /// Serves `data` as `selection` (`clipboard` or `primary`) with `target`
    /// (xclip's default is UTF8_STRING); returns once a reader sees it.
    init(_ data: Data, selection: String = "clipboard", target: String? = nil, x: PrivateXServer, folder: RunFolder) async throws {
        let name = "selection-\(UUID().uuidString.prefix(8))"
        let file = folder.path(name)
        try data.write(to: URL(fileURLWithPath: file))
        let xclip = try ChildProcess.find("xclip")
        process = try ChildProcess(
            xclip, ["-i", "-selection", selection, "-quiet"] + (target.map { ["-t", $0] } ?? []) + [file],
            environment: x.environment(ProcessInfo.processInfo.environment), logPath: folder.path("\(name).log"))
        // Owned once TARGETS can be read from it.
        let deadline = ContinuousClock.now + .seconds(10)
        var reader = ""
        while ContinuousClock.now < deadline, process.isRunning {
            let targets = try await runCommand(
                xclip, ["-o", "-selection", selection, "-t", "TARGETS"], environment: x.environment(ProcessInfo.processInfo.environment))
            if targets?.status == 0, targets?.output.contains("TARGETS") == true { return }
            reader = targets?.errorOutput ?? ""
            try await Task.sleep(for: .milliseconds(20))
        }
        let state = process.isRunning ? "still running" : "exited (status \(process.exitCode.map(String.init) ?? "-"))"
        throw ChildProcess.SpawnError(
            description: "xclip did not own the \(selection) selection within 10 s; it \(state), and said:\n"
                + ((try? String(contentsOfFile: folder.path("\(name).log"), encoding: .utf8)) ?? "")
                + "the last reader said: \(reader)")
    }

    deinit { process.terminate() }
}

/// `herald clipboard` under Xvfb with real xclip: the clipboard and the
/// primary selection are spoken into the test PCM; images, megabytes and an
/// empty or tool-less session get one clear line and a non-zero exit, with
/// the daemon unaffected.
@Suite struct ClipboardTests {
    @Test func clipboardAndPrimarySelectionAreSpoken() async throws {
        let x = try await PrivateXServer.launch()
        let daemon = try await HeraldDaemonProcess.start(name: "clipboard")
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        let environment = x.environment(daemon.environment)

        for (selection, arguments) in [("clipboard", ["clipboard"]), ("primary", ["clipboard", "--primary"])] {
            let owner = try await SelectionOwner(Data(SampleText.short.utf8), selection: selection, x: x, folder: daemon.folder)
            let before = signals.all.count
            let framesBefore = daemon.capture.framesWritten
            let result = try await herald(arguments, environment: environment)
            print("herald \(arguments.joined(separator: " ")): exit \(result.status) after \(result.duration)")
            #expect(result.status == 0, "\(result)\n\(daemon.log)")
            #expect(result.output.isEmpty && result.errorOutput.isEmpty, "\(result)")
            let began = try await #require(waitForNew("Began", in: signals, after: before), "no message began:\n\(daemon.log)")
            let end = await signals.waitForEnd(of: began.id, timeout: .seconds(20))
            #expect(end?.member == "Ended", "\(signals.sequence(for: began.id))")
            // The capture PCM stays open between messages: this message's audio is what was added.
            let wav = try daemon.capture.wav()
            let frames = (framesBefore..<wav.frameCount)
            let seconds = Double(frames.count) / Double(wav.sampleRate)
            print("herald clipboard (\(selection)): \(seconds) s of audio, RMS \(wav.rms(frames: frames))")
            #expect(seconds > 1.0 && seconds < 8, "\(seconds) s for the fox sentence")
            #expect(wav.rms(frames: frames) > 0.02)
            withExtendedLifetime(owner) {}
        }
        await monitor.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func badSelectionsAreRefusedWithOneLine() async throws {
        let x = try await PrivateXServer.launch()
        let daemon = try await HeraldDaemonProcess.start(name: "clipboard-bad")
        let environment = x.environment(daemon.environment)

        func refused(_ arguments: [String], _ environment: [String: String], saying expected: String) async throws {
            let result = try await herald(arguments, environment: environment)
            print("herald \(arguments.joined(separator: " ")) → exit \(result.status): \(result.errorOutput)", terminator: "")
            #expect(result.status == 1, "\(result)")
            #expect(result.errorOutput.hasPrefix("herald: ") && result.errorOutput.contains(expected), "\(result)")
            #expect(result.errorOutput.split(separator: "\n").count == 1, "not one line: \(result)")
            #expect(result.output.isEmpty)
        }

        // Nobody owns the selection.
        try await refused(["clipboard"], environment, saying: "the clipboard is empty; copy some text first")
        try await refused(["clipboard", "--primary"], environment, saying: "the primary selection is empty; select some text first")

        // Only whitespace.
        var owner = try await SelectionOwner(Data(" \n\t ".utf8), x: x, folder: daemon.folder)
        try await refused(["clipboard"], environment, saying: "the clipboard is empty")

        // An image: only image/png is offered.
        owner = try await SelectionOwner(Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 1, 2]), target: "image/png", x: x, folder: daemon.folder)
        try await refused(["clipboard"], environment, saying: "holds an image (image/png), not text")

        // Three megabytes of text.
        owner = try await SelectionOwner(Data(String(repeating: SampleText.paragraph + " ", count: (3 << 20) / SampleText.paragraph.utf8.count).utf8), x: x, folder: daemon.folder)
        try await refused(["clipboard"], environment, saying: "holds more than 1 MiB of text")
        withExtendedLifetime(owner) {}

        // No clipboard tool on PATH, or no graphical session at all.
        let emptyFolder = daemon.folder.url.appendingPathComponent("empty-path").path
        try FileManager.default.createDirectory(atPath: emptyFolder, withIntermediateDirectories: true)
        var noTools = environment
        noTools["PATH"] = emptyFolder
        try await refused(["clipboard"], noTools, saying: "no clipboard tool: install xclip (or xsel)")
        noTools["WAYLAND_DISPLAY"] = "wayland-herald-test"
        try await refused(["clipboard"], noTools, saying: "install wl-clipboard (it provides wl-paste)")
        var noSession = environment
        noSession["DISPLAY"] = nil
        try await refused(["clipboard"], noSession, saying: "neither WAYLAND_DISPLAY nor DISPLAY is set")

        // The daemon never saw any of it and still serves.
        let status = try await herald(["status"], environment: environment)
        #expect(status.output.contains("state: idle") && status.output.contains("queued: 0"), "\(status)")
        #expect(daemon.process.isRunning)
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    /// Wayland's tool, stood in for by a script that answers as wl-paste does,
    /// to check the arguments and the type choice (no compositor here).
    @Test func waylandUsesWlPaste() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "clipboard-wayland")
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        let tools = daemon.folder.url.appendingPathComponent("wl-tools").path
        try daemon.folder.write("clip.txt", "Text from Wayland.")
        try daemon.folder.write(
            "wl-tools/wl-paste",
            """
            #!/bin/sh
            echo "$*" >> \(daemon.folder.path("wl-paste.calls"))
            case "$*" in
                *--list-types*) printf 'text/html\\ntext/plain;charset=utf-8\\nTEXT\\n' ;;
                *) cat \(daemon.folder.path("clip.txt")) ;;
            esac
            """)
        chmod(tools + "/wl-paste", 0o755)
        var environment = daemon.environment
        environment["WAYLAND_DISPLAY"] = "wayland-herald-test"
        environment["DISPLAY"] = nil
        environment["PATH"] = tools + ":" + (environment["PATH"] ?? "/usr/bin")
        let before = signals.all.count
        let result = try await herald(["clipboard", "--primary"], environment: environment)
        #expect(result.status == 0, "\(result)")
        let began = try await #require(waitForNew("Began", in: signals, after: before))
        #expect(await signals.waitForEnd(of: began.id, timeout: .seconds(20))?.member == "Ended")
        let calls = daemon.folder.read("wl-paste.calls").split(separator: "\n")
        print("wl-paste was called with: \(calls)")
        #expect(calls == ["--primary --list-types", "--primary --no-newline --type text/plain;charset=utf-8"])
        #expect(try daemon.capture.wav().seconds > 0.5)
        await monitor.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}

/// `speak-clipboard` (= `herald clipboard --toggle`) on the paced device,
/// where a long reading takes real time: a second press stops it, a third
/// speaks again, and a reading not started by it is never stopped by it.
@Suite(.privatePulseAudio)
struct ClipboardToggleTests {
    @Test func toggleStopsARunningRead() async throws {
        let x = try await PrivateXServer.launch()
        let daemon = try await HeraldDaemonProcess.start(name: "clipboard-toggle", paced: true)
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        let owner = try await SelectionOwner(Data(SampleText.long.utf8), x: x, folder: daemon.folder)
        var environment = x.environment(daemon.environment)
        // speak-clipboard finds herald beside itself, as when installed.
        let bin = daemon.folder.url.appendingPathComponent("bin").path
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/herald", withDestinationPath: try BuiltExecutable.path("herald"))
        try FileManager.default.copyItem(atPath: speakClipboardScript.path, toPath: bin + "/speak-clipboard")
        environment["PATH"] = "/usr/bin:/bin"

        // First press: speaks.
        var before = signals.all.count
        let first = try #require(try await runCommand(bin + "/speak-clipboard", [], environment: environment))
        #expect(first.status == 0, "\(first)")
        let began = try await #require(waitForNew("Began", in: signals, after: before), "\(daemon.log)")
        try await Task.sleep(for: .milliseconds(500))

        // Second press while it speaks: stops it, and starts nothing.
        before = signals.all.count
        let second = try #require(try await runCommand(bin + "/speak-clipboard", [], environment: environment))
        #expect(second.status == 0, "\(second)")
        let end = await signals.waitForEnd(of: began.id, timeout: .seconds(5))
        print("speak-clipboard twice: second press took \(second.duration); message \(began.id) → \(end?.member ?? "nothing")")
        #expect(end?.member == "Canceled", "\(signals.sequence(for: began.id))")
        try await Task.sleep(for: .milliseconds(300))
        #expect(!signals.all.dropFirst(before).contains { $0.member == "Began" }, "the second press started a reading")

        // Third press: idle again, so it speaks.
        before = signals.all.count
        let third = try #require(try await runCommand(bin + "/speak-clipboard", [], environment: environment))
        #expect(third.status == 0, "\(third)")
        let again = try await #require(waitForNew("Began", in: signals, after: before))
        #expect(again.id != began.id)

        // Something else speaking (herald speak): a press speaks the selection instead of stopping it.
        _ = try await herald(["cancel", "--all"], environment: environment)
        before = signals.all.count
        let other = try await herald(["speak", SampleText.long], environment: environment)
        #expect(other.status == 0)
        let otherBegan = try await #require(waitForNew("Began", in: signals, after: before))
        before = signals.all.count
        let fourth = try #require(try await runCommand(bin + "/speak-clipboard", [], environment: environment))
        #expect(fourth.status == 0, "\(fourth)")
        let replaced = try await #require(waitForNew("Began", in: signals, after: before), "the press did not speak")
        #expect(replaced.id != otherBegan.id)

        _ = try await herald(["cancel", "--all"], environment: environment)
        withExtendedLifetime(owner) {}
        await monitor.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}

/// `packaging/speak-clipboard` in the source tree.
let speakClipboardScript = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("packaging/speak-clipboard")

/// The first `member` signal logged after the first `after` entries, waited for up to `timeout`.
func waitForNew(
    _ member: String, in signals: SpeechSignalLog, after count: Int, timeout: Duration = .seconds(15)
) async -> SpeechSignalLog.Entry? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let entry = signals.all.dropFirst(count).first(where: { $0.member == member }) { return entry }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return nil
}
