internal import HeraldCore
public import HeraldDBus
public import Logging
public import ServiceLifecycle

/// `org.herald.Speech1` on the session bus: the methods of the contract wired
/// to the scheduler, its events sent as signals, and clients that leave the
/// bus forgotten.
public struct Speech1Service: Service, CustomStringConvertible {
    public static let busName = "org.herald.Speech1"
    public static let objectPath = "/org/herald/Speech1"
    public static let interface = "org.herald.Speech1"

    let connection: DBusConnection
    let pipeline: SpeechPipeline
    let reloader: Reloader
    let logger: Logger
    /// Subscribed before the name is taken, so nothing a client does the
    /// moment it sees the name is missed.
    private let events: AsyncStream<SpeechEvent>
    private let departures: AsyncStream<DBusNameOwnerChange>
    private let departed = DepartedClients()

    public var description: String { "Speech1Service" }

    private init(
        connection: DBusConnection, pipeline: SpeechPipeline, reloader: Reloader, events: AsyncStream<SpeechEvent>,
        departures: AsyncStream<DBusNameOwnerChange>, logger: Logger
    ) {
        self.connection = connection
        self.pipeline = pipeline
        self.reloader = reloader
        self.events = events
        self.departures = departures
        self.logger = logger
    }

    /// The interface XML in `dbus/`, served verbatim for Introspect.
    static let introspectionXML = String(decoding: PackageResources.org_herald_Speech1_xml, as: UTF8.self)

    /// Connects, exports the object and takes the name. Throws when another
    /// daemon owns the name, so a second instance exits with a clear message.
    public static func start(pipeline: SpeechPipeline, reloader: Reloader, logger: Logger) async throws(DBusError) -> Speech1Service {
        let connection = try await DBusConnection.session(logger: logger)
        let service = Speech1Service(
            connection: connection, pipeline: pipeline, reloader: reloader, events: await pipeline.scheduler.events(),
            departures: try await connection.nameOwnerChanges(), logger: logger)
        try connection.export(Self.object(pipeline: pipeline, reloader: reloader, departed: service.departed))
        guard try await connection.requestName(busName) else {
            await connection.close()
            throw DBusError(
                name: Speech1Arguments.errorPrefix + "AlreadyRunning",
                message: "another Herald daemon already owns \(busName) on this session bus; stop it first (herald status shows it)")
        }
        return service
    }

