public import Logging
internal import HeraldSystem

/// What playback tells the scheduler, in the order it happened.
public enum PlaybackReport: Sendable, Equatable {
    case started(UtteranceID)
    case mark(UtteranceID, String)
    /// A word or sentence began to be heard (`SpeechEventKind.word`, `.sentence`).
    case place(UtteranceID, SpeechEventKind)
    case ended(UtteranceID)
    case failed(UtteranceID, reason: String)
}

/// Carries out the scheduler's playback actions. The scheduler guarantees at
/// most one message plays at a time; others may be suspended.
public protocol PlaybackDriver: Sendable {
    func start(_ utterance: Utterance, report: @escaping @Sendable (PlaybackReport) async -> Void)
    /// Halts and forgets a message; silencing starts at once (the sink drops
    /// its buffer within about a millisecond) and nothing of it plays after.
    func stop(_ id: UtteranceID)
    func pause(_ id: UtteranceID)
    func resume(_ id: UtteranceID)
    /// Moves a speaking or paused message `count` sentences or paragraphs
    /// from the one being heard (0: its start again); playing goes on from
    /// there at once, paused stays paused there.
    func skip(_ id: UtteranceID, count: Int, unit: SkipUnit) -> SkipOutcome
}

/// What became of a move (`PlaybackDriver.skip`).
public enum SkipOutcome: Sendable, Equatable {
    case moved
    /// The move went past the last sentence: the message is over, as if heard to its end.
    case pastEnd
    /// The message has no places to move by (SSIP's, characters, keys, spelling).
    case notMovable
    /// The player holds no such message.
    case unknown
}

extension PlaybackDriver {
    public func skip(_ id: UtteranceID, count: Int, unit: SkipUnit) -> SkipOutcome { .notMovable }
}

/// The synth pipeline and player: prepares an utterance's text, synthesises it
/// chunk by chunk — the next chunk while the current one plays — and feeds the
/// audio sink, reporting marks when playback reaches them.
///
/// Pausing cancels the message's task and keeps its position (chunk and frame);
/// resuming synthesises that chunk again and skips what was heard. Engines are
/// deterministic enough for this, and it keeps no audio in memory while paused.
///
/// Each message holds a lease on the setup (engine and device) in force when
/// it started, paused or not, so a reload changes the next message only.
public final class Player: PlaybackDriver {
    private let setups: SetupInForce
    private let preparer: TextPreparer
    private let logger: Logger
    private let jobs = Locked<[UtteranceID: Job]>([:])

    /// Audio handed to the device but not yet heard when a pause drops it;
    /// resuming backs up this much so nothing is lost.
    private static let deviceBufferMilliseconds = 40
    /// How much of a message's first long chunk goes to the device before
    /// `began` is reported: one device buffer.
    private static let leadMilliseconds = 40

    public init(setups: SetupInForce, preparer: TextPreparer, logger: Logger) {
        self.setups = setups
        self.preparer = preparer
        self.logger = logger
    }

    /// A player whose engine and device never change.
    public convenience init(engine: any SpeechEngine, sink: any AudioSink, preparer: TextPreparer, logger: Logger) {
        self.init(setups: SetupInForce(SpeechSetup(engine: engine, sink: sink)), preparer: preparer, logger: logger)
    }

    /// The engine's name, for status output.
    public var engineName: String { setups.current.engine.name }

    public func start(_ utterance: Utterance, report: @escaping @Sendable (PlaybackReport) async -> Void) {
        let job = Job(utterance: utterance, lease: setups.lease(), report: report)
        jobs.withLock { $0[utterance.id] = job }
        launch(job)
    }

    public func stop(_ id: UtteranceID) {
        guard let job = jobs.withLock({ $0.removeValue(forKey: id) }) else { return }
        // A suspended message has nothing in the device; silencing it would cut
        // whoever speaks now.
        if job.cancel(suspending: false) { job.sink.stop() }
    }

    public func pause(_ id: UtteranceID) {
        guard let job = jobs.withLock({ $0[id] }) else { return }
        if job.cancel(suspending: true) { job.sink.stop() }
    }

    public func resume(_ id: UtteranceID) {
        guard let job = jobs.withLock({ $0[id] }) else { return }
        launch(job, rewinding: true)
    }

