import HeraldTesting
import Testing

@testable import HeraldDBus

/// An idle connection must sleep: no timers, no polling.
@Suite(.privateBus) struct IdleTests {
    @Test func idleConnectionDoesNotWakeUp() async throws {
        let peers = try await TestPeers()
        _ = try await peers.call("Echo", [.int32(1)])
        // Let the last reply's traffic (and any NameAcquired) settle.
        try await Task.sleep(for: .milliseconds(200))
        let before = (peers.server.loop.wakeCount.load(ordering: .relaxed), peers.client.loop.wakeCount.load(ordering: .relaxed))
        try await Task.sleep(for: .seconds(1))
        let after = (peers.server.loop.wakeCount.load(ordering: .relaxed), peers.client.loop.wakeCount.load(ordering: .relaxed))
        #expect(after.0 == before.0)
        #expect(after.1 == before.1)
        await peers.close()
    }
}
