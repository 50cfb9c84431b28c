internal import HeraldSystem

/// An engine with a bounded in-memory cache of short chunks in front of it.
///
/// A screen reader says "link", "button" and "heading level 2" all day; a
/// cloud voice would fetch each of them again, 100 ms or more away. Short
/// chunks that an engine synthesised to the end are kept, keyed by the chunk
/// (text, marks, pauses), the voice settings (without rate, pitch and volume
/// for an engine that lacks its own: its audio is kept as the engine made it,
/// before the prosody stage, so a phrase cached at one rate plays at any
/// other) and the name of the engine. heraldd puts each engine of its chain
/// behind its own cache, all sharing one store, so audio of the fallback
/// voice is never served for the cloud voice once that is back. A hit streams
/// the stored audio at once, with no network and no synthesis.
///
/// Bounded two ways: only chunks of at most `maxCharacters` characters are
/// kept, and the least recently used entries go once the audio exceeds
/// `maxBytes`. Nothing is written to disk; the text lives only as a key.
/// Engines that are not `isWorthCaching` (espeak-ng, whose first audio is
/// as quick as a hit's) pass straight through and cost the cache nothing.
public final class CachingEngine: EngineStage {
    private let engine: any SpeechEngine
    private let cache: Locked<AudioCache>
    private let maxCharacters: Int

    /// - Parameters:
    ///   - maxCharacters: longer chunks pass straight through, never stored.
    ///   - maxBytes: the audio kept, at most (samples are 2 bytes).
    public init(_ engine: any SpeechEngine, maxCharacters: Int = 48, maxBytes: Int = 2 << 20) {
        self.engine = engine
        self.maxCharacters = maxCharacters
        self.cache = Locked(AudioCache(maxBytes: maxBytes))
    }

    /// `engine` with its own entries in `other`'s store and bound: each engine
    /// of a chain has its cache (inside the chain), and together they still
    /// keep at most one `maxBytes`.
    public init(_ engine: any SpeechEngine, sharingStoreOf other: CachingEngine) {
        self.engine = engine
        self.maxCharacters = other.maxCharacters
        self.cache = other.cache
    }

    public var wrapped: any SpeechEngine { engine }

    /// Entries and bytes held, for tests and status.
    public var usage: (entries: Int, bytes: Int) { cache.withLock { ($0.count, $0.bytes) } }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let settings = engine.hasNativeProsody ? settings : settings.withNeutralProsody
        guard chunk.plainText.count <= maxCharacters, engine.isWorthCaching else {
            return engine.synthesize(chunk, settings: settings)
        }
        let key = AudioCache.Key(engine: engine.name, chunk: chunk, settings: settings)
        if let outputs = cache.withLock({ $0.outputs(for: key) }) {
            let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
            for output in outputs { continuation.yield(output) }
            continuation.finish()
            return stream
        }
        let source = engine.synthesize(chunk, settings: settings)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let task = Task { [self] in
            var outputs: [SynthesisOutput] = []
            do {
                for try await output in source {
                    continuation.yield(output)
                    outputs.append(output)
                }
            } catch {
                continuation.finish(throwing: error)
                return
            }
            // Kept only when whole and made by the engine the key names (a chain
            // that fell back part-way now names another), and before the stream
            // ends, so that the next request for it is a hit.
            if !Task.isCancelled, engine.name == key.engine {
                cache.withLock { $0.insert(outputs, for: key) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// The least-recently-used store behind `CachingEngine`.
struct AudioCache {
    struct Key: Hashable {
        let engine: String
        let chunk: SpeechChunk
        let settings: VoiceSettings
    }

    private struct Entry {
        let outputs: [SynthesisOutput]
        let bytes: Int
        var lastUse: UInt64
    }

    let maxBytes: Int
    private var entries: [Key: Entry] = [:]
    private(set) var bytes = 0
    private var clock: UInt64 = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    var count: Int { entries.count }

    mutating func outputs(for key: Key) -> [SynthesisOutput]? {
        clock &+= 1
        guard var entry = entries[key] else { return nil }
        entry.lastUse = clock
        entries[key] = entry
        return entry.outputs
    }

    mutating func insert(_ outputs: [SynthesisOutput], for key: Key) {
        let size = outputs.reduce(0) { size, output in
            if case .audio(let chunk) = output { return size + chunk.samples.count * 2 }
            return size
        }
        guard size > 0, size <= maxBytes else { return }
        clock &+= 1
        if let old = entries.removeValue(forKey: key) { bytes -= old.bytes }
        while bytes + size > maxBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            bytes -= oldest.value.bytes
        }
        entries[key] = Entry(outputs: outputs, bytes: size, lastUse: clock)
        bytes += size
    }
}