    public func skip(_ id: UtteranceID, count: Int, unit: SkipUnit) -> SkipOutcome {
        guard let job = jobs.withLock({ $0[id] }) else { return .unknown }
        switch job.plan(moving: count, by: unit) {
        case .later: return .moved
        case .pastEnd: return .pastEnd
        case .notMovable: return .notMovable
        case .to(let position):
            // A paused message stays paused: cancelling its (already ended) task changes nothing.
            if job.cancel(suspending: false) {
                job.sink.stop()
                launch(job, moving: position)
            } else {
                // Paused: it moves and stays paused, once the paused task has noted where it stopped.
                let previous = job.currentTask
                job.chain(Task { await previous?.value; job.move(to: position) })
            }
            return .moved
        }
    }

    /// Runs `job` from its position, after the task that ran it before (if any)
    /// has recorded where it stopped.
    private func launch(_ job: Job, rewinding: Bool = false, moving position: Job.Position? = nil) {
        let previous = job.currentTask
        let task = Task { [self] in
            await previous?.value
            if let position { job.move(to: position) }
            if rewinding {
                job.rewind(frames: { format in format.frames(milliseconds: Self.deviceBufferMilliseconds) })
            }
            await run(job)
        }
        job.attach(task)
    }

    private func run(_ job: Job) async {
        let id = job.utterance.id
        // Prepared here, off the scheduler's actor: a megabyte of text takes a
        // while to chunk, and nobody's Stop should wait for that.
        var preparer = self.preparer.following(job.setup)
        preparer.marking = job.utterance.places
        // What is foreign to the voice depends on its language: a message naming only a voice reads in the voice's.
        var reading = job.utterance.settings
        if reading.language == nil, let voice = reading.voice {
            reading.language = await job.engine.voices().first { $0.id == voice }?.language
        }
        let chunks = job.chunks { preparer.chunks(for: job.utterance.content, settings: reading) }
        if job.applyPendingMove() == .pastEnd {
            forget(job)
            await job.report(.ended(id))
            return
        }
        let places = job.places
        let reportsWords = job.utterance.places == .words
        let (start, generation) = job.startingPoint
        var marksBeforeAudio: [PlaybackReport] = []
        var marksWaiting = 0
        var format: AudioFormat?

        /// `began` goes out once the first audio is in the device; marks that
        /// come before any audio wait for it, so clients see began first.
        func announceStart() async {
            guard job.noteStarted() else { return }
            await job.report(.started(id))
            for report in marksBeforeAudio { await job.report(report) }
            for _ in 0..<marksWaiting { job.markReported() }
            marksBeforeAudio = []
            marksWaiting = 0
        }

        /// What a mark tells clients: the client's own name, or the word and sentence a place begins.
        func reports(forMark name: String) -> [PlaybackReport] {
            guard let places, let entry = places.entry(named: name) else {
                return TextPlace.isReserved(name) ? [] : [.mark(id, name)]
            }
            job.heard(entry, generation: generation)
            guard reportsWords else { return [] }
            let place = places.entries[entry].place
            let word = PlaybackReport.place(id, .word(TextRange(start: place.start, end: place.end)))
            guard place.edge != .word || entry == 0 else { return [word] }
            return [.place(id, .sentence(places.range(ofSentence: places.sentence(containing: entry)))), word]
        }

        do {
            var next = start.chunk < chunks.count ? synthesize(Self.chunk(chunks[start.chunk], from: start.segment), job) : nil
            for index in start.chunk..<chunks.count {
                guard let outputs = next else { break }
                next = index + 1 < chunks.count ? synthesize(chunks[index + 1], job) : nil
                let skip = index == start.chunk ? start.frame : 0
                var produced = 0
                var marksSeen = 0
                for try await output in outputs {
                    switch output {
                    case .mark(let name):
                        marksSeen += 1
                        // Marks heard before a pause are not told again on resuming.
                        guard index != start.chunk || marksSeen > start.marks else { continue }
                        if job.hasStarted {
                            job.markReported()
                            for report in reports(forMark: name) { await job.report(report) }
                        } else {
                            marksBeforeAudio += reports(forMark: name)
                            marksWaiting += 1
                        }
                    case .audio(let chunk):
                        format = chunk.format
                        let frames = chunk.frameCount
                        defer { produced += frames }
                        if produced + frames <= skip { continue }
                        // Frames of this chunk handed over (or skipped) so far.
                        var handed = max(0, skip - produced)
                        var audio = handed == 0 ? chunk : chunk.dropping(frames: handed)
                        // An engine that answers whole (POST, MeloTTS) gives seconds of audio in one
                        // chunk; `began` must come with its first audio, not once all of it is in
                        // the device, or a screen reader's next message cancels one that never began.
                        let lead = chunk.format.frames(milliseconds: Self.leadMilliseconds)
                        if !job.hasStarted, audio.frameCount > 2 * lead {
                            if let accepted = try await playUnlessCancelled(audio.prefix(frames: lead), on: job.sink) {
                                if accepted > 0 { await announceStart() }
                                job.advance(chunk: index, frame: produced + handed + accepted, format: chunk.format)
                                return
                            }
                            await announceStart()
                            handed += lead
                            audio = audio.dropping(frames: lead)
                        }
                        let accepted = try await playUnlessCancelled(audio, on: job.sink)
                        if accepted ?? 1 > 0 { await announceStart() }
                        if let accepted {
                            job.advance(chunk: index, frame: produced + handed + accepted, format: chunk.format)
                            return
                        }
                        job.advance(chunk: index, frame: produced + frames, format: chunk.format)
                    }
                    if Task.isCancelled { return }
                }
                if Task.isCancelled { return }
                job.advance(toChunk: index + 1, format: format)
            }
            if Task.isCancelled { return }
            while case .stopped = try await drain(job.sink) {
                if Task.isCancelled { return }
            }
        } catch let error as AudioError {
            guard !Task.isCancelled else { return }
            forget(job)
            await job.report(.failed(id, reason: "audio device: \(error.message)"))
            return
        } catch {
            guard !Task.isCancelled else { return }
            let reason = (error as? EngineError)?.description ?? "synthesis failed: \(error)"
            logger.warning("synthesis failed", metadata: ["herald.utterance.id": "\(id)", "herald.reason": "\(reason)"])
            forget(job)
            await job.report(.failed(id, reason: reason))
            return
        }
        await announceStart()
        forget(job)
        await job.report(.ended(id))
    }

