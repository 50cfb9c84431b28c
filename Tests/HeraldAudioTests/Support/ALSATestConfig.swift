import Foundation
import Testing

/// A private ALSA configuration for the whole test process.
///
/// alsa-lib reads `$XDG_CONFIG_HOME/alsa/asoundrc` once, on the first call that
/// needs its configuration, and caches it globally. So the process gets one
/// config, written before any ALSA call: `ALSATestConfig.shared` is a lazily
/// initialised static (thread-safe, runs once), and every test touches it
/// before making a sink. Each test uses its own PCM names and files in it, so
/// tests do not depend on each other's state.
///
/// Candidate for `HeraldTesting` (with `PCMDefinition`).
final class ALSATestConfig: Sendable {
    /// A temp folder, short enough for a Unix socket path inside it.
    let directory: URL
    /// Where the private PulseAudio listens; `pcm.heraldpulse` points here.
    let pulseSocket: String

    static let shared = ALSATestConfig()

    private init() {
        let directory = URL(fileURLWithPath: "/tmp", isDirectory: true)
            .appendingPathComponent("herald-audio-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        try! FileManager.default.createDirectory(
            at: directory.appendingPathComponent("alsa", isDirectory: true), withIntermediateDirectories: true)
        self.directory = directory
        self.pulseSocket = directory.appendingPathComponent("pulse.sock").path

        let file = { (name: String) in directory.appendingPathComponent(name).path }
        let config = """
            # Written by HeraldAudioTests. Each PCM captures into its own file.
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
        try! config.write(
            to: directory.appendingPathComponent("alsa/asoundrc"), atomically: true, encoding: .utf8)
        setenv("XDG_CONFIG_HOME", directory.path, 1)
    }

    /// The path of a file that a PCM above captures into.
    func capture(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}

extension Trait where Self == PrivatePulseAudioTrait {
    /// One private PulseAudio for the suite, at `ALSATestConfig.shared.pulseSocket`.
    static var privatePulseAudio: Self {
        PrivatePulseAudioTrait(socket: ALSATestConfig.shared.pulseSocket, directory: ALSATestConfig.shared.directory)
    }
}
