public import HeraldCore
public import HeraldDBus
public import Logging
internal import Glibc
internal import HeraldSystem

/// Herald as a Spiel speech provider: `org.freedesktop.Speech.Provider` at
/// `/org/herald/Speech/Provider`, so that libspiel clients (Orca's Spiel
/// backend among them) get Herald's voices and engine chain.
///
/// It synthesises through the `SpeechEngine` it is given (in heraldd, the
/// engine behind Herald's own queue) but never through that queue: Spiel
/// clients queue and play the audio themselves. Each request streams into
/// the client's pipe as it is synthesised, several run at once, and a client
/// that closes its end stops its request alone.
public final class SpielProvider: Sendable {
    public static let busName = "org.herald.Speech.Provider"
    public static let objectPath = "/org/herald/Speech/Provider"
    public static let interface = "org.freedesktop.Speech.Provider"
    /// What clients show as the provider's name.
    public static let displayName = "Herald"
    /// The most requests synthesised at once; more get a `Busy` error reply.
    public static let maxRequests = 32
    /// The format of voices whose engine did not say what it produces
    /// (Workers AI's default); other rates are resampled to it.
    public static let fallbackFormat = AudioFormat(sampleRate: 24000)

    /// The interface XML in `dbus/`, served verbatim for Introspect.
    static let introspectionXML = String(decoding: PackageResources.org_freedesktop_Speech_Provider_xml, as: UTF8.self)

    private let engine: any SpeechEngine
    private let preparer: TextPreparer
    private let logger: Logger
    private let state: Locked<State>

    private struct State {
        var voices: [SpielVoice]
        var connections: [DBusConnection] = []
        var requests: [UInt64: SpielSynthesis] = [:]
        var nextID: UInt64 = 1
    }

    /// - Parameters:
    ///   - engine: what synthesises every voice (the daemon's engine chain).
    ///   - voices: the voices to offer, as the engines list them.
    ///   - engines: the engines behind `engine`, whose facts each voice is
    ///     advertised with (matched by `Voice.engine`); a voice of an engine
    ///     missing here is advertised at `fallbackFormat`, with estimated marks.
    ///   - preparer: how text becomes engine chunks (the daemon's chunk limit).
    public init(
        engine: any SpeechEngine, voices: [Voice], engines: [any SpeechEngine], preparer: TextPreparer, logger: Logger
    ) {
        self.engine = engine
        self.preparer = preparer
        self.logger = logger
        state = Locked(State(voices: Self.spielVoices(voices, engines: engines)))
    }

    /// The voices as the `Voices` property shows them.
    public var voices: [SpielVoice] { state.withLock { $0.voices } }

    /// Requests being synthesised now.
    public var activeRequests: Int { state.withLock { $0.requests.count } }

    /// Serves the provider object on `connection` (the name is the caller's to take).
    public func export(on connection: DBusConnection) throws(DBusError) {
        try connection.export(object())
        state.withLock { $0.connections.append(connection) }
    }

    /// Replaces the voice list and tells clients with `PropertiesChanged` when
    /// it differs: how a reload of heraldd's config (credentials added or
    /// removed, engines changed) reaches Spiel clients.
    /// - Parameter engines: the engines behind the voices, as for `init`.
    public func setVoices(_ voices: [Voice], engines: [any SpeechEngine]) {
        let updated = Self.spielVoices(voices, engines: engines)
        let connections = state.withLock { state -> [DBusConnection] in
            guard state.voices != updated else { return [] }
            state.voices = updated
            return state.connections
        }
        for connection in connections where connection.isConnected {
            do {
                try connection.emitPropertiesChanged(
                    path: Self.objectPath, interface: Self.interface, changed: ["Voices": Self.voicesValue(updated)])
            } catch {
                logger.warning("could not announce the new Spiel voices", metadata: ["herald.error": "\(error)"])
            }
        }
    }

    /// Stops every request (their pipes close early); for shutdown.
    public func cancelAll() {
        for request in state.withLock({ Array($0.requests.values) }) { request.cancel() }
    }

    private static func spielVoices(_ voices: [Voice], engines: [any SpeechEngine]) -> [SpielVoice] {
        let engines = Dictionary(engines.map { ($0.name, $0) }) { first, _ in first }
        return voices.map { voice in
            let engine = engines[voice.engine]
            return SpielVoice(
                voice: voice, format: engine?.nativeFormat ?? Self.fallbackFormat, marks: engine?.markTiming ?? .estimated)
        }
    }

    static func voicesValue(_ voices: [SpielVoice]) -> DBusValue {
        .array(
            elementSignature: "(ssstas)",
            voices.map { voice in
                .struct([
                    .string(voice.voice.name), .string(voice.voice.id), .string(voice.outputFormat),
                    .uint64(voice.features.rawValue), .stringArray(voice.languages),
                ])
            })
    }

    // MARK: The D-Bus object

    /// `Synthesize(h pipe_fd, s text, s voice_id, d pitch, d rate, b is_ssml, s language)`.
    static let synthesizeSignature = "hssddbs"

    func object() -> DBusObject {
        let methods: [String: DBusMethod] = [
            // Concurrent: a client's requests never wait for one another's checks.
            "Synthesize": DBusMethod(
                inputSignature: Self.synthesizeSignature, outputSignature: "", concurrent: true,
                refusal: { call in
                    SpielError.invalid(
                        "Synthesize takes (pipe_fd h, text s, voice_id s, pitch d, rate d, is_ssml b, language s), not (\(call.signature)).")
                }
            ) { [self] call throws(DBusError) in
                try synthesize(call)
                return []
            }
        ]
        let properties: [String: DBusProperty] = [
            "Voices": DBusProperty(signature: "a(ssstas)", get: { [self] in Self.voicesValue(voices) }),
            "Name": .constant(.string(Self.displayName)),
        ]
        return DBusObject(
            path: Self.objectPath,
            interfaces: [DBusInterface(name: Self.interface, methods: methods, properties: properties)],
            introspectionXML: Self.introspectionXML)
    }

    /// Checks the call, then starts the work and returns: the reply does not
    /// wait for the audio, which may take longer than the caller's timeout.
    private func synthesize(_ call: DBusMethodCall) throws(DBusError) {
        let request = try SpielRequest(call, voices: voices)
        let synthesis = state.withLock { state -> SpielSynthesis? in
            guard state.requests.count < Self.maxRequests else { return nil }
            defer { state.nextID += 1 }
            let synthesis = SpielSynthesis(id: state.nextID)
            state.requests[synthesis.id] = synthesis
            return synthesis
        }
        guard let synthesis else {
            _ = close(request.fd)
            throw SpielError.busy(Self.maxRequests)
        }
        logger.debug(
            "Spiel request",
            metadata: [
                "herald.spiel.request": "\(synthesis.id)", "herald.voice": "\(request.voice.voice.id)",
                "herald.text": "\(String(describing: request.content).prefix(200))",
            ])
        let pipe = PipeWriter.shared.open(fd: request.fd) { synthesis.cancel() }
        synthesis.start(request, pipe: pipe, engine: engine, preparer: preparer.following(engine), logger: logger) { [self] in
            _ = state.withLock { $0.requests.removeValue(forKey: synthesis.id) }
        }
    }
}
