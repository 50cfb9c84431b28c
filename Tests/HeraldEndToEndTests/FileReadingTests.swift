import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// `herald speak --file`: Markdown read without its markup, Latin-1 and
/// standard input, and files that are not text refused with one line.
@Suite struct FileReadingTests {
    /// Seconds of audio `herald speak --wait` made for `arguments` (the
    /// capture PCM stays open between messages, so its file grows).
    private func spoken(_ arguments: [String], _ daemon: HeraldDaemonProcess) async throws -> Double {
        let before = daemon.capture.framesWritten
        let result = try await herald(["speak", "--wait"] + arguments, environment: daemon.environment)
        #expect(result.status == 0, "\(result)\n\(daemon.log)")
        #expect(result.errorOutput.isEmpty, "a progress line or message when stderr is not a terminal: \(result)")
        return Double(daemon.capture.framesWritten - before) / Double(try daemon.capture.wav().sampleRate)
    }

    @Test func markdownIsReadWithoutItsMarkup() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "file-markdown")
        let link = "https://example.com/some/very/long/path/to/a/page/nobody/wants/to/hear/read/out.html"
        let markdown = try daemon.folder.write(
            "notes.md",
            """
            # Shopping

            Buy **bread** and _milk_ from [the corner shop](\(link)).

            - `apples`
            - pears
            """)
        let plain = try daemon.folder.write("notes.txt", "Shopping\n\nBuy bread and milk from the corner shop.\n\napples\n\npears\n")
        let raw = try daemon.folder.write("raw.txt", try String(contentsOfFile: markdown, encoding: .utf8))

        let markdownSeconds = try await spoken(["--file", markdown], daemon)
        let plainSeconds = try await spoken(["--file", plain], daemon)
        let rawSeconds = try await spoken(["--file", raw], daemon)
        print("notes.md \(markdownSeconds) s, the same words as plain text \(plainSeconds) s, the Markdown read as plain text \(rawSeconds) s")
        // The link target and markup add seconds when read out; read as Markdown they are not.
        #expect(abs(markdownSeconds - plainSeconds) < 0.25 * plainSeconds, "markdown \(markdownSeconds) s vs plain \(plainSeconds) s")
        #expect(rawSeconds > markdownSeconds + 2, "the link was not read out in raw.txt? \(rawSeconds) s")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func latin1AndStandardInputAreRead() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "file-latin1")
        let latin1 = daemon.folder.path("menu.txt")
        try Data("Caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e, na\u{ef}ve fa\u{e7}ade.".unicodeScalars.map { UInt8($0.value) })
            .write(to: URL(fileURLWithPath: latin1))
        let utf8 = try daemon.folder.write("menu-utf8.txt", "Café crème brûlée, naïve façade.")
        let latin1Seconds = try await spoken(["--file", latin1], daemon)
        let utf8Seconds = try await spoken(["--file", utf8], daemon)
        print("Latin-1 file \(latin1Seconds) s, the same in UTF-8 \(utf8Seconds) s")
        #expect(latin1Seconds > 1 && abs(latin1Seconds - utf8Seconds) < 0.1, "\(latin1Seconds) vs \(utf8Seconds)")

        // `--file -` reads standard input (through sh, so the text travels in a file, not argv).
        let before = daemon.capture.framesWritten
        let shell = try #require(try await runCommand(
            "/bin/sh", ["-c", "exec \"$0\" speak --wait --file - < \"$1\"", try BuiltExecutable.path("herald"), utf8],
            environment: daemon.environment))
        #expect(shell.status == 0, "\(shell)")
        let stdinSeconds = Double(daemon.capture.framesWritten - before) / Double(try daemon.capture.wav().sampleRate)
        #expect(abs(stdinSeconds - utf8Seconds) < 0.1, "\(stdinSeconds) s from standard input")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func filesThatAreNotTextAreRefused() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "file-bad")
        let binary = daemon.folder.path("image.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D] + Array(repeating: UInt8(7), count: 100))
            .write(to: URL(fileURLWithPath: binary))
        let controls = daemon.folder.path("controls.bin")
        let letters: [UInt8] = (0..<4000).map { (index: Int) -> UInt8 in index % 32 == 0 ? 1 : UInt8(65 + index % 20) }
        try Data(letters + [UInt8](repeating: 2, count: 200))
            .write(to: URL(fileURLWithPath: controls))
        let large = daemon.folder.path("large.txt")
        try Data(String(repeating: SampleText.paragraph + "\n", count: (9 << 20) / SampleText.paragraph.utf8.count).utf8).write(to: URL(fileURLWithPath: large))
        let empty = try daemon.folder.write("empty.md", "\n\n---\n\n")

        let cases: [([String], String)] = [
            (["--file", binary], "image.png is not text (it holds binary data); give a text file"),
            (["--file", controls], "is not text"),
            (["--file", daemon.folder.url.path], "is a directory; give a text file"),
            (["--file", daemon.folder.path("missing.txt")], "cannot read \(daemon.folder.path("missing.txt")): no such file"),
            (["--file", large], "is larger than 8 MiB"),
            (["--file", empty], "has no text to read"),
            (["--file", empty, "and", "text"], "give either TEXT or --file, not both"),
        ]
        for (arguments, expected) in cases {
            let result = try await herald(["speak"] + arguments, environment: daemon.environment)
            print("herald speak \(arguments.first ?? "") \(URL(fileURLWithPath: arguments.last ?? "").lastPathComponent) → exit \(result.status): \(result.errorOutput)", terminator: "")
            #expect(result.status == 1, "\(result)")
            #expect(result.errorOutput.hasPrefix("herald: ") && result.errorOutput.contains(expected), "\(result)")
            #expect(result.errorOutput.split(separator: "\n").count == 1, "\(result)")
        }
        let status = try await herald(["status"], environment: daemon.environment)
        #expect(status.output.contains("state: idle") && status.output.contains("queued: 0"), "\(status)")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test(.disabled(if: getuid() == 0, "root reads any file"))
    func anUnreadableFileIsRefused() async throws {
        let folder = try RunFolder(name: "file-unreadable")
        let path = try folder.write("secret.txt", "hidden")
        chmod(path, 0)
        let result = try await herald(["speak", "--file", path], environment: ProcessInfo.processInfo.environment)
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("permission denied"), "\(result)")
    }

    /// Text that is not a file shows its sentences as they are read, from SentenceRange.
    @Test func theSentenceBeingReadShowsOnATerminal() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "text-progress")
        let (status, screen) = try await onTerminal(daemon, "speak --wait 'Fish and chips, please. Dr. Who said no!'")
        #expect(status == 0)
        #expect(screen.contains("\u{1B}[KSpeaking: “Fish and chips, please.”"), "\(screen)")
        #expect(screen.contains("\u{1B}[KSpeaking: “Dr. Who said no!”\r\u{1B}[K"), "\(screen)")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    /// On a terminal (a pty from `script`), `--wait` keeps a progress line on stderr.
    @Test func progressShowsOnATerminal() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "file-progress")
        let file = try daemon.folder.write(
            "chapter.md", (1...4).map { "## Part \($0)\n\n\(SampleText.short)" }.joined(separator: "\n\n"))
        let (status, screen) = try await onTerminal(daemon, "speak --wait --file \(file)")
        #expect(status == 0)
        #expect(screen.contains("Reading chapter.md: 0%, part 1 of 8"), "\(screen)")
        #expect(screen.contains("part 8 of 8"), "\(screen)")
        // The sentence being read follows, within the terminal's width, and the line is cleared at the end.
        let last = try #require(screen.range(of: "part 8 of 8", options: .backwards)).upperBound
        let line = screen[last...].prefix { $0 != "\r" }
        #expect(line.hasPrefix(": “") && line.hasSuffix("”") && line.count < 80, "\(line.debugDescription)")
        let rest = screen[line.endIndex...]
        #expect(rest.hasPrefix("\r\u{1B}[K\n") || rest.hasPrefix("\r\u{1B}[K\r\n"), "\(rest.debugDescription)")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}

