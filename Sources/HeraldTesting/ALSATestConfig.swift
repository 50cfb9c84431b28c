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
        /// Where it plays: into `null` (takes audio as fast as it comes) or
        /// through a private sound server (keeps real time).
        public let route: Route
        /// Whether it keeps real time.
        public var paced: Bool { route != .null }

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

    /// Where a capture PCM sends what it captured.
    public enum Route: CaseIterable, Sendable {
        /// ALSA's `null` PCM: no clock at all.
        case null
        /// The private PulseAudio (`.privatePulseAudio`), through ALSA's pulse plugin.
        case pulse
        /// The private PipeWire (`.privatePipeWire`) through ALSA's pulse plugin and pipewire-pulse.
        case pipewirePulse
        /// The private PipeWire through pipewire-alsa's plugin.
        case pipewireALSA

        /// The PCM the capture PCMs of this route play into.
        var slave: String {
            switch self {
            case .null: "null"
            case .pulse: "heraldpulse"
            case .pipewirePulse: "heraldpwpulse"
            case .pipewireALSA: "heraldpipewire"
            }
        }

        var prefix: String {
            switch self {
            case .null: "heraldcapture"
            case .pulse: "heraldpacedcapture"
            case .pipewirePulse: "heraldpwpulsecapture"
            case .pipewireALSA: "heraldpipewirecapture"
            }
        }

        /// How many capture PCMs of this route the config defines.
        var poolSize: Int {
            switch self {
            case .null, .pulse: ALSATestConfig.poolSize
            case .pipewirePulse, .pipewireALSA: 16
            }
        }
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

    private let claimed = Locked<[Route: Int]>([:])

    /// pipewire-alsa's ALSA plugin: installed, or unpacked by
    /// `packaging/install-deps.sh --test` where the package cannot be
    /// installed (Debian 12's conflicts with pulseaudio); nil when neither.
    public static let pipewirePlugin: String? = {
        let name = "libasound_module_pcm_pipewire.so"
        let folders = ["/usr/lib/x86_64-linux-gnu/alsa-lib", "/usr/lib/aarch64-linux-gnu/alsa-lib", "/usr/lib/alsa-lib"]
        let unpacked = folders.map { "\(unpackedPipewireALSA)\($0)" }
        return (folders + unpacked).map { "\($0)/\(name)" }.first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// Where `packaging/install-deps.sh --test` unpacks pipewire-alsa.
    public static let unpackedPipewireALSA = "/var/cache/herald-tests/pipewire-alsa"

    private init() {
        let directory = URL(fileURLWithPath: "/tmp", isDirectory: true)
            .appendingPathComponent("herald-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        try! FileManager.default.createDirectory(
            at: directory.appendingPathComponent("alsa", isDirectory: true), withIntermediateDirectories: true)
        self.directory = directory
        self.pulseSocket = directory.appendingPathComponent("pulse.sock").path
        let pipewireRuntime = PrivatePipeWire.runtime(in: directory).path

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
            pcm.heraldpwpulse {
                type pulse
                server "unix:\(pipewireRuntime)/pulse/native"
            }
            pcm.heraldpipewire {
                type pipewire
                server "\(pipewireRuntime)/pipewire-0"
                playback_node "-1"
                capture_node "-1"
            }
            pcm.heraldnoserver {
                type pulse
                server "unix:\(file("no-server.sock"))"
            }
            pcm.heraldnopipewire {
                type pipewire
                server "\(file("no-pipewire-0"))"
                playback_node "-1"
                capture_node "-1"
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
        if let plugin = Self.pipewirePlugin, plugin.hasPrefix(Self.unpackedPipewireALSA) {
            config += "pcm_type.pipewire { lib \"\(plugin)\" }\n"
        }
        for route in Route.allCases {
            for index in 0..<route.poolSize {
                let name = Self.captureName(index, route: route)
                config += """
                    pcm.\(name) {
                        type file
                        slave.pcm "\(route.slave)"
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
        try makeCapture(route: paced ? .pulse : .null)
    }

    /// A capture PCM no other test has used in this process, playing through
    /// `route` (whose server the test must run under).
    public func makeCapture(route: Route) throws -> CapturePCM {
        let index = claimed.withLock { claimed in
            defer { claimed[route, default: 0] += 1 }
            return claimed[route, default: 0]
        }
        guard index < route.poolSize else {
            throw PoolExhausted(
                description: "all \(route.poolSize) \(route) capture PCMs are taken; raise their pool size in ALSATestConfig.Route")
        }
        let name = Self.captureName(index, route: route)
        return CapturePCM(name: name, path: capture("\(name).wav"), route: route)
    }

    /// The environment for a child process that must use this config (and
    /// therefore these PCMs): the test process's own, with `XDG_CONFIG_HOME` set.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory.path
        return environment
    }

    private static func captureName(_ index: Int, route: Route) -> String {
        "\(route.prefix)\(index)"
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