    private func forget(_ job: Job) {
        jobs.withLock { jobs in
            if jobs[job.utterance.id] === job { jobs[job.utterance.id] = nil }
        }
    }

    /// `chunk` from its segment `segment` on: where a move lands inside a chunk.
    private static func chunk(_ chunk: SpeechChunk, from segment: Int) -> SpeechChunk {
        segment == 0 ? chunk : SpeechChunk(Array(chunk.segments[segment...]), language: chunk.language)
    }

    private func synthesize(_ chunk: SpeechChunk, _ job: Job) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        job.engine.synthesize(chunk, settings: job.utterance.settings)
    }

    /// Plays all of `chunk` unless this task is cancelled (stop or pause);
    /// returns nil when it all went out, or the frames accepted before the cancel.
    /// A stop meant for someone else (the sink is shared) only interrupts the
    /// call, so the rest is handed over again.
    private func playUnlessCancelled(_ chunk: AudioChunk, on sink: any AudioSink) async throws(AudioError) -> Int? {
        var accepted = 0
        while true {
            if Task.isCancelled { return accepted }
            let rest = accepted == 0 ? chunk : chunk.dropping(frames: accepted)
            switch try await sink.play(rest) {
            case .completed: return nil
            case .stopped(let frames):
                accepted += frames
                if Task.isCancelled { return accepted }
            }
        }
    }

    private func drain(_ sink: any AudioSink) async throws(AudioError) -> PlaybackOutcome {
        if Task.isCancelled { return .stopped(framesAccepted: 0) }
        return try await sink.drain()
    }
}

/// One message's playback: its prepared chunks and how far it got.
private final class Job: Sendable {
    struct Position: Sendable {
        var chunk = 0
        /// Where in the chunk it starts: a move may land inside one.
        var segment = 0
        var frame = 0
        /// The chunk's marks already reported, so a resume does not repeat them.
        var marks = 0
        var format: AudioFormat?
    }

    /// What a move comes to (`plan(moving:by:)`).
    enum Plan {
        case to(Position)
        case pastEnd
        case notMovable
        /// The text is still being prepared: the move applies once it is.
        case later
    }

    private struct State: Sendable {
        var position = Position()
        var started = false
        var task: Task<Void, Never>?
        var cancelled = false
        var suspended = false
        var chunks: [SpeechChunk]?
        var places: ReadingPlaces?
        /// The place last heard (or moved to), among `places.entries`.
        var heard: Int?
        /// Counts moves, so marks a superseded run still reports do not count as heard.
        var generation = 0
        var pendingMove: (count: Int, unit: SkipUnit)?
    }

    let utterance: Utterance
    /// The engine and device this message began with, held until it is forgotten.
    private let lease: SetupLease
    let report: @Sendable (PlaybackReport) async -> Void
    private let state = Locked(State())

    init(utterance: Utterance, lease: SetupLease, report: @escaping @Sendable (PlaybackReport) async -> Void) {
        self.utterance = utterance
        self.lease = lease
        self.report = report
    }

    var engine: any SpeechEngine { lease.setup.engine }
    var sink: any AudioSink { lease.setup.sink }
    var setup: SpeechSetup { lease.setup }

