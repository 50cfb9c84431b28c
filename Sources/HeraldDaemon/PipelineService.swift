internal import HeraldCore
public import Logging
public import ServiceLifecycle

/// Runs the speech pipeline until the service group shuts down, then silences it.
///
/// With `exitWhenIdle` it ends by itself once everything queued at start has
/// been spoken (for `heraldd --say`), which shuts the whole group down.
public struct PipelineService: Service, CustomStringConvertible {
    let pipeline: SpeechPipeline
    let greeting: [String]
    let exitWhenIdle: Bool
    let logger: Logger

    public init(pipeline: SpeechPipeline, greeting: [String], exitWhenIdle: Bool, logger: Logger) {
        self.pipeline = pipeline
        self.greeting = greeting
        self.exitWhenIdle = exitWhenIdle
        self.logger = logger
    }

    /// Service lifecycle logs services by description; the greeting is spoken text and stays out.
    public var description: String { "PipelineService" }

    public func run() async throws {
        let events = await pipeline.scheduler.events()
        var pending: Set<UtteranceID> = []
        for text in greeting {
            let (id, arrival) = await pipeline.scheduler.speak(
                .text(text), priority: .message, client: ClientID("heraldd"), settings: VoiceSettings())
            if arrival == .queued { pending.insert(id) }
        }
        if exitWhenIdle {
            for await event in events.cancelOnGracefulShutdown() {
                switch event.kind {
                case .ended, .canceled:
                    pending.remove(event.id)
                case .failed(let reason):
                    logger.error("could not speak", metadata: ["herald.reason": "\(reason)"])
                    pending.remove(event.id)
                default: break
                }
                if pending.isEmpty { break }
            }
        } else {
            try? await gracefulShutdown()
        }
        await pipeline.shutDown()
    }
}
