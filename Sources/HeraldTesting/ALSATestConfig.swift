public import Foundation
public import Testing
internal import HeraldSystem

/// The private ALSA configuration of the whole test process.
///
/// alsa-lib reads `$XDG_CONFIG_HOME/alsa/asoundrc` once, on the first call that
/// needs its configuration, and caches it globally; and on Linux every test
/// target is linked into one test process. So there is exactly one config,
/// here, written before any ALSA call: `ALSATestConfig.shared` is a lazily
/// initialised static (thread-safe, runs once), and every test touches it
/// before making a sink. PCMs cannot be added later, so the config defines up
/// front the fixed PCMs of the sink tests plus a pool of capture PCMs that
/// any test claims with `makeCapture(paced:)`: each capture PCM writes its
/// own WAV file, so tests never share state.
///
/// Child processes (`heraldd`) see the same config through `environment`.
/// The folder is removed at exit unless `HERALD_KEEP_TEST_FILES` is set.
public final class ALSATestConfig: Sendable {
    /// A `type file` PCM for one test, and the WAV file it writes.
    public struct CapturePCM: Sendable, CustomStringConvertible {
        /// The ALSA PCM name, for `AlsaSink(device:)` or `[audio] device`.
        public let name: String
        /// The WAV file it writes (replaced each time the PCM is opened).
        public let path: String
        /// Whether it plays through the private PulseAudio (keeps real time)
        /// rather than into `null` (takes audio as fast as it comes).
        public let paced: Bool

        /// Bytes in the file so far, header included; 0 before the first open.
        public var size: Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        }

        /// Frames written so far, from the file size (16-bit mono after a 44-byte header).
        public var framesWritten: Int { max(0, size - WAVFile.headerSize) / 2 }

        /// The WAV as written so far.
        public func wav() throws -> WAVFile { try WAVFile(path: path) }

        public var description: String { "\(name) → \(path)" }
    }

    /// Thrown when a test run claims more capture PCMs than the config defines.
    public struct PoolExhausted: Error, CustomStringConvertible {
        public let description: String
    }

    /// A temp folder, short enough for a Unix socket path inside it.
    public let directory: URL
    /// Where the private PulseAudio listens; `pcm.heraldpulse` points here.
    public let pulseSocket: String

    /// Capture PCMs of each kind in the pool; raise it when tests need more.
    public static let poolSize = 128

    public static let shared = ALSATestConfig()

    private let claimed = Locked<(null: Int, paced: Int)>((0, 0))

    private init() {
        let directory = URL(fileURLWithPath: "/tmp", isDirectory: true)
            .appendingPathComponent("herald-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        try! FileManager.default.createDirectory(
            at: directory.appendingPathComponent("alsa", isDirectory: true), withIntermediateDirectories: true)
        self.directory = directory
        self.pulseSocket = directory.appendingPathComponent("pulse.sock").path

        let file = { (name: String) in directory.appendingPathComponent(name).path }
        var config = """
            # Written by HeraldTesting's ALSATestConfig. Each PCM captures into its own file.
            pcm.heraldfile {
                type file
                slave.pcm "null"
                file "\(file("file.wav"))"
                format "wav"
            }
            pcm.heraldformats {
                type file
                slave.pcm "null"
                file "\(file("formats-%r-%c.wav"))"
                format "wav"
            }
            pcm.heraldpulse {
                type pulse
                server "unix:\(pulseSocket)"
            }
            pcm.heraldlate {
                type pulse
                server "unix:\(file("late.sock"))"
            }
            pcm.heraldpaced {
                type file
                slave.pcm "heraldpulse"
                file "\(file("paced.wav"))"
                format "wav"
            }
            pcm.heraldstopped {
                type file
                slave.pcm "heraldpulse"
                file "\(file("stopped.wav"))"
                format "wav"
            }

            """
        for index in 0..<Self.poolSize {
            for paced in [false, true] {
                let name = Self.captureName(index, paced: paced)
                config += """
                    pcm.\(name) {
                        type file
                        slave.pcm "\(paced ? "heraldpulse" : "null")"
                        file "\(file("\(name).wav"))"
                        format "wav"
                    }

                    """
            }
        }
        try! config.write(
            to: directory.appendingPathComponent("alsa/asoundrc"), atomically: true, encoding: .utf8)
        setenv("XDG_CONFIG_HOME", directory.path, 1)
        Self.removeAtExit(directory.path)
    }

    /// The path of a file that a fixed PCM above captures into.
    public func capture(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// A capture PCM no other test has used in this process: into `null`, or
    /// with `paced` through the private PulseAudio (the test must run under
    /// `.privatePulseAudio`).
    public func makeCapture(paced: Bool = false) throws -> CapturePCM {
        let index = claimed.withLock { claimed in
            defer { if paced { claimed.paced += 1 } else { claimed.null += 1 } }
            return paced ? claimed.paced : claimed.null
        }
        guard index < Self.poolSize else {
            throw PoolExhausted(
                description: "all \(Self.poolSize) \(paced ? "paced" : "null") capture PCMs are taken; raise ALSATestConfig.poolSize")
        }
        let name = Self.captureName(index, paced: paced)
        return CapturePCM(name: name, path: capture("\(name).wav"), paced: paced)
    }

    /// The environment for a child process that must use this config (and
    /// therefore these PCMs): the test process's own, with `XDG_CONFIG_HOME` set.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory.path
        return environment
    }

    private static func captureName(_ index: Int, paced: Bool) -> String {
        paced ? "heraldpacedcapture\(index)" : "heraldcapture\(index)"
    }

    private static let folderToRemove = Locked<String?>(nil)

    private static func removeAtExit(_ path: String) {
        guard ProcessInfo.processInfo.environment["HERALD_KEEP_TEST_FILES"] == nil else { return }
        folderToRemove.withLock { $0 = path }
        atexit {
            if let path = ALSATestConfig.folderToRemove.withLock({ $0 }) {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}

extension Trait where Self == PrivatePulseAudioTrait {
    /// One private PulseAudio for the suite, at `ALSATestConfig.shared.pulseSocket`.
    public static var privatePulseAudio: Self {
        PrivatePulseAudioTrait(socket: ALSATestConfig.shared.pulseSocket, directory: ALSATestConfig.shared.directory)
    }
}
