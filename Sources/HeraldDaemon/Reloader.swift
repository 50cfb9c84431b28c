public import HeraldConfig
public import HeraldCore
public import Logging

/// Re-reads the config while the daemon serves: on SIGHUP,
/// `systemctl --user reload herald` and `herald reload` (D-Bus `Reload`).
///
/// One reload at a time (an actor): a SIGHUP during a reload waits its turn.
/// A config that does not parse, or names an engine that cannot be used,
/// changes nothing and is reported once, with the file, the line and what to
/// fix. Otherwise the next message uses the new engines, credentials, voices
/// and device; the queue, SSIP sessions and D-Bus clients are untouched.
public actor Reloader {
    /// Told the new voice list after each reload that changed it, so front
    /// ends that list voices (SSIP, Spiel) list the new set.
    public typealias VoicesChanged = @Sendable (_ voices: [Voice], _ engines: [any SpeechEngine]) async -> Void

    /// The file read at start and at each reload.
    public nonisolated let file: String
    /// nil: the default path, where a missing file means the defaults.
    private let explicitPath: String?
    private let pipeline: SpeechPipeline
    private var configuration: Configuration
    private var listeners: [VoicesChanged] = []
    private let logger: Logger

    /// - Parameters:
    ///   - path: the `--config` path, or nil for `Configuration.defaultPath()`.
    ///   - configuration: what was read from it at start.
    public init(path: String?, configuration: Configuration, pipeline: SpeechPipeline, logger: Logger) {
        explicitPath = path
        file = path ?? Configuration.defaultPath()
        self.configuration = configuration
        self.pipeline = pipeline
        self.logger = logger
    }

    /// Adds a front end to tell when the voices change.
    public func onVoicesChanged(_ listener: @escaping VoicesChanged) {
        listeners.append(listener)
    }

    /// Reads the config again and puts it in force for the next message.
    /// - Parameter trigger: what asked (`SIGHUP`, `D-Bus`), for the log.
    /// - Throws: `ReloadError` naming the file, line and what to fix; nothing changed.
    public func reload(trigger: String) async throws(ReloadError) {
        let updated: Configuration
        do throws(ReloadError) {
            do throws(ConfigurationError) {
                updated = try Configuration.load(path: explicitPath)
            } catch {
                throw ReloadError(error)
            }
            try await pipeline.apply(updated, file: file)
        } catch {
            logger.error("reload refused; the daemon goes on as before: \(error)", metadata: ["herald.trigger": "\(trigger)"])
            throw error
        }
        let previous = configuration
        configuration = updated
        if updated.ssipSocket != previous.ssipSocket || updated.speechdCompat != previous.speechdCompat {
            logger.notice("[ssip] changes take effect when heraldd restarts; SSIP clients stay on the socket they use")
        }
        let voices = await pipeline.voices()
        let engines = pipeline.engines
        for listener in listeners { await listener(voices, engines) }
        logger.info(
            "configuration reloaded",
            metadata: [
                "herald.trigger": "\(trigger)", "herald.config": "\(file)",
                "herald.engines": "\(engines.map(\.name).joined(separator: ","))",
                "herald.audio.device": "\(updated.audioDevice)",
            ])
    }
}
