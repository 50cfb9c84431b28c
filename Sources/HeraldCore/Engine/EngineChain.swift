public import Logging
internal import HeraldSystem

/// The configured engines in fallback order, as one engine: a chunk goes to
/// the first engine that is not resting, and when that engine fails, what it
/// has not yet said goes to the next one.
///
/// Nothing handed to the player is said again and nothing is dropped: after a
/// failure part-way through a chunk, the next engine starts at the estimated
/// word the audio had reached (`SpeechChunk.remainder`). A failing engine
/// rests for a cool-down (a 429's `retry-after` when longer) so that the next
/// chunks do not wait on it; one refusing the credentials is set aside until
/// the daemon reloads or restarts (a new chain), reported once with what to fix. The last engine, the
/// offline voice, is never skipped. Each failure is one log line naming the
/// engines and the reason, never the text.
public final class EngineChain: SpeechEngine {
    /// An engine, the voices it offered when the chain was made, and the
    /// languages it is chosen for (primary subtags).
    private struct Member: Sendable {
        let engine: any SpeechEngine
        let voices: Set<String>
        let languages: Set<String>
    }

    /// Every engine's voices, in chain order, each id once: listed once, when
    /// the chain is made (engines offer a fixed set).
    private let voiceList: [Voice]
    /// Each voice's language (primary subtag), by id.
    private let voiceLanguages: [String: String]

    /// What the chain knows of one engine's health.
    public struct Health: Sendable, Equatable {
        public enum State: Sendable, Equatable {
            case ready
            /// Resting after a failure until this instant.
            case coolingDown(until: ContinuousClock.Instant)
            /// Set aside for good (a configuration error).
            case disabled
        }

        public let engine: String
        public var state: State = .ready
        public var lastError: EngineError?
    }

    private let members: [Member]
    private let health: Locked<[Health]>
    /// Each engine's speaking pace in characters a second, learnt from the
    /// chunks it finished; places the cut when it fails part-way.
    private let paces: Locked<[Double?]>
    private let cooldown: Duration
    /// An engine that does not bound its own waits fails after this long without output.
    private let watchdog: Duration
    private let logger: Logger
    private let defaultVoices: [String: String]
    /// Languages already reported as spoken by no engine, so each is said once.
    private let unservedLanguages = Locked<Set<String>>([])

    /// - Parameters:
    ///   - engines: in fallback order; the last should be the offline voice.
    ///   - languages: per engine, the language it is configured for (BCP 47);
    ///     nil: the languages of its voices.
    ///   - defaultVoices: the voice to use for a language (primary subtag) when a
    ///     message names a language but no voice; one no engine has is logged and left out.
    ///   - cooldown: how long a failing engine rests when the service gave no `retry-after`.
    ///   - watchdog: how long an engine that does not bound its own waits may produce nothing.
    public init(
        engines: [any SpeechEngine], languages: [String?] = [], defaultVoices: [String: String] = [:],
        cooldown: Duration = .seconds(30), watchdog: Duration = .seconds(10), logger: Logger
    ) async {
        precondition(!engines.isEmpty, "an engine chain needs at least the offline voice")
        var members: [Member] = []
        var voiceList: [Voice] = []
        var seen: Set<String> = []
        for (index, engine) in engines.enumerated() {
            let voices = await engine.voices()
            for voice in voices where seen.insert(voice.id).inserted { voiceList.append(voice) }
            let configured = index < languages.count ? languages[index] : nil
            let spoken = configured.map { [Voice.primaryLanguage($0)] } ?? voices.map { Voice.primaryLanguage($0.language) }
            members.append(Member(engine: engine, voices: Set(voices.map(\.id)), languages: Set(spoken.filter { !$0.isEmpty })))
        }
        self.members = members
        self.voiceList = voiceList
        self.voiceLanguages = Dictionary(voiceList.map { ($0.id, Voice.primaryLanguage($0.language)) }) { first, _ in first }
        // A default naming a voice no engine has would route a language nowhere: said once, left out.
        let usable = defaultVoices.filter { language, voice in
            guard !seen.contains(voice) else { return true }
            logger.warning(
                "[voices] \(language) names a voice no configured engine has; ignored", metadata: ["herald.voice": "\(voice)"])
            return false
        }
        self.defaultVoices = Dictionary(usable.map { (Voice.primaryLanguage($0.key), $0.value) }) { first, _ in first }
        self.health = Locked(engines.map { Health(engine: $0.name) })
        self.paces = Locked(Array(repeating: nil, count: engines.count))
        self.cooldown = cooldown
        self.watchdog = watchdog
        self.logger = logger
    }

