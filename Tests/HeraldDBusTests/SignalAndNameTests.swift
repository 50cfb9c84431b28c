import Foundation
import HeraldTesting
import Testing

@testable import HeraldDBus

/// Signals, bus names, and the end of a connection.
@Suite(.privateBus) struct SignalAndNameTests {
    private func connect() async throws -> DBusConnection {
        try await DBusConnection.connect(address: try #require(PrivateBus.current).address)
    }

    private func uniqueBusName() -> String {
        "org.herald.Test.N\(UUID().uuidString.prefix(8))"
    }

    @Test func signalReachesAMatchRuleSubscriber() async throws {
        let emitter = try await connect()
        let listener = try await connect()
        let ended = try await listener.signals(
            matching: DBusMatchRule(sender: emitter.uniqueName, interface: "org.herald.Speech1", member: "Ended"))
        // Another member and another interface must not come through.
        try emitter.emitSignal(path: "/org/herald/Speech1", interface: "org.herald.Speech1", name: "Began", arguments: [.uint64(7)])
        try emitter.emitSignal(path: "/org/herald/Speech1", interface: "org.herald.Other", name: "Ended", arguments: [.uint64(8)])
        try emitter.emitSignal(path: "/org/herald/Speech1", interface: "org.herald.Speech1", name: "Ended", arguments: [.uint64(7)])
        var iterator = ended.makeAsyncIterator()
        let signal = try #require(await iterator.next())
        #expect(signal.member == "Ended")
        #expect(signal.interface == "org.herald.Speech1")
        #expect(signal.arguments == [.uint64(7)])
        #expect(signal.sender == emitter.uniqueName)
        await emitter.close()
        await listener.close()
    }

    @Test func nameOwnerChangedWhenAClientLeaves() async throws {
        let daemon = try await connect()
        let client = try await connect()
        let changes = try await daemon.nameOwnerChanges(for: client.uniqueName)
        let clientName = client.uniqueName
        await client.close()
        #expect(!client.isConnected)
        var iterator = changes.makeAsyncIterator()
        let change = try #require(await iterator.next())
        #expect(change == DBusNameOwnerChange(name: clientName, oldOwner: clientName, newOwner: nil))
        #expect(try await daemon.nameHasOwner(clientName) == false)
        await daemon.close()
    }

    @Test func requestNameRefusesASecondOwner() async throws {
        let name = uniqueBusName()
        let first = try await connect()
        let second = try await connect()
        #expect(try await first.nameHasOwner(name) == false)
        #expect(try await first.requestName(name))
        #expect(try await first.requestName(name), "already the owner counts as owning it")
        #expect(try await second.requestName(name) == false)
        #expect(try await second.nameHasOwner(name))
        #expect(try await first.releaseName(name))
        #expect(try await second.requestName(name))
        await first.close()
        await second.close()
    }

    @Test func callingAMissingServiceFails() async throws {
        let client = try await connect()
        let error = await dbusError {
            _ = try await client.call(destination: uniqueBusName(), path: "/", interface: "org.herald.X", method: "Y")
        }
        #expect(error?.name == DBusError.Names.serviceUnknown)
        await client.close()
    }

    @Test func closingEndsStreamsAndFailsLaterCalls() async throws {
        let connection = try await connect()
        let signals = try await connection.signals(matching: DBusMatchRule(interface: "org.herald.Nothing"))
        await connection.close()
        var iterator = signals.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        let error = await dbusError { _ = try await connection.nameHasOwner("org.herald.X") }
        #expect(error?.name == DBusError.Names.disconnected)
        await connection.waitUntilDisconnected()
    }

    @Test func connectingToNothingFailsClearly() async throws {
        let error = await dbusError {
            _ = try await DBusConnection.connect(address: "unix:path=/nonexistent/herald-bus")
        }
        #expect(error != nil)
        #expect(error?.message.contains("/nonexistent/herald-bus") == true)
    }
}

/// A bus that goes away under a connection: the daemon must notice and not hang.
@Suite struct BusLossTests {
    @Test func connectionNoticesWhenTheBusDies() async throws {
        let bus = try PrivateBus.start()
        let connection = try await DBusConnection.connect(address: bus.address)
        let server = try await DBusConnection.connect(address: bus.address)
        try server.export(TestService.object(state: TestService.State()))
        let pending = Task {
            await dbusError {
                _ = try await connection.call(
                    destination: server.uniqueName, path: TestService.path, interface: TestService.interface,
                    method: "Slow", timeout: .seconds(30))
            }
        }
        bus.stop()
        await connection.waitUntilDisconnected()
        #expect(!connection.isConnected)
        #expect(await pending.value?.name == DBusError.Names.disconnected)
        await server.waitUntilDisconnected()
    }
}
