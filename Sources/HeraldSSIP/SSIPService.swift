internal import Glibc
public import HeraldCore
public import Logging
internal import NIOCore
internal import NIOPosix
public import ServiceLifecycle
internal import HeraldSystem

/// Speech Dispatcher's protocol (SSIP) on a Unix socket, so that Orca,
/// `spd-say` and the `speechd` Python client speak through Herald unchanged
/// (`SPEECHD_ADDRESS=unix_socket:PATH`).
///
/// A `Service`: `run()` listens until graceful shutdown, then closes every
/// connection and removes the socket file. Each connection is a session with
/// its own settings and client id; its messages go to the shared `Scheduler`,
/// and the scheduler's events come back to the connection that queued them.
public final class SSIPService: Service, Sendable, CustomStringConvertible {
    /// Bounds on what one client can make the daemon hold in memory.
    public struct Limits: Sendable, Equatable {
        /// The longest command line; longer ones get `502 ERR LINE TOO LONG`.
        public var maxLineBytes: Int
        /// The largest SPEAK text; larger ones are read, discarded and refused.
        public var maxMessageBytes: Int
        /// Replies and events not yet taken by the client; past it the
        /// connection is closed (a client that never reads).
        public var maxOutboundBytes: Int
        /// How long a message's events wait after its `225` reply unless the
        /// client sends its next command first, so clients that register
        /// callbacks after reading the id miss none (`Outbox.endCommand`).
        public var eventGrace: Duration

        public init(
            maxLineBytes: Int = 64 << 10, maxMessageBytes: Int = 16 << 20, maxOutboundBytes: Int = 1 << 20,
            eventGrace: Duration = .milliseconds(30)
        ) {
            self.maxLineBytes = maxLineBytes
            self.maxMessageBytes = maxMessageBytes
            self.maxOutboundBytes = maxOutboundBytes
            self.eventGrace = eventGrace
        }
    }

    private typealias Connection = NIOAsyncChannel<SSIPFrame, ByteBuffer>

    private struct Listener: Sendable {
        let path: String
        let channel: NIOAsyncChannel<Connection, Never>
        let identity: FileIdentity?
    }

    private struct State {
        var listeners: [Listener]?
        var stopping = false
    }

    /// The main socket.
    public let socketPath: String
    /// Also listen where Speech Dispatcher's clients look by default.
    public let speechdCompat: Bool
    private let environment: [String: String]
    private let context: SSIPServerContext
    private let state = Locked(State())
    /// Every connection accepted and not yet served, by its channel. Cancelling
    /// run() while NIO has accepted connections it has not handed over drops
    /// them, and a dropped connection traps when its writer is released
    /// unfinished (swift-nio issue 2813; seen in CI when a test cancelled the
    /// server just as a client connected). Held here, they are closed properly
    /// once the listeners are.
    private let unserved = Locked<[ObjectIdentifier: Connection]>([:])

    /// - Parameters:
    ///   - socketPath: where to listen; heraldd's default is `Configuration.defaultSSIPSocketPath(environment:)`.
    ///   - speechdCompat: also listen on `$XDG_RUNTIME_DIR/speech-dispatcher/speechd.sock`
    ///     when no Speech Dispatcher does, so clients without `SPEECHD_ADDRESS` find Herald.
    ///   - voices: what `LIST SYNTHESIS_VOICES` offers and `SET … SYNTHESIS_VOICE` accepts.
    ///   - outputModules: the engine names `LIST OUTPUT_MODULES` offers.
    ///   - environment: where `XDG_RUNTIME_DIR` is read for the compatibility socket; the process's by default.
    public init(
        socketPath: String, speechdCompat: Bool = false, scheduler: Scheduler, voices: [Voice],
        outputModules: [String], limits: Limits = Limits(),
        environment: [String: String]? = nil, logger: Logger
    ) {
        self.socketPath = socketPath
        self.speechdCompat = speechdCompat
        self.environment = environment ?? ProcessEnvironment.current
        self.context = SSIPServerContext(
            scheduler: scheduler, catalogInForce: Locked(VoiceCatalog(voices: voices, outputModules: outputModules)),
            registry: SessionRegistry(), limits: limits, logger: logger)
    }

    public var description: String { "SSIPService(\(socketPath))" }

    /// Replaces what `LIST SYNTHESIS_VOICES` and `LIST OUTPUT_MODULES` offer
    /// (the daemon reloaded its config). Connected clients stay connected and
    /// keep their settings; a voice they chose that is gone falls back to the
    /// language's default when they next speak.
    public func setVoices(_ voices: [Voice], outputModules: [String]) {
        context.catalogInForce.withLock { $0 = VoiceCatalog(voices: voices, outputModules: outputModules) }
    }

    /// Where Speech Dispatcher listens and its clients look by default; nil without `XDG_RUNTIME_DIR`.
    public static func speechdSocketPath(environment: [String: String]) -> String? {
        guard let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty else { return nil }
        return "\(runtime)/speech-dispatcher/speechd.sock"
    }

    /// The paths being listened on, once bound.
    public var listeningPaths: [String] { state.withLock { $0.listeners?.map(\.path) ?? [] } }

    /// Open connections now; for status and tests.
    public var connectionCount: Int { context.registry.count }

