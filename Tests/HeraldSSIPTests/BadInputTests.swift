import Foundation
import HeraldCore
import HeraldSSIP
import HeraldTesting
import Testing

/// Hostile or broken clients get an error or lose their own connection;
/// a second client is served throughout.
@Suite struct BadInputTests {
    static let limits = SSIPService.Limits(maxLineBytes: 4096, maxMessageBytes: 64 << 10, maxOutboundBytes: 64 << 10)

    /// Checks that a bystander connection still gets answers.
    static func stillServed(_ bystander: SSIPTestClient, _ server: SSIPTestServer) async throws {
        let reply = try await bystander.command("GET OUTPUT_MODULE", timeout: .seconds(2))
        #expect(reply == ["251-\(server.pipeline.engineName)", "251 OK GET RETURNED"])
    }

    @Test func arbitraryBytesAndInvalidUTF8() async throws {
        try await SSIPTestServer.with(limits: Self.limits) { server in
            let bystander = try server.connect()
            let client = try server.connect()
            var generator = SystemRandomNumberGenerator()
            let garbage = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try client.sendRaw(garbage + Array("\r\n".utf8))
            try await Self.stillServed(bystander, server)

            let fresh = try server.connect()
            try fresh.sendRaw([0x53, 0x45, 0x54, 0x20, 0xff, 0xfe, 0x0d, 0x0a])  // "SET " + invalid UTF-8
            #expect(try await fresh.readReply() == ["501 ERR INVALID ENCODING"])
            #expect(try await fresh.command("SPEAK") == ["230 OK RECEIVING DATA"])
            try fresh.sendRaw(Array("caf".utf8) + [0xc3, 0x28] + Array("\r\n.\r\n".utf8))
            #expect(try await fresh.readReply() == ["501 ERR INVALID ENCODING"])
            #expect(try await fresh.command("GET RATE") == ["251-0", "251 OK GET RETURNED"])
            try await Self.stillServed(bystander, server)
        }
    }

    @Test func overLongLineAndOverLongMessage() async throws {
        try await SSIPTestServer.with(limits: Self.limits) { server in
            let bystander = try server.connect()
            let client = try server.connect()
            try client.send("SET self CLIENT_NAME " + String(repeating: "x", count: 100_000))
            #expect(try await client.readReply() == ["502 ERR LINE TOO LONG"])
            #expect(try await client.command("GET RATE") == ["251-0", "251 OK GET RETURNED"])

            // A long single-line text within the message limit is fine…
            #expect(try await client.command("SPEAK") == ["230 OK RECEIVING DATA"])
            try client.send(String(repeating: "word ", count: 6000) + "\r\n.")
            #expect(try await client.readReply().last == "225 OK MESSAGE QUEUED")
            _ = try await client.command("CANCEL self")
            // …one past it is read to its end, discarded and refused.
            #expect(try await client.command("SPEAK") == ["230 OK RECEIVING DATA"])
            for _ in 0..<40 { try client.send(String(repeating: "more text ", count: 500)) }
            try client.send(".")
            #expect(try await client.readReply() == ["503 ERR MESSAGE TOO LONG"])
            #expect(try await client.command("GET RATE") == ["251-0", "251 OK GET RETURNED"])
            try await Self.stillServed(bystander, server)
        }
    }

    @Test func disconnectsInTheMiddleOfSpeakData() async throws {
        try await SSIPTestServer.with(limits: Self.limits) { server in
            let events = SpeechEventLog(await server.pipeline.scheduler.events())
            let bystander = try server.connect()
            for partial in ["", "half a line without its end", "a whole line\r\nand no terminator\r\n"] {
                let client = try server.connect()
                #expect(try await client.command("SPEAK") == ["230 OK RECEIVING DATA"])
                if !partial.isEmpty { try client.send(partial, ending: "") }
                client.close()
            }
            // A SPEAK that never ends, with more data than the limit, then gone.
            let endless = try server.connect()
            #expect(try await endless.command("SPEAK") == ["230 OK RECEIVING DATA"])
            for _ in 0..<20 { try endless.send(String(repeating: "endless ", count: 1000)) }
            endless.close()

            let start = ContinuousClock.now
            while server.service.connectionCount > 1, ContinuousClock.now < start + .seconds(10) {
                try await Task.sleep(for: .milliseconds(5))
            }
            print("mid-SPEAK disconnects: all sessions gone after \(ContinuousClock.now - start)")
            #expect(
                server.service.connectionCount == 1,
                "\(server.logs.all.filter { $0.message.contains("SSIP") }.map { "\($0.level) \($0.message)" })")
            #expect(events.all.isEmpty, "nothing was queued: \(events.all.map(\.event))")
            try await Self.stillServed(bystander, server)
        }
    }

    @Test func notAllowedInsideBlock() async throws {
        try await SSIPTestServer.with(limits: Self.limits) { server in
            let bystander = try server.connect()
            let client = try server.connect()
            #expect(try await client.command("BLOCK BEGIN") == ["260 OK INSIDE BLOCK"])
            #expect(try await client.command("SET self PRIORITY important") == ["332 ERR NOT ALLOWED INSIDE BLOCK"])
            #expect(
                try await client.command("SET self OUTPUT_MODULE espeak-ng") == ["332 ERR NOT ALLOWED INSIDE BLOCK"])
            // Another connection is not in the block.
            #expect(try await bystander.command("SET self PRIORITY important") == ["202 OK PRIORITY SET"])
            #expect(try await client.command("BLOCK END") == ["261 OK OUTSIDE BLOCK"])
        }
    }

    @Test func aClientThatNeverReadsIsDisconnected() async throws {
        try await SSIPTestServer.with(limits: Self.limits) { server in
            let bystander = try server.connect()
            let greedy = try server.connect()
            // Each answer is several KiB; the client reads none of them. The
            // server may hang up before all are sent: that is the point.
            var sent = 0
            while sent < 2000, (try? greedy.send("LIST SYNTHESIS_VOICES")) != nil { sent += 1 }
            print("non-reading client: disconnected after \(sent) commands sent")
            let deadline = ContinuousClock.now + .seconds(10)
            while server.service.connectionCount > 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(server.service.connectionCount == 1, "the non-reading client is still connected")
            #expect(await greedy.closedByServer(within: .seconds(5)))
            try await Self.stillServed(bystander, server)
        }
    }
}
