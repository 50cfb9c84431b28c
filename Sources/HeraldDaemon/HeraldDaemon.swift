public import Logging
internal import ServiceLifecycle

/// Builds and runs the daemon: what `heraldd` calls after parsing its flags.
public enum HeraldDaemon {
    /// Why the daemon could not start; the message says what to fix.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs until SIGTERM/SIGINT (or, with `exitWhenIdle`, until the greeting was spoken).
    public static func run(configPath: String?, greeting: [String], exitWhenIdle: Bool, logger: Logger) async throws {
        let configuration: Configuration
        do {
            configuration = try Configuration.load(path: configPath)
        } catch {
            throw StartError(description: "\(error)")
        }
        let stack: SpeechStack
        do {
            stack = try await SpeechStack(configuration: configuration, logger: logger)
        } catch {
            throw StartError(description: "\(error)")
        }
        logger.info(
            "heraldd ready",
            metadata: ["herald.engine": "\(stack.engineName)", "herald.audio.device": "\(configuration.audioDevice)"])
        let speech = SpeechService(stack: stack, greeting: greeting, exitWhenIdle: exitWhenIdle, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: speech, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("heraldd stopped")
    }
}