/// A long file read with `--wait` is paused, resumed and canceled from other
/// `herald` calls, on the paced device where reading takes real time.
@Suite(.privatePulseAudio)
struct FileReadingControlTests {
    @Test func pauseResumeAndCancelReachAFileBeingRead() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "file-control", paced: true)
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        let book = try daemon.folder.write(
            "book.md", (1...6).map { "# Chapter \($0)\n\n\(SampleText.paragraph)" }.joined(separator: "\n\n"))
        let reader = try ChildProcess(
            try BuiltExecutable.path("herald"), ["speak", "--wait", "--file", book], environment: daemon.environment,
            logPath: daemon.folder.path("reader.out"), errorPath: daemon.folder.path("reader.err"))
        defer { reader.terminate() }
        let began = try await #require(waitForNew("Began", in: signals, after: 0), "\(daemon.log)")
        #expect(await signals.wait(for: began.id, ["IndexMark"], timeout: .seconds(10))?.detail == "b0")

        let pause = try await herald(["pause"], environment: daemon.environment)
        #expect(pause.status == 0, "\(pause)")
        #expect(await signals.wait(for: began.id, ["Paused"], timeout: .seconds(5)) != nil, "\(signals.sequence(for: began.id))")
        try await Task.sleep(for: .milliseconds(300))
        let heldAt = daemon.capture.framesWritten
        try await Task.sleep(for: .milliseconds(700))
        let grownWhilePaused = daemon.capture.framesWritten - heldAt
        print("paused file reading: \(grownWhilePaused) frames written in 0.7 s")
        #expect(grownWhilePaused < 22050 / 10)
        #expect(reader.isRunning, "herald speak --wait returned during a pause")

        let resume = try await herald(["resume"], environment: daemon.environment)
        #expect(resume.status == 0, "\(resume)")
        #expect(await signals.wait(for: began.id, ["Resumed"], timeout: .seconds(5)) != nil, "\(signals.sequence(for: began.id))")

        let cancel = try await herald(["cancel"], environment: daemon.environment)
        #expect(cancel.status == 0, "\(cancel)")
        #expect(await signals.waitForEnd(of: began.id, timeout: .seconds(5))?.member == "Canceled", "\(signals.sequence(for: began.id))")
        #expect(await reader.exited(within: .seconds(5)))
        #expect(reader.exitCode == 1)
        #expect(daemon.folder.read("reader.err").contains("canceled before the end"), "\(daemon.folder.read("reader.err"))")
        await monitor.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}

/// Runs `herald` with `arguments` (shell words) on a terminal, a pty from
/// `script`; its exit status and everything the terminal saw.
private func onTerminal(_ daemon: HeraldDaemonProcess, _ arguments: String) async throws -> (status: Int32, screen: String) {
    let transcript = daemon.folder.path("typescript")
    let command = "\(try BuiltExecutable.path("herald")) \(arguments)"
    let result = try #require(try await runCommand(
        try ChildProcess.find("script"), ["-q", "-e", "-c", command, transcript], environment: daemon.environment,
        timeout: .seconds(60)))
    let screen = daemon.folder.read("typescript")
    print("herald \(arguments) on a terminal: exit \(result.status); the terminal saw \(screen.debugDescription)")
    return (result.status, screen)
}