    /// Binds the socket(s) now, so the daemon can report a clash at start
    /// (`SSIPServiceError`) rather than from inside its service group.
    /// `run()` calls it when the daemon did not. Calling it twice is harmless.
    public func bind() async throws(SSIPServiceError) {
        if state.withLock({ $0.listeners != nil }) { return }
        var listeners = [try await listen(at: socketPath)]
        if speechdCompat {
            if let path = Self.speechdSocketPath(environment: environment), path != socketPath {
                do {
                    listeners.append(try await listen(at: path))
                } catch  where error == .socketInUse {
                    context.logger.notice(
                        """
                        Speech Dispatcher is running and owns its socket: clients that use its default address \
                        reach Speech Dispatcher; Herald serves SSIP on its own socket only
                        """,
                        metadata: ["herald.ssip.socket": "\(path)", "herald.ssip.main": "\(socketPath)"])
                } catch {
                    context.logger.warning("no Speech Dispatcher compatible socket: \(error.message)")
                }
            } else if Self.speechdSocketPath(environment: environment) == nil {
                context.logger.notice("speechd_compat needs XDG_RUNTIME_DIR; serving SSIP on the main socket only")
            }
        }
        let bound = listeners
        let lost = state.withLock { state -> [Listener] in
            guard state.listeners == nil else { return bound }
            state.listeners = bound
            return []
        }
        for listener in lost { await close(listener) }
    }

    /// Serves until graceful shutdown (or cancellation), then closes every
    /// connection, cancels their messages and removes the socket files.
    public func run() async throws {
        try await bind()
        let listeners = state.withLock { $0.listeners ?? [] }
        let events = await context.scheduler.events()
        let registry = context.registry
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { registry.session(for: event.client)?.deliver(event) }
                    }
                    await withDiscardingTaskGroup { accepting in
                        for listener in listeners { accepting.addTask { await self.accept(on: listener) } }
                    }
                    group.cancelAll()
                }
            } onCancel: {
                self.stopServing()
            }
        } onGracefulShutdown: {
            self.stopServing()
        }
        for listener in listeners { await close(listener) }
        let dropped = unserved.withLock { unserved in
            defer { unserved = [:] }
            return Array(unserved.values)
        }
        for connection in dropped {
            try? await connection.executeThenClose { _, _ in }
        }
        context.logger.info("SSIP server stopped")
    }

    // MARK: Listening

    private func listen(at path: String) async throws(SSIPServiceError) -> Listener {
        // sockaddr_un holds 108 bytes with the terminating NUL.
        guard path.utf8.count < 108 else {
            throw .cannotBind(path, "the path is longer than 107 bytes; set a shorter one as socket under [ssip]")
        }
        try UnixSocketPath.prepareFolder(for: path)
        if try UnixSocketPath.clear(path) == .staleSocket {
            context.logger.info(
                "removed a stale SSIP socket left by a daemon that ended", metadata: ["herald.ssip.socket": "\(path)"])
        }
        let limits = context.limits
        let unserved = self.unserved
        let channel: NIOAsyncChannel<Connection, Never>
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 128)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false) { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(SSIPFrameDecoder(fragmentBytes: limits.maxLineBytes)))
                        let connection = try Connection(wrappingChannelSynchronously: child)
                        unserved.withLock { $0[ObjectIdentifier(child)] = connection }
                        return connection
                    }
                }
        } catch {
            throw .cannotBind(path, "\(error)")
        }
        // The folder is 0700 already; the socket itself is the user's alone too.
        guard UnixSocketPath.setMode(path, 0o600) else {
            try? await channel.channel.close()
            throw .cannotBind(path, "cannot set its mode to 0600: \(UnixSocketPath.lastError())")
        }
        context.logger.info("serving SSIP", metadata: ["herald.ssip.socket": "\(path)"])
        return Listener(path: path, channel: channel, identity: UnixSocketPath.identity(of: path))
    }

    /// Closes a listener and waits until it is closed, so no connection is accepted after.
    private func close(_ listener: Listener) async {
        try? await listener.channel.channel.close()
        UnixSocketPath.remove(listener.path, ifStill: listener.identity)
    }

    private func stopServing() {
        let listeners = state.withLock { state -> [Listener] in
            state.stopping = true
            return state.listeners ?? []
        }
        for listener in listeners { listener.channel.channel.close(promise: nil) }
        for session in context.registry.all { session.close() }
    }

    private func accept(on listener: Listener) async {
        do {
            try await listener.channel.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } catch {
            context.logger.error("SSIP listener failed: \(error)", metadata: ["herald.ssip.socket": "\(listener.path)"])
        }
    }

    // MARK: Connections

    private func serve(_ connection: Connection) async {
        unserved.withLock { $0[ObjectIdentifier(connection.channel)] = nil }
        let registry = context.registry
        let session = Session(
            number: registry.allocateNumber(), channel: connection.channel,
            outboundLimit: context.limits.maxOutboundBytes)
        registry.add(session)
        if state.withLock({ $0.stopping }) { session.close() }
        var logger = context.logger
        logger[metadataKey: "herald.ssip.client"] = "\(session.number)"
        logger.debug("SSIP client connected")
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let outbox = session.outbox
                    group.addTask {
                        for await text in outbox.stream {
                            try await outbound.write(ByteBuffer(string: text))
                            outbox.written(text)
                        }
                    }
                    let protocolState = SSIPConnection(session: session, server: context)
                    for try await frame in inbound {
                        guard await protocolState.receive(frame) else { break }
                    }
                    outbox.finish()
                    // Let the last reply (231 after QUIT) go out, without
                    // waiting long on a client that does not read.
                    group.addTask { try? await Sleep.for(.seconds(2)) }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("SSIP connection ended with an error: \(error)")
        }
        session.outbox.finish()
        registry.remove(session)
        // As Speech Dispatcher does: what a client queued is spoken after it leaves.
        await context.scheduler.clientLeft(session.clientID, keepingMessages: true)
        logger.debug("SSIP client left", metadata: ["herald.ssip.name": "\(session.settings.clientName)"])
    }
}
