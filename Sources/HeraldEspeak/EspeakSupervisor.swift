internal import HeraldCore
internal import HeraldEspeakProtocol
internal import Logging

/// Runs on the engine's one thread: starts the helper, feeds it requests one
/// at a time, relays what it sends, and replaces it when it hangs or dies.
final class EspeakSupervisor {
    private let executable: String
    private let requests: EspeakRequestQueue
    private let logger: Logger
    private var helper: EspeakHelper?
    private var lastID: UInt32 = 0
    /// The first helper's rate; libespeak-ng's is fixed by its data (22,050 Hz).
    private var format = AudioFormat(sampleRate: 22050)

    /// Starts that failed in a row, when the next may be tried, and why the last failed.
    private var failedStarts = 0
    private var nextStart = ContinuousClock.now
    private var startError: EngineError?
    /// When the current helper said it was ready.
    private var startedAt = ContinuousClock.now

    init(executable: String, requests: EspeakRequestQueue, logger: Logger) {
        self.executable = executable
        self.requests = requests
        self.logger = logger
    }

    /// The first helper, whose failure is the engine's: `EspeakEngine.init` throws it.
    func startFirst() -> Result<EspeakHelper.Ready, EngineError> {
        EspeakHelper.start(executable).map { helper, ready in
            self.helper = helper
            startedAt = .now
            format = AudioFormat(sampleRate: ready.sampleRate)
            return ready
        }
    }

    func run() -> Never {
        while true { serve(nextRequest()) }
    }

    /// Waits for a request, meanwhile watching the idle helper: one that dies
    /// is replaced at once, so the next request finds one warm.
    private func nextRequest() -> EspeakRequest {
        while true {
            if helper == nil, ContinuousClock.now >= nextStart { restart() }
            if let request = requests.pop() { return request }
            guard let helper else {
                EspeakHelper.wait(for: requests.wake, until: nextStart)
                continue
            }
            switch helper.next(until: .now + .seconds(3600), wake: requests.wake) {
            case .woken, .timedOut: continue
            case .frame: replace(because: "\(EspeakHelper.executableName) sent a frame while idle")
            case .closed(let reason): replace(because: "\(EspeakHelper.executableName) \(helper.ending(reason)) while idle")
            }
        }
    }

