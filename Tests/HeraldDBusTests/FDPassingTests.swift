import Glibc
import HeraldTesting
import Testing

@testable import HeraldDBus

/// Unix file descriptors through the bus, as the Spiel provider's audio pipe travels.
@Suite(.privateBus) struct FDPassingTests {
    /// Reads to EOF, giving up after 5 s without data so that a leaked write
    /// end fails the test instead of holding a thread of the pool for ever.
    private func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            var pollSet = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollSet, 1, 5000) == 1 else { break }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func theSessionStyleBusPassesDescriptors() async throws {
        let peers = try await TestPeers()
        #expect(peers.client.canPassUnixFDs)
        #expect(peers.server.canPassUnixFDs)
        await peers.close()
    }

    @Test func serverWritesThroughAPipeTheClientSent() async throws {
        let peers = try await TestPeers()
        var ends: [Int32] = [0, 0]
        // Close-on-exec: tests in this process spawn children, which must not keep the write end open.
        #expect(closeOnExecPipe(&ends) == 0)
        defer { close(ends[0]) }
        do {
            defer { close(ends[1]) }  // Ours; the server got its own duplicate.
            _ = try await peers.call("WriteTo", [.unixFD(DBusUnixFD(borrowing: ends[1])), .string("audio bytes")])
        }
        // Both write ends are closed now, so the read ends at EOF.
        #expect(readAll(ends[0]) == "audio bytes")
        await peers.close()
    }

    @Test func clientReadsFromADescriptorTheServerReturned() async throws {
        let peers = try await TestPeers()
        let reply = try await peers.call("MakePipe", [.string("from the server")])
        let received = try #require(reply.first?.unixFD)
        let fd = try #require(received.take())
        defer { close(fd) }
        #expect(readAll(fd) == "from the server")
        await peers.close()
    }

    @Test func unusedReceivedDescriptorsAreClosed() async throws {
        let peers = try await TestPeers()
        var ends: [Int32] = [0, 0]
        // Close-on-exec: tests in this process spawn children, which must not keep the write end open.
        #expect(closeOnExecPipe(&ends) == 0)
        defer { close(ends[0]) }
        // Echo decodes the fd (a dup), returns it (another dup in the reply), and drops its copy.
        do {
            let reply = try await peers.call("Echo", [.unixFD(DBusUnixFD(borrowing: ends[1]))])
            close(ends[1])
            #expect(reply.first?.unixFD != nil)
        }
        // Every duplicate of the write end is gone, so the read end sees EOF.
        var pollSet = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
        let readable = poll(&pollSet, 1, 5000) == 1
        #expect(readable, "a duplicate of the write end leaked")
        // Reading would block for ever (and hold one of the pool's threads) if it leaked.
        if readable { #expect(readAll(ends[0]) == "") }
        await peers.close()
    }
}
