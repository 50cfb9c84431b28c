internal import HeraldConfig
internal import HeraldCore
internal import HeraldEspeak
internal import HeraldWorkersAI
internal import Logging

/// Turns the config's `[[engine]]` list into engines, in its order.
///
/// A cloud entry that cannot be used (no credentials, a token file others can
/// read, an engine that cannot start) is left out and named in `problems`:
/// at start each is one log line saying what to fix and the offline voice
/// speaks, never a failure; a reload refuses the config instead.
enum EngineFactory {
    struct Built {
        var engines: [any SpeechEngine] = []
        /// Per engine, the language it is configured for.
        var languages: [String?] = []
        /// What to call once the engines are no longer used (the HTTP client's shutdown).
        var release: @Sendable () async -> Void = {}
        /// Why configured engines were left out, each saying what to fix; never a token.
        var problems: [String] = []
    }

    static func engines(
        for configuration: Configuration, environment: [String: String]?, logger: Logger
    ) async throws(EngineError) -> Built {
        var built = Built()
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
                built.problems.append(
                    "cloud voices are off (\(cloudEntries.map(\.model).joined(separator: ", "))): \(error)")
            }
        }
        built.release = { [connection] in await connection?.shutdown() }
        for entry in configuration.engines {
            if entry.isOffline {
                do throws(EngineError) {
                    built.engines.append(try EspeakEngine(logger: logger))
                } catch {
                    for engine in built.engines { await engine.shutDown() }
                    await built.release()
                    throw error
                }
                built.languages.append(entry.language)
                continue
            }
            guard let connection, let model = WorkersAIModel.named(entry.model) else { continue }
            do throws(EngineError) {
                built.engines.append(try cloudEngine(entry, model: model, connection: connection, configuration: configuration, logger: logger))
                built.languages.append(entry.language)
            } catch {
                built.problems.append("engine left out: \(error)")
            }
        }
        return built
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
