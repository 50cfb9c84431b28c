internal import HeraldConfig
public import Logging
internal import Glibc
internal import HeraldCore
internal import HeraldDBus
internal import HeraldSSIP
internal import HeraldSpiel
public import HeraldSystem
internal import ServiceLifecycle

/// Builds and runs the daemon: what `heraldd` calls after parsing its flags.
public enum Daemon {
    /// Why the daemon could not start; the message says what to fix.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs until one of `signals` arrives (or, with `exitWhenIdle`, until the greeting was spoken).
    public static func run(
        configPath: String?, greeting: [String], exitWhenIdle: Bool, signals: DaemonSignals, logger: Logger
    ) async throws {
        // Before the token is read: from here on no core file or debugger of
        // the same user sees it.
        if ProcessHardening.forbidCoreDumps() {
            logger.debug("core dumps and ptrace by other processes are off")
        } else {
            logger.warning("could not turn core dumps off (prctl PR_SET_DUMPABLE); a crash could leave the API token in a core file")
        }
        let configuration: Configuration
        do {
            configuration = try Configuration.load(path: configPath)
        } catch {
            throw StartError(description: "\(error)")
        }
        let pipeline: SpeechPipeline
        do {
            pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        } catch {
            throw StartError(description: "\(error)")
        }
        let reloader = Reloader(path: configPath, configuration: configuration, pipeline: pipeline, logger: logger)
        // First in the group, so shut down last; a signal that came while
        // starting is read as soon as the group runs.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: SignalService(signals: signals, reloader: reloader, logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup)
        ]
        do {
            let bus = try await Speech1Service.start(pipeline: pipeline, reloader: reloader, logger: logger)
            services.append(.init(service: bus, successTerminationBehavior: .gracefullyShutdownGroup))
            logger.info("serving on the session bus", metadata: ["herald.dbus.name": "\(Speech1Service.busName)"])
        } catch let error where error.name.hasSuffix("AlreadyRunning") {
            await pipeline.shutDown()
            throw StartError(description: error.message)
        } catch {
            logger.error("no D-Bus interface: \(error.message)")
        }
        if let (spiel, provider) = await startSpiel(pipeline: pipeline, logger: logger) {
            services.append(.init(service: spiel, successTerminationBehavior: .gracefullyShutdownGroup))
            await reloader.onVoicesChanged { voices, engines in provider.setVoices(voices, engines: engines) }
        }
        logger.info(
            "heraldd ready",
            metadata: [
                "herald.engine": "\(pipeline.engineName)", "herald.audio.device": "\(configuration.audioDevice)",
                "herald.config": "\(reloader.file)",
            ])
        let socket = configuration.ssipSocketPath()
        let ssip = SSIPService(
            socketPath: socket, speechdCompat: configuration.speechdCompat, scheduler: pipeline.scheduler,
            voices: await pipeline.voices(), outputModules: pipeline.engines.map(\.name), logger: logger)
        do {
            try await ssip.bind()
        } catch {
            await pipeline.shutDown()
            throw StartError(description: "\(error)")
        }
        await reloader.onVoicesChanged { voices, engines in ssip.setVoices(voices, outputModules: engines.map(\.name)) }
        services.append(.init(service: ssip, successTerminationBehavior: .gracefullyShutdownGroup))
        let speech = PipelineService(pipeline: pipeline, greeting: greeting, exitWhenIdle: exitWhenIdle, logger: logger)
        services.append(.init(service: speech, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                logger: logger))
        try await group.run()
        logger.info("heraldd stopped")
    }

    /// The Spiel provider on a connection of its own; without it Herald still
    /// serves its own interface and SSIP, so a failure is logged, not fatal.
    private static func startSpiel(
        pipeline: SpeechPipeline, logger: Logger
    ) async -> (SpielProviderService, SpielProvider)? {
        let provider = SpielProvider(
            engine: pipeline.engine, voices: await pipeline.voices(), engines: pipeline.engines,
            preparer: TextPreparer(maxChunkCharacters: SpeechPipeline.chunkCharacters), logger: logger)
        do {
            let service = try await SpielProviderService.start(
                provider: provider, connection: try await DBusConnection.session(logger: logger))
            logger.info("serving Spiel voices", metadata: ["herald.dbus.name": "\(SpielProvider.busName)"])
            return (service, provider)
        } catch {
            logger.warning("no Spiel provider: \(error.message)")
            return nil
        }
    }
}
