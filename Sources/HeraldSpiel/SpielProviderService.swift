public import HeraldDBus
public import ServiceLifecycle

/// Runs the Spiel provider on a bus connection of its own until graceful
/// shutdown, which stops every running request and releases the name.
///
/// Why a second connection rather than `org.herald.Speech1`'s: the provider
/// then starts, fails and shuts down on its own (a taken provider name costs
/// Spiel, not Herald's own interface), and its traffic has its own dispatch
/// thread.
public struct SpielProviderService: Service, CustomStringConvertible {
    public let provider: SpielProvider
    let connection: DBusConnection

    public var description: String { "SpielProviderService" }

    private init(provider: SpielProvider, connection: DBusConnection) {
        self.provider = provider
        self.connection = connection
    }

    /// Exports the provider on `connection` and takes `SpielProvider.busName`.
    /// Throws `…Error.NameTaken` when another process provides it already.
    public static func start(provider: SpielProvider, connection: DBusConnection) async throws(DBusError)
        -> SpielProviderService
    {
        guard connection.canPassUnixFDs else {
            throw DBusError(
                name: SpielError.prefix + "NoFDPassing",
                message: "this bus connection cannot pass file descriptors, which Spiel's audio pipes need")
        }
        try provider.export(on: connection)
        guard try await connection.requestName(SpielProvider.busName) else {
            throw DBusError(
                name: SpielError.prefix + "NameTaken",
                message: "another program already provides \(SpielProvider.busName) on this session bus")
        }
        return SpielProviderService(provider: provider, connection: connection)
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await connection.waitUntilDisconnected()
        } onGracefulShutdown: {
            provider.cancelAll()
            Task { await connection.close() }
        }
        provider.cancelAll()
    }
}