    /// Serves until graceful shutdown (which closes the connection, releasing
    /// the name) or until the bus goes away, as at the end of the session.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await forwardEvents(events) }
            group.addTask { await forgetDeparted(departures) }
            await withGracefulShutdownHandler {
                await connection.waitUntilDisconnected()
            } onGracefulShutdown: {
                Task { await connection.close() }
            }
            group.cancelAll()
        }
    }

    private func forwardEvents(_ events: AsyncStream<SpeechEvent>) async {
        for await event in events {
            let (name, arguments) = Self.signal(for: event)
            do {
                try connection.emitSignal(path: Self.objectPath, interface: Self.interface, name: name, arguments: arguments)
            } catch {
                logger.warning("could not send a signal", metadata: ["herald.signal": "\(name)", "herald.error": "\(error)"])
            }
        }
    }

    /// The signal that reports `event`: its name and arguments.
    static func signal(for event: SpeechEvent) -> (name: String, arguments: [DBusValue]) {
        switch event.kind {
        case .began: ("Began", [.uint64(event.id)])
        case .ended: ("Ended", [.uint64(event.id)])
        case .canceled: ("Canceled", [.uint64(event.id)])
        case .paused: ("Paused", [.uint64(event.id)])
        case .resumed: ("Resumed", [.uint64(event.id)])
        case .indexMark(let mark): ("IndexMark", [.uint64(event.id), .string(mark)])
        case .failed(let reason): ("Failed", [.uint64(event.id), .string(reason)])
        case .word(let range): ("Range", [.uint64(event.id), .uint32(UInt32(clamping: range.start)), .uint32(UInt32(clamping: range.end))])
        case .sentence(let range):
            ("SentenceRange", [.uint64(event.id), .uint32(UInt32(clamping: range.start)), .uint32(UInt32(clamping: range.end))])
        }
    }

    /// A connection that left the bus takes its own messages and pauses with it.
    private func forgetDeparted(_ changes: AsyncStream<DBusNameOwnerChange>) async {
        for await change in changes where change.name.hasPrefix(":") && change.newOwner == nil {
            departed.add(change.name)
            await pipeline.scheduler.clientLeft(Speech1Arguments.client(sender: change.name, name: nil))
        }
    }

    /// The exported object: every method, with its argument types, wired to
    /// the pipeline. `departed` lists the callers that have left the bus.
    static func object(pipeline: SpeechPipeline, reloader: Reloader, departed: DepartedClients) -> DBusObject {
        let scheduler = pipeline.scheduler
        // The engine in force, asked each time: the next engine changes while one rests, and at a reload.
        let chain = pipeline.engine
        let export = AudioExport(engine: pipeline.engine, preparer: TextPreparer(maxChunkCharacters: SpeechPipeline.chunkCharacters))
        @Sendable func speak(_ call: DBusMethodCall, _ content: UtteranceContent, _ priority: String, _ options: Speech1Arguments.Options)
            async throws(DBusError) -> [DBusValue]
        {
            let priority = try Speech1Arguments.priority(priority)
            let client = Speech1Arguments.client(sender: call.sender, name: options.client)
            let places: PlaceMarking =
                switch content {
                case .text, .ssml: options.ranges ? .words : .sentences
                case .character, .key, .soundIcon: .none
                }
            let (id, _) = await scheduler.speak(content, priority: priority, client: client, settings: options.settings, places: places)
            // The caller may have left while this call waited its turn; its
            // departure then came too early to take this message along.
            if options.client == nil, departed.contains(call.sender) { await scheduler.cancel(.message(id)) }
            return [.uint64(id)]
        }
        /// A method whose wrong arguments get Herald's own error name, like every other bad input.
        func checked(
            _ input: String, _ output: String, concurrent: Bool = false, _ handler: @escaping DBusMethodHandler
        ) -> DBusMethod {
            DBusMethod(
                inputSignature: input, outputSignature: output, concurrent: concurrent,
                refusal: { call in
                    Speech1Arguments.invalid(
                        "\(call.member) takes arguments of type (\(input)), not (\(call.signature)); see the interface XML (Introspect).")
                }, handler)
        }
        func control(_ action: @escaping @Sendable (Scheduler, Scope) async -> Void) -> DBusMethod {
            checked("s", "") { call throws(DBusError) in
                let scope = try Speech1Arguments.scope(try call.string(0), sender: call.sender)
                await action(scheduler, scope)
                return []
            }
        }
        let methods: [String: DBusMethod] = [
            "Speak": checked("ssa{sv}", "t") { call throws(DBusError) in
                let text = try call.string(0)
                try Speech1Arguments.validate(text: text)
                let options = try Speech1Arguments.options(try call.dictionary(2), voices: await chain.voices())
                return try await speak(call, options.ssml ? .ssml(text) : .text(text), try call.string(1), options)
            },
            "Char": checked("ss", "t") { call throws(DBusError) in
                let character = try call.string(0)
                guard !character.isEmpty, character.count <= 32 else {
                    throw Speech1Arguments.invalid("Char takes one character (or a name such as \"space\").")
                }
                return try await speak(call, .character(character), try call.string(1), Speech1Arguments.Options())
            },
            "Key": checked("ss", "t") { call throws(DBusError) in
                let key = try call.string(0)
                guard !key.isEmpty, key.count <= 64 else {
                    throw Speech1Arguments.invalid("Key takes a key name such as \"shift_a\" or \"Return\".")
                }
                return try await speak(call, .key(key), try call.string(1), Speech1Arguments.Options())
            },
            "Skip": checked("tis", "") { call throws(DBusError) in
                let id = try call.uint64(0)
                let count = Int(try call.int32(1))
                let unit = try Speech1Arguments.skipUnit(try call.string(2))
                do throws(SkipRefusal) {
                    try await scheduler.skip(
                        id == 0 ? nil : id, count: count, unit: unit,
                        caller: Speech1Arguments.client(sender: call.sender, name: nil),
                        mayControl: { $0.rawValue.hasPrefix("named:") })
                } catch {
                    throw Speech1Arguments.error(error)
                }
                return []
            },
            "Stop": control { await $0.stop($1) },
            "Cancel": control { await $0.cancel($1) },
            "Pause": control { await $0.pause($1) },
            "Resume": control { await $0.resume($1) },
            "ListVoices": checked("", "a(ssss)") { _ throws(DBusError) in
                [
                    .array(
                        elementSignature: "(ssss)",
                        await chain.voices().map { .struct([.string($0.id), .string($0.name), .string($0.language), .string($0.engine)]) })
                ]
            },
            "Export": checked("sa{sv}h", "ut", concurrent: true) { call throws(DBusError) in
                let text = try call.string(0)
                try Speech1Arguments.validate(text: text)
                let options = try Speech1Arguments.options(try call.dictionary(1), voices: await chain.voices())
                let written = try await export.write(
                    options.ssml ? .ssml(text) : .text(text), settings: options.settings, to: try call.unixFD(2))
                return [.uint32(UInt32(written.format.sampleRate)), .uint64(UInt64(written.frames))]
            },
            "Reload": checked("", "s") { _ throws(DBusError) in
                do throws(ReloadError) {
                    try await reloader.reload(trigger: "D-Bus")
                } catch {
                    throw DBusError(name: Speech1Arguments.errorPrefix + "InvalidConfig", message: error.description)
                }
                return [.string(reloader.file)]
            },
            "GetStatus": checked("", "a{sv}") { _ throws(DBusError) in
                let status = await scheduler.status()
                var entries: [String: DBusValue] = [
                    "state": .string(status.state.rawValue),
                    "queued": .uint32(UInt32(clamping: status.queued)),
                    "engine": .string(chain.name),
                    "version": .uint32(Herald.interfaceVersion),
                    "engines": EngineHealthStatus.value(chain.status),
                    "config": .string(reloader.file),
                ]
                if let speaking = status.speaking { entries["speaking"] = .uint64(speaking) }
                return [.dictionary(entries)]
            },
        ]
        return DBusObject(
            path: Self.objectPath,
            interfaces: [
                DBusInterface(
                    name: Self.interface, methods: methods,
                    properties: ["Version": .constant(.uint32(Herald.interfaceVersion))])
            ],
            introspectionXML: Self.introspectionXML)
    }
}