    /// The engine the next chunk would go to.
    public var name: String { next.name }

    /// Whether the engine the next chunk would go to is worth caching.
    public var isWorthCaching: Bool { next.isWorthCaching }

    /// The facts of the engine the next chunk would go to.
    public var isLocal: Bool { next.isLocal }
    public var markTiming: MarkTiming { next.markTiming }
    public var nativeFormat: AudioFormat { next.nativeFormat }

    private var next: any SpeechEngine {
        let now = ContinuousClock.now
        let health = self.health.withLock { $0 }
        return members.indices.first { Self.usable(health[$0], at: now) }.map { members[$0].engine }
            ?? members[members.count - 1].engine
    }

    /// Each engine's state and last failure, in chain order.
    public var status: [Health] { health.withLock { $0 } }

    /// The engines, in chain order.
    public var engines: [any SpeechEngine] { members.map(\.engine) }

    /// Every engine's voices, in chain order, each id once.
    public func voices() async -> [Voice] { voiceList }

    public func warmUp() async {
        await withDiscardingTaskGroup { group in
            for member in members { group.addTask { await member.engine.warmUp() } }
        }
    }

    public func shutDown() async {
        for member in members { await member.engine.shutDown() }
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let task = Task {
            do throws(EngineError) {
                try await run(chunk, settings: settings, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func run(
        _ chunk: SpeechChunk, settings: VoiceSettings, into output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation
    ) async throws(EngineError) {
        var remaining = chunk
        var failure: EngineError?
        var settings = settings
        if let language = chunk.language {
            // A part in another language (SSML xml:lang, another script) is not read by a voice of the
            // message's language: the language's own voice takes it.
            if let voice = settings.voice, let spoken = voiceLanguages[voice], !spoken.isEmpty,
                spoken != Voice.primaryLanguage(language)
            {
                settings.voice = nil
            }
            settings.language = language
        }
        let primary = settings.language.map(Voice.primaryLanguage) ?? ""
        if settings.voice == nil, let voice = defaultVoices[primary] { settings.voice = voice }
        let order = self.order(for: settings.voice, language: primary)
        for (position, index) in order.enumerated() {
            let isLast = position == order.count - 1
            guard isLast || Self.usable(health.withLock { $0[index] }, at: .now) else { continue }
            let member = members[index]
            var memberSettings = settings
            if let voice = settings.voice, !member.voices.contains(voice) { memberSettings.voice = nil }
            var seconds = 0.0
            var marks = 0
            do {
                let outputs = member.engine.synthesize(remaining, settings: memberSettings)
                for try await item in member.engine.boundsItsOwnWaits ? outputs : watched(outputs, engine: member.engine.name) {
                    switch item {
                    case .audio(let audio): seconds += audio.format.seconds(frames: audio.frameCount)
                    case .mark: marks += 1
                    }
                    output.yield(item)
                }
                learnPace(of: index, characters: remaining.plainText.count, seconds: seconds)
                return
            } catch {
                if Task.isCancelled { return }
                let engineError =
                    error as? EngineError ?? EngineError(.failed, engine: member.engine.name, "synthesis failed: \(error)")
                failure = engineError
                let health = self.health.withLock { $0 }
                let next = order[(position + 1)...].first { Self.usable(health[$0], at: .now) || $0 == order.last }
                rest(index, after: engineError, next: next.map { members[$0].engine.name }, partial: seconds > 0)
                let pace = paces.withLock { $0[index] } ?? Self.defaultPace
                remaining = remaining.remainder(afterSeconds: seconds, marksReported: marks, charactersPerSecond: pace)
                if remaining.isEmpty { return }
            }
        }
        throw failure ?? EngineError(.unavailable, engine: name, "no engine could speak")
    }

    /// `outputs`, failing when the engine produces nothing for `watchdog`: an
    /// engine that hangs (a library call that never returns) must not hold the
    /// queue. The engine's stream is then dropped, which asks it to stop; its
    /// thread may stay stuck, but the engine rests and the chain moves on.
    private func watched(
        _ outputs: AsyncThrowingStream<SynthesisOutput, any Error>, engine: String
    ) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (relay, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let lastOutput = LastOutput()
        let producer = Task {
            do {
                for try await item in outputs {
                    lastOutput.note()
                    continuation.yield(item)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let bound = watchdog
        let guardian = Task {
            while !Task.isCancelled {
                let deadline = lastOutput.instant + bound
                if deadline <= .now {
                    continuation.finish(
                        throwing: EngineError(.failed, engine: engine, "produced nothing for \(bound); the engine seems hung"))
                    producer.cancel()
                    return
                }
                try? await Sleep.until(deadline)
            }
        }
        continuation.onTermination = { _ in
            producer.cancel()
            guardian.cancel()
        }
        return relay
    }

    /// Speech runs at about 15 characters a second until an engine shows its own pace.
    static let defaultPace = 15.0

    private func learnPace(of index: Int, characters: Int, seconds: Double) {
        guard seconds > 0.5, characters > 5 else { return }
        let pace = Double(characters) / seconds
        paces.withLock { paces in paces[index] = paces[index].map { ($0 + pace) / 2 } ?? pace }
    }

    /// Members in the order to try: the one owning the chosen voice first;
    /// else, for a language, the engines that speak it and then the offline
    /// voice; else (or when none speaks it, said once) the configured order.
    private func order(for voice: String?, language: String) -> [Int] {
        if let voice, let owner = members.firstIndex(where: { $0.voices.contains(voice) }) {
            return [owner] + members.indices.filter { $0 != owner }
        }
        guard !language.isEmpty else { return Array(members.indices) }
        let speaking = members.indices.filter { members[$0].languages.contains(language) }
        guard !speaking.isEmpty else {
            if unservedLanguages.withLock({ $0.insert(language).inserted }) {
                logger.notice(
                    "no engine speaks this language; using the default voice", metadata: ["herald.language": "\(language)"])
            }
            return Array(members.indices)
        }
        let last = members.count - 1
        return speaking.last == last ? speaking : speaking + [last]
    }

    private static func usable(_ health: Health, at now: ContinuousClock.Instant) -> Bool {
        switch health.state {
        case .ready: true
        case .coolingDown(let until): until <= now
        case .disabled: false
        }
    }

    /// Records a failure, puts the engine to rest as its kind calls for, and
    /// says so unless it was already resting (a chunk synthesised ahead).
    private func rest(_ index: Int, after error: EngineError, next: String?, partial: Bool) {
        let state: Health.State
        switch error.code {
        case .configuration: state = .disabled
        // A refusal may be about this text only, but an engine that refuses is not trusted with the
        // next chunks either: they would each wait for the refusal and log it again.
        case .rejected, .retryable, .unavailable, .failed:
            state = .coolingDown(until: .now + max(cooldown, error.retryAfter ?? .zero))
        }
        // The next chunk is synthesised ahead and usually meets the same fault: say it once.
        let alreadyKnown = health.withLock { health in
            let known = !Self.usable(health[index], at: .now)
            health[index].state = state
            health[index].lastError = error
            return known
        }
        guard !alreadyKnown else { return }
        var metadata: Logger.Metadata = [
            "herald.engine": "\(error.engine)", "herald.reason": "\(error.message)",
            "herald.next": "\(next ?? "none")",
        ]
        if case .coolingDown(let until) = state { metadata["herald.rest"] = "\(until - .now)" }
        if partial { metadata["herald.partial"] = "true" }
        if error.code == .configuration {
            logger.error("engine set aside until the configuration is fixed", metadata: metadata)
        } else {
            logger.warning("engine failed; the rest goes to the next engine", metadata: metadata)
        }
    }
}

/// When a watched engine last produced something, shared by its relay and its watchdog.
private final class LastOutput: Sendable {
    private let last = Locked(ContinuousClock.now)
    var instant: ContinuousClock.Instant { last.withLock { $0 } }
    func note() { last.withLock { $0 = .now } }
}
