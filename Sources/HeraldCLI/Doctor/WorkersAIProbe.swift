internal import HeraldCore
internal import HeraldSystem
internal import HeraldConfig
internal import HeraldWorkersAI
internal import Logging

/// One tiny request to Workers AI, with the first configured cloud model:
/// a single word, over POST where the model offers it (one request, no
/// socket), else over its WebSocket. It tells whether Cloudflare accepts the
/// token; the word is not played.
enum WorkersAIProbe {
    static let check = "Workers AI"
    static let word = "Hi."
    static let timeout: Duration = .seconds(10)

    static func run(_ configuration: Configuration, credentials: WorkersAICredentials, configPath: String) async -> DoctorFinding {
        guard let entry = configuration.engines.first(where: { !$0.isOffline }), let model = WorkersAIModel.named(entry.model) else {
            return .skipped(check, "no cloud engine configured")
        }
        let cloudflare = configuration.cloudflare
        if let problem = await OffPool.run({ ServiceReachability.problem(with: cloudflare.baseURL) }) {
            return unreachable(cloudflare.baseURL, problem, configPath: configPath)
        }
        let logger = Logger(label: "herald.doctor", factory: { _ in SwiftLogNoOpLogHandler() })
        let connection = WorkersAIConnection(credentials: credentials, baseURL: cloudflare.baseURL, timeout: timeout)
        let engine: any SpeechEngine
        do {
            if model.family == .melo {
                engine = try MeloTTSEngine(language: entry.speaker ?? entry.language ?? "en", connection: connection, logger: logger)
            } else if model.supportsPost {
                engine = try AuraPostEngine(model: model, speaker: entry.speaker, connection: connection, logger: logger)
            } else {
                engine = try AuraStreamEngine(
                    model: model, speaker: entry.speaker, sampleRate: entry.sampleRate ?? 24_000, connection: connection,
                    stallTimeout: max(cloudflare.stallTimeout, timeout), logger: logger)
            }
        } catch {
            return .failure(check, error.message, fix: "fix the [[engine]] entry for \(model.name) in \(configPath)")
        }
        let finding = await speak(with: engine, model: model, credentials: credentials, baseURL: cloudflare.baseURL, configPath: configPath)
        await engine.shutDown()
        return finding
    }

    private static func speak(
        with engine: any SpeechEngine, model: WorkersAIModel, credentials: WorkersAICredentials, baseURL: String, configPath: String
    ) async -> DoctorFinding {
        let started = ContinuousClock.now
        do {
            var audio = false
            for try await output in engine.synthesize(SpeechChunk([.text(word)]), settings: VoiceSettings()) {
                if case .audio = output { audio = true }
            }
            guard audio else {
                return .warning(
                    check, "\(model.name) accepted the token but sent no audio for one word",
                    fix: "try again later; espeak-ng speaks meanwhile")
            }
            let elapsed = ContinuousClock.now - started
            let milliseconds = elapsed.wholeMilliseconds
            return .pass(check, "accepted the token: \(model.name) spoke one word in \(milliseconds) ms")
        } catch let error as EngineError {
            return finding(for: error, model: model, credentials: credentials, baseURL: baseURL, configPath: configPath)
        } catch {
            return .failure(
                check, "\(model.name) failed: \(error)", fix: "run herald doctor again; if it persists, the daemon's log tells more")
        }
    }

    private static func finding(
        for error: EngineError, model: WorkersAIModel, credentials: WorkersAICredentials, baseURL: String, configPath: String
    ) -> DoctorFinding {
        switch error.code {
        case .configuration:
            return .failure(
                check, "token refused: \(error.message)",
                fix: "create a token with the Workers AI permission for account \(credentials.accountID) (dashboard → My Profile → API Tokens → \"Workers AI\" template), put it in the token file, then reload the daemon: herald reload")
        case .retryable:
            return .warning(
                check, "busy or failing for now (\(error.message)); the token was not refused",
                fix: "nothing to fix here; espeak-ng speaks while Workers AI is unavailable")
        case .unavailable:
            return unreachable(baseURL, error.message, configPath: configPath)
        case .rejected:
            return .failure(
                check, "\(model.name) rejected one word: \(error.message)",
                fix: "check [cloudflare] account_id and the [[engine]] model in \(configPath)")
        case .failed:
            return .failure(check, "\(model.name) failed: \(error.message)", fix: "run herald doctor again; if it persists, the daemon's log tells more")
        }
    }

    private static func unreachable(_ baseURL: String, _ reason: String, configPath: String) -> DoctorFinding {
        .failure(
            check, "\(baseURL) is out of reach: \(reason)",
            fix: "check the network (and any proxy or firewall) and [cloudflare] base_url in \(configPath); espeak-ng speaks meanwhile; herald doctor --offline skips this check")
    }
}
