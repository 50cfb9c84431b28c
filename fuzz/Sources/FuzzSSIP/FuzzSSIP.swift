internal import Dispatch
internal import HeraldCore
@testable internal import HeraldSSIP
internal import Logging
internal import NIOCore
internal import NIOEmbedded

/// libFuzzer target: the bytes a client writes to the SSIP socket.
///
/// They go the way the server takes them: cut into frames by
/// `SSIPFrameDecoder` (with a small line limit, so long lines and their
/// fragments are reached quickly), then through one connection's
/// `SSIPConnection.receive` against a real `Scheduler`, whose playback driver
/// prepares each message's text as the player would (`TextPreparer`) and ends
/// it at once. Events go back through `Session.deliver`, as the service routes them.
/// Anything that traps, hangs or grows without bound is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSIP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let done = DispatchSemaphore(value: 0)
    Task {
        await SSIPFuzzRun.run(bytes)
        done.signal()
    }
    done.wait()
    return 0
}

enum SSIPFuzzRun {
    static let limits = SSIPService.Limits(
        maxLineBytes: 256, maxMessageBytes: 4_096, maxOutboundBytes: 16_384, eventGrace: .zero)
    static let voices = [
        Voice(id: "espeak-ng:en", name: "English", language: "en", engine: "espeak-ng", gender: .male),
        Voice(id: "espeak-ng:fr", name: "French (France)", language: "fr-FR", engine: "espeak-ng", gender: .female),
    ]

    static func run(_ bytes: [UInt8]) async {
        let logger = Logger(label: "fuzz.ssip") { _ in EvaluatingLogHandler() }
        let scheduler = Scheduler(player: PreparingDriver(), logger: logger)
        let registry = SessionRegistry()
        let context = SSIPServerContext(
            scheduler: scheduler, catalog: VoiceCatalog(voices: voices, outputModules: ["espeak-ng"]),
            registry: registry, limits: limits, logger: logger)
        // The thread-safe test channel: the connection's work hops between threads.
        let channel = NIOAsyncTestingChannel()
        let session = Session(number: registry.allocateNumber(), channel: channel, outboundLimit: limits.maxOutboundBytes)
        registry.add(session)
        let events = await scheduler.events()
        let router = Task { for await event in events { registry.session(for: event.client)?.deliver(event) } }
        let connection = SSIPConnection(session: session, server: context)
        let decoder = SSIPFrameDecoder(fragmentBytes: limits.maxLineBytes)
        var buffer = ByteBuffer(bytes: bytes)
        while let frame = decoder.nextFrame(&buffer) {
            guard await connection.receive(frame) else { break }
        }
        session.outbox.finish()
        registry.remove(session)
        await scheduler.clientLeft(session.clientID)
        await scheduler.shutDown()
        router.cancel()
        _ = await router.value
        // Breaks the channel's cycle with its pipeline, as a real channel's close does.
        _ = try? await channel.finish()
    }
}

/// Plays nothing: prepares the text as `Player` does, then reports the message over.
struct PreparingDriver: PlaybackDriver {
    func start(_ utterance: Utterance, report: @escaping @Sendable (PlaybackReport) async -> Void) {
        let chunks = TextPreparer(maxChunkCharacters: 500).chunks(for: utterance.content, settings: utterance.settings)
        Task {
            await report(.started(utterance.id))
            for case .mark(let name) in chunks.flatMap(\.segments) { await report(.mark(utterance.id, name)) }
            await report(.ended(utterance.id))
        }
    }
    func stop(_ id: UtteranceID) {}
    func pause(_ id: UtteranceID) {}
    func resume(_ id: UtteranceID) {}
}

/// Evaluates every message and its metadata at every level (as a real
/// handler would), then drops them.
struct EvaluatingLogHandler: LogHandler {
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        _ = "\(event.message) \(event.metadata ?? [:])"
    }
}