    private func serve(_ request: EspeakRequest) {
        guard !request.isCancelled else { return request.output.finish() }
        // A short back-off is waited out (the request would otherwise fail for a
        // tenth of a second's wait); a long one means the helper keeps failing.
        while helper == nil, nextStart - .now < EspeakEngine.silenceBound, !request.isCancelled {
            EspeakHelper.wait(for: requests.wake, until: nextStart)
            if ContinuousClock.now >= nextStart { restart() }
        }
        guard !request.isCancelled else { return request.output.finish() }
        guard let helper else {
            let retry = nextStart - .now
            let reason = startError?.message ?? "it could not start"
            return request.output.finish(
                throwing: EngineError(
                    .unavailable, engine: "espeak-ng",
                    "\(EspeakHelper.executableName) failed to start \(failedStarts) times in a row (\(reason)); next try in \(retry)"))
        }
        lastID &+= 1
        let id = lastID
        var speak = EspeakFrameWriter(.speak, capacity: request.ssml.utf8.count + 64)
        speak.append(id)
        for value in [request.settings.rate, request.settings.pitch, request.settings.pitchRange, request.settings.volume] {
            speak.append(value)
        }
        speak.append(request.settings.voice ?? "")
        speak.append(request.settings.language ?? "")
        speak.append(request.ssml)
        guard helper.send(speak.finish()) else {
            return fail(request, "\(EspeakHelper.executableName) \(helper.ending("it stopped reading")) before speaking")
        }
        var deadline = ContinuousClock.now + EspeakEngine.silenceBound
        var cancelSent = false
        while true {
            if request.isCancelled, !cancelSent {
                var cancel = EspeakFrameWriter(.cancel)
                cancel.append(id)
                cancelSent = true
                request.output.finish()
                guard helper.send(cancel.finish()) else {
                    return fail(request, "\(EspeakHelper.executableName) \(helper.ending("it stopped reading")) at a cancel")
                }
            }
            switch helper.next(until: deadline, wake: requests.wake) {
            case .woken:
                continue
            case .timedOut:
                helper.stop()
                return fail(
                    request,
                    "\(EspeakHelper.executableName) sent nothing for \(EspeakEngine.silenceBound) while speaking; it was killed")
            case .closed(let reason):
                return fail(request, "\(EspeakHelper.executableName) \(helper.ending(reason)) while speaking")
            case .frame(let kind, let body):
                deadline = .now + EspeakEngine.silenceBound
                var reader = EspeakFrameReader(body)
                guard let frameID = reader.uint32() else {
                    helper.stop()
                    return fail(request, "\(EspeakHelper.executableName) sent a malformed frame; it was killed")
                }
                guard frameID == id else { continue }
                switch kind {
                case .audio:
                    let samples = reader.samples()
                    if !cancelSent, !samples.isEmpty {
                        request.output.yield(.audio(AudioChunk(format: format, samples: samples)))
                    }
                case .mark:
                    if !cancelSent, let name = reader.string() { request.output.yield(.mark(name)) }
                case .notice:
                    logger.info("\(reader.string() ?? "")", metadata: ["herald.engine": "espeak-ng"])
                case .end:
                    return request.output.finish()
                case .failed:
                    return request.output.finish(
                        throwing: EngineError(.failed, engine: "espeak-ng", reader.string() ?? "synthesis failed"))
                default:
                    helper.stop()
                    return fail(request, "\(EspeakHelper.executableName) sent an unexpected frame; it was killed")
                }
            }
        }
    }

    /// Fails the request with `reason` and replaces the helper it was given to.
    private func fail(_ request: EspeakRequest, _ reason: String) {
        request.output.finish(throwing: EngineError(.failed, engine: "espeak-ng", reason + "; a new one was started"))
        replace(because: reason)
    }

    /// Drops the current helper (killing and reaping it if the caller has
    /// not) and starts another now; one that died within a second of starting
    /// counts as a failed start, so a helper that cannot stay up does not spin.
    private func replace(because reason: String) {
        helper?.stop()
        helper = nil
        logger.warning("espeak-ng helper replaced", metadata: ["herald.engine": "espeak-ng", "herald.reason": "\(reason)"])
        if ContinuousClock.now - startedAt < .seconds(1) {
            noteFailedStart(EngineError(.unavailable, engine: "espeak-ng", "it died within a second of starting: \(reason)"))
        } else {
            failedStarts = 0
            nextStart = .now
            restart()
        }
    }

    /// Starts a helper; after each start that fails in a row, waits twice as
    /// long before the next (0.1 s, 0.2 s … up to 30 s), so a helper that
    /// cannot start does not spin.
    private func restart() {
        switch EspeakHelper.start(executable) {
        case .success(let (helper, _)):
            self.helper = helper
            startedAt = .now
            if failedStarts > 0 {
                logger.notice("espeak-ng helper started again", metadata: ["herald.engine": "espeak-ng"])
            }
            // The count of failures goes back to 0 once a helper has lived a second (`replace`).
            startError = nil
        case .failure(let error):
            noteFailedStart(error)
        }
    }

    private func noteFailedStart(_ error: EngineError) {
        failedStarts += 1
        startError = error
        nextStart = .now + min(.milliseconds(100) * (1 << min(failedStarts - 1, 10)), .seconds(30))
        let metadata: Logger.Metadata = [
            "herald.engine": "espeak-ng", "herald.reason": "\(error.message)", "herald.attempts": "\(failedStarts)",
        ]
        if failedStarts == 1 {
            logger.error("espeak-ng helper could not start; retrying", metadata: metadata)
        } else {
            logger.debug("espeak-ng helper could not start", metadata: metadata)
        }
    }
}
