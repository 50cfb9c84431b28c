internal import HeraldCore
internal import Logging
internal import Synchronization
internal import HeraldSystem

/// One accepted `Synthesize` request at work: its text through the engine,
/// each output converted to the voice's format and framed, into its pipe.
///
/// Runs as its own task, apart from Herald's queue, scheduler and sound card.
/// It stops as soon as the client closes its end of the pipe (the pipe
/// writer calls `cancel()`), which ends the engine stream and so the engine's
/// work on it; other requests are not touched.
final class SpielSynthesis: Sendable {
    let id: UInt64
    private let task = Locked<Task<Void, Never>?>(nil)
    private let cancelled = Atomic<Bool>(false)

    init(id: UInt64) {
        self.id = id
    }

    /// Starts the work; `done` runs when it has ended, however it ended.
    func start(
        _ request: SpielRequest, pipe: PipeHandle, engine: any SpeechEngine, preparer: TextPreparer, logger: Logger,
        done: @escaping @Sendable () -> Void
    ) {
        let work = Task {
            await Self.run(request, pipe: pipe, engine: engine, preparer: preparer, logger: logger)
            done()
        }
        task.withLock { $0 = work }
        if cancelled.load(ordering: .acquiring) { work.cancel() }
    }

    /// Stops the work; safe from any thread, before or after `start`.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        task.withLock { $0 }?.cancel()
    }

    /// A client's mark as a mark event; a place as a sentence event where a
    /// sentence starts and a word event, as the voice advertises them.
    private static func events(forMark name: String, places: ReadingPlaces, features: SpielVoiceFeatures) -> [[UInt8]] {
        guard let entry = places.entry(named: name) else {
            return TextPlace.isReserved(name) ? [] : [SpielStream.markEvent(name)]
        }
        let place = places.entries[entry].place
        var events: [[UInt8]] = []
        if features.contains(.sentenceEvents), place.edge != .word || entry == 0 {
            events.append(SpielStream.rangeEvent(.sentence, places.range(ofSentence: places.sentence(containing: entry))))
        }
        if features.contains(.wordEvents) {
            events.append(SpielStream.rangeEvent(.word, TextRange(start: place.start, end: place.end)))
        }
        return events
    }

    private static func run(
        _ request: SpielRequest, pipe: PipeHandle, engine: any SpeechEngine, preparer: TextPreparer, logger: Logger
    ) async {
        var finished = false
        defer { if !finished { pipe.abort() } }
        guard await pipe.send([SpielStream.header]) else { return }
        var preparer = preparer
        let features = request.voice.features
        preparer.marking = features.contains(.wordEvents) ? .words : features.contains(.sentenceEvents) ? .sentences : .none
        let chunks = preparer.chunks(for: request.content, settings: request.settings)
        let places = ReadingPlaces(chunks)
        let format = request.voice.format
        do {
            for chunk in chunks {
                try Task.checkCancellation()
                for try await output in engine.synthesize(chunk, settings: request.settings) {
                    let frames: [[UInt8]] =
                        switch output {
                        case .audio(let audio): SpielStream.audioChunks(AudioConversion.convert(audio, to: format))
                        case .mark(let name): Self.events(forMark: name, places: places, features: features)
                        }
                    // Leaving the loop drops the engine's stream, which stops its work on this chunk.
                    guard await pipe.send(frames) else { return }
                }
            }
        } catch is CancellationError {
            return
        } catch {
            // Spiel has no way to report a failure mid-stream: the client sees the stream end early.
            logger.warning(
                "a Spiel request ended early: the engine failed",
                metadata: ["herald.voice": "\(request.voice.voice.id)", "herald.error": "\(error)"])
        }
        guard !Task.isCancelled else { return }
        pipe.finish()
        finished = true
    }
}