    /// The prepared chunks, made by the first run and kept for a resume or a move.
    func chunks(_ prepare: () -> [SpeechChunk]) -> [SpeechChunk] {
        if let chunks = state.withLock({ $0.chunks }) { return chunks }
        let chunks = prepare()
        let places = utterance.places == .none ? nil : ReadingPlaces(chunks)
        state.withLock {
            $0.chunks = chunks
            $0.places = places
        }
        return chunks
    }

    var places: ReadingPlaces? { state.withLock { $0.places } }

    var hasStarted: Bool { state.withLock { $0.started } }

    var position: Position { state.withLock { $0.position } }
    /// Where a run starts, and the move it starts after.
    var startingPoint: (Position, generation: Int) { state.withLock { ($0.position, $0.generation) } }
    var currentTask: Task<Void, Never>? { state.withLock { $0.task } }

    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.task = task
            state.suspended = false
            let wasCancelled = state.cancelled
            state.cancelled = false
            return wasCancelled
        }
        if cancelled { task.cancel() }
    }

    /// Makes `task` the one later runs wait for, leaving a pause in force.
    func chain(_ task: Task<Void, Never>) {
        state.withLock { $0.task = task }
    }

    /// Cancels the running task; returns whether the message was playing (not
    /// already suspended), that is, whether the device holds its audio.
    func cancel(suspending: Bool) -> Bool {
        let (task, wasPlaying) = state.withLock { state in
            let wasPlaying = !state.suspended
            state.suspended = state.suspended || suspending
            state.cancelled = state.task == nil
            return (state.task, wasPlaying)
        }
        task?.cancel()
        return wasPlaying
    }

    /// True the first time: the caller reports `started`.
    func noteStarted() -> Bool {
        state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
    }

    func markReported() { state.withLock { $0.position.marks += 1 } }

    /// Playback reached place `entry`; ignored from a run a move has superseded.
    func heard(_ entry: Int, generation: Int) {
        state.withLock { state in
            if state.generation == generation { state.heard = entry }
        }
    }

    func advance(chunk: Int, frame: Int, format: AudioFormat?) {
        state.withLock { state in
            if state.position.chunk != chunk { state.position = Position(chunk: chunk) }
            state.position.frame = frame
            state.position.format = format
        }
    }

    func advance(toChunk chunk: Int, format: AudioFormat?) {
        state.withLock { $0.position = Position(chunk: chunk, format: format) }
    }

    func move(to position: Position) {
        state.withLock { $0.position = position }
    }

    /// Where moving `count` sentences or paragraphs from the place heard
    /// leads; the place moved to counts as heard, so two quick moves go two
    /// steps even before the first one's audio plays.
    func plan(moving count: Int, by unit: SkipUnit) -> Plan {
        state.withLock { state in
            guard state.chunks != nil else {
                if let pending = state.pendingMove, pending.unit == unit {
                    state.pendingMove = (pending.count + count, unit)
                } else {
                    state.pendingMove = (count, unit)
                }
                return .later
            }
            return Self.plan(&state, moving: count, by: unit)
        }
    }

    /// Applies a move that came while the text was being prepared.
    func applyPendingMove() -> SkipOutcome? {
        state.withLock { state in
            guard let pending = state.pendingMove else { return nil }
            state.pendingMove = nil
            switch Self.plan(&state, moving: pending.count, by: pending.unit) {
            case .to(let position):
                state.position = position
                return .moved
            case .pastEnd: return .pastEnd
            case .notMovable, .later: return .notMovable
            }
        }
    }

    private static func plan(_ state: inout State, moving count: Int, by unit: SkipUnit) -> Plan {
        guard let places = state.places, !places.isEmpty else { return .notMovable }
        guard let target = places.target(from: state.heard, moving: count, by: unit) else { return .pastEnd }
        state.generation += 1
        state.heard = target
        let entry = places.entries[target]
        return .to(Position(chunk: entry.chunk, segment: entry.segment))
    }

    func rewind(frames: (AudioFormat) -> Int) {
        state.withLock { state in
            guard let format = state.position.format else { return }
            state.position.frame = max(0, state.position.frame - frames(format))
        }
    }
}

extension AudioChunk {
    /// The same audio without its first `frames` frames.
    func dropping(frames: Int) -> AudioChunk {
        AudioChunk(format: format, samples: Array(samples.dropFirst(frames * format.channels)))
    }

    func prefix(frames: Int) -> AudioChunk {
        AudioChunk(format: format, samples: Array(samples.prefix(frames * format.channels)))
    }
}
