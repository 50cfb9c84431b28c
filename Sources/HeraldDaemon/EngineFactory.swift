internal import HeraldConfig
internal import HeraldCore
internal import HeraldEspeak
internal import HeraldWorkersAI
internal import Logging

/// Turns the config's `[[engine]]` list into engines, in its order.
///
/// Without usable credentials the cloud entries are left out with one log
/// line saying what to set, never a failure: the offline voice always speaks.
enum EngineFactory {
    /// The engines, and what to call once they are no longer used (the HTTP client's shutdown).
    static func engines(
        for configuration: Configuration, environment: [String: String]?, logger: Logger
    ) throws(EngineError) -> (engines: [any SpeechEngine], languages: [String?], release: @Sendable () async -> Void) {
        let cloudEntries = configuration.engines.filter { !$0.isOffline }
        var connection: WorkersAIConnection?
        if !cloudEntries.isEmpty {
            let cloudflare = configuration.cloudflare
            do throws(WorkersAICredentialsError) {
                // A token in a config file others can read is as leaked as one in an open token file.
                if let file = cloudflare.apiTokenFileTooOpen { throw .tokenFileTooOpen(path: file) }
                let credentials = try WorkersAICredentials.resolve(
                    accountID: cloudflare.accountID, token: cloudflare.apiToken, tokenFile: cloudflare.apiTokenFile,
                    environment: environment)
                connection = .bounded(
                    credentials: credentials, baseURL: cloudflare.baseURL, stallTimeout: cloudflare.stallTimeout)
            } catch {
                logger.warning(
                    "cloud voices are off: \(error)",
                    metadata: ["herald.engines": "\(cloudEntries.map(\.model).joined(separator: ","))"])
            }
        }
        var engines: [any SpeechEngine] = []
        var languages: [String?] = []
        for entry in configuration.engines {
            if entry.isOffline {
                engines.append(try EspeakEngine(logger: logger))
                languages.append(entry.language)
                continue
            }
            guard let connection, let model = WorkersAIModel.named(entry.model) else { continue }
            do throws(EngineError) {
                engines.append(try cloudEngine(entry, model: model, connection: connection, configuration: configuration, logger: logger))
                languages.append(entry.language)
            } catch {
                logger.warning("engine left out: \(error)")
            }
        }
        return (engines, languages, { [connection] in await connection?.shutdown() })
    }

    /// The entry's transport, or the model's preferred one: streaming where offered.
    private static func cloudEngine(
        _ entry: Configuration.Engine, model: WorkersAIModel, connection: WorkersAIConnection, configuration: Configuration,
        logger: Logger
    ) throws(EngineError) -> any SpeechEngine {
        if model.family == .melo {
            return try MeloTTSEngine(language: entry.speaker ?? entry.language ?? "en", connection: connection, logger: logger)
        }
        let streams = entry.transport == "websocket" || (entry.transport == nil && model.supportsWebSocket)
        if streams {
            return try AuraStreamEngine(
                model: model, speaker: entry.speaker, sampleRate: entry.sampleRate ?? 24_000, connection: connection,
                stallTimeout: configuration.cloudflare.stallTimeout,
                connections: entry.connections ?? AuraStreamEngine.defaultConnections,
                limits: configuration.cloudflare.deepgramLimits, logger: logger)
        }
        return try AuraPostEngine(
            model: model, speaker: entry.speaker, sampleRate: entry.sampleRate ?? 24_000, connection: connection, logger: logger)
    }
}
