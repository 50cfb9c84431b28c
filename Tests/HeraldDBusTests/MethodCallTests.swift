import HeraldTesting
import Testing

@testable import HeraldDBus

/// Method calls between two connections on a real private bus.
@Suite(.privateBus) struct MethodCallTests {
    static let everyType: [DBusValue] = [
        .byte(0xFF), .bool(true), .bool(false), .int16(.min), .uint16(.max), .int32(-42), .uint32(.max),
        .int64(.min), .uint64(.max), .double(-1.5e300), .string(""), .string("Grüße, 世界 🎧"),
        .objectPath("/org/herald/Speech1"), .signature("a{sv}(ii)"),
        .array(elementSignature: "s", []),
        .array(elementSignature: "x", [.int64(1), .int64(-2)]),
        .array(elementSignature: "(ss)", [.struct([.string("a"), .string("b")])]),
        .array(elementSignature: "ay", [.array(elementSignature: "y", [.byte(1), .byte(2)])]),
        .dict(keySignature: "u", valueSignature: "s", [(.uint32(2), .string("two")), (.uint32(1), .string("one"))]),
        .dict(keySignature: "s", valueSignature: "v", []),
        .struct([.int32(1), .struct([.string("nested"), .variant(.bool(true))])]),
        .variant(.variant(.array(elementSignature: "d", [.double(0.25)]))),
    ]

    @Test func everyValueTypeRoundTrips() async throws {
        let peers = try await TestPeers()
        let reply = try await peers.call("Echo", Self.everyType)
        #expect(reply == Self.everyType)
        #expect(DBusValue.signature(of: reply) == DBusValue.signature(of: Self.everyType))
        await peers.close()
    }

    @Test func optionsWithNestedVariants() async throws {
        let peers = try await TestPeers()
        let options = DBusValue.dictionary([
            "voice": .string("luna"),
            "rate": .int32(-20),
            "ssml": .bool(true),
            "nested": .dictionary(["inner": .variant(.uint64(7))]),
        ])
        let reply = try await peers.call("Echo", [options])
        let decoded = try #require(reply.first?.dictionary)
        #expect(decoded["voice"]?.string == "luna")
        #expect(decoded["rate"]?.int32 == -20)
        #expect(decoded["ssml"]?.bool == true)
        #expect(decoded["nested"]?.dictionary?["inner"] == .variant(.uint64(7)))
        #expect(decoded["nested"]?.dictionary?["inner"]?.unwrapped.uint64 == 7)

        let id = try await peers.call("Speak", [.string("hello"), options])
        #expect(id == [.uint64(9)])
        await peers.close()
    }

    @Test func errorReplyKeepsNameAndMessage() async throws {
        let peers = try await TestPeers()
        let error = await dbusError { _ = try await peers.call("Fail") }
        #expect(error == DBusError(name: TestService.customError, message: "priority must be one of important, message, text"))
        await peers.close()
    }

    @Test func unknownMethodInterfaceAndObject() async throws {
        let peers = try await TestPeers()
        let method = await dbusError { _ = try await peers.call("NoSuchMethod") }
        #expect(method?.name == DBusError.Names.unknownMethod)
        let interface = await dbusError { _ = try await peers.call("Echo", interface: "org.herald.Nope") }
        #expect(interface?.name == DBusError.Names.unknownMethod)
        let object = await dbusError { _ = try await peers.call("Echo", path: "/org/herald/Nope") }
        #expect(object?.name == DBusError.Names.unknownObject)
        // And the service is still there.
        #expect(try await peers.call("Echo", [.int32(1)]) == [.int32(1)])
        await peers.close()
    }

    @Test func badArgumentTypesGetACleanErrorAndServiceKeepsServing() async throws {
        let peers = try await TestPeers()
        // Declared signature: rejected before the handler runs.
        let declared = await dbusError { _ = try await peers.call("Speak", [.int32(5)]) }
        #expect(declared?.name == DBusError.Names.invalidArgs)
        #expect(declared?.message.contains("(sa{sv})") == true)
        // Checked in the handler by the typed accessor.
        let accessor = await dbusError { _ = try await peers.call("Greet", [.uint64(5)]) }
        #expect(accessor?.name == DBusError.Names.invalidArgs)
        let missing = await dbusError { _ = try await peers.call("Greet") }
        #expect(missing?.name == DBusError.Names.invalidArgs)
        // A handler returning the wrong types is answered with Failed, not a hang or crash.
        let badReply = await dbusError { _ = try await peers.call("BadReply") }
        #expect(badReply?.name == DBusError.Names.failed)
        #expect(try await peers.call("Greet", [.string("Orca")]) == [.string("Hello, Orca")])
        await peers.close()
    }

    @Test func invalidValuesAreRefusedBeforeSending() async throws {
        let peers = try await TestPeers()
        let mixed = await dbusError {
            _ = try await peers.call("Echo", [.array(elementSignature: "s", [.string("a"), .int32(1)])])
        }
        #expect(mixed?.name == DBusError.Names.invalidArgs)
        let path = await dbusError { _ = try await peers.call("Echo", [.objectPath("not a path")]) }
        #expect(path?.name == DBusError.Names.invalidArgs)
        let name = await dbusError { _ = try await peers.call("Echo", interface: "not an interface") }
        #expect(name?.name == DBusError.Names.invalidArgs)
        let nul = await dbusError { _ = try await peers.call("Echo", [.string("a\u{0}b")]) }
        #expect(nul?.name == DBusError.Names.invalidArgs)
        await peers.close()
    }

    @Test func timeoutGivesNoReplyAndSlowHandlerBlocksNobody() async throws {
        let peers = try await TestPeers()
        let start = ContinuousClock.now
        let error = await dbusError { _ = try await peers.call("Slow", timeout: .milliseconds(200)) }
        #expect(error?.name == DBusError.Names.noReply)
        // The slow handler (2 s) is still running; the same server answers before
        // it ends. Measured from the start, so a busy machine cannot make this flake
        // the other way: the bound is the handler's own length.
        #expect(try await peers.call("Echo", [.string("still here")]) == [.string("still here")])
        #expect(ContinuousClock.now - start < .seconds(2).timingScaled, "answered while the slow handler still ran")
        await peers.close()
    }

    @Test func callsFromOneSenderAreHandledInOrder() async throws {
        let peers = try await TestPeers()
        for value in UInt32(0)..<10 {
            let message = try DBusMessageRef.methodCall(
                destination: peers.server.uniqueName, path: TestService.path, interface: TestService.interface,
                method: "Record")
            try message.append([.uint32(value)])
            message.setNoReply()
            peers.client.loop.send(message)
        }
        let recorded = try await peers.call("Recorded")
        #expect(recorded == [.array(elementSignature: "u", (0..<10).map { .uint32($0) })])
        await peers.close()
    }

    @Test func manyConcurrentCallsFromManyTasks() async throws {
        let peers = try await TestPeers()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let reply = try await peers.call("Echo", [.int32(Int32(index))])
                    #expect(reply == [.int32(Int32(index))])
                }
            }
            try await group.waitForAll()
        }
        await peers.close()
    }

    @Test func cancellingTheCallerEndsTheCall() async throws {
        let peers = try await TestPeers()
        let task = Task { () async -> DBusError? in
            await dbusError { _ = try await peers.call("Slow", timeout: .seconds(30)) }
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        #expect(await task.value?.name == DBusError.Names.cancelled)
        await peers.close()
    }
}
