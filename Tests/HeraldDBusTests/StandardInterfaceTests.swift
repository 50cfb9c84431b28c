import HeraldTesting
import Testing

@testable import HeraldDBus

/// Introspectable, Properties and Peer, answered by the connection for every exported object.
@Suite(.privateBus) struct StandardInterfaceTests {
    @Test func introspectServesTheGivenXML() async throws {
        let peers = try await TestPeers()
        let reply = try await peers.call("Introspect", interface: "org.freedesktop.DBus.Introspectable")
        #expect(reply == [.string(TestService.introspectionXML)])
        await peers.close()
    }

    @Test func introspectingAParentListsChildren() async throws {
        let peers = try await TestPeers()
        let root = try await peers.call("Introspect", interface: "org.freedesktop.DBus.Introspectable", path: "/")
        #expect(root.first?.string?.contains("<node name=\"org\"/>") == true)
        let parent = try await peers.call("Introspect", interface: "org.freedesktop.DBus.Introspectable", path: "/org/herald")
        #expect(parent.first?.string?.contains("<node name=\"Test1\"/>") == true)
        await peers.close()
    }

    @Test func generatedXMLDescribesMethodsAndProperties() {
        let object = DBusObject(
            path: "/a",
            interfaces: [
                DBusInterface(
                    name: "org.herald.A",
                    methods: ["Speak": DBusMethod(inputSignature: "sa{sv}", outputSignature: "t") { _ in [] }],
                    properties: ["Version": .constant(.uint32(1))])
            ])
        let xml = DBusObjectRouter.generatedXML(for: object, children: [])
        #expect(xml.contains("<method name=\"Speak\"><arg type=\"s\" direction=\"in\"/><arg type=\"a{sv}\" direction=\"in\"/><arg type=\"t\" direction=\"out\"/></method>"))
        #expect(xml.contains("<property name=\"Version\" type=\"u\" access=\"read\"/>"))
    }

    @Test func propertiesGetGetAllAndSet() async throws {
        let peers = try await TestPeers()
        let properties = "org.freedesktop.DBus.Properties"
        let version = try await peers.call("Get", [.string(TestService.interface), .string("Version")], interface: properties)
        #expect(version == [.variant(.uint32(1))])

        let all = try await peers.call("GetAll", [.string(TestService.interface)], interface: properties)
        #expect(all.first?.dictionary == ["Name": .string("Herald test"), "Version": .uint32(1), "Volume": .int32(0)])

        let readOnly = await dbusError {
            _ = try await peers.call("Set", [.string(TestService.interface), .string("Version"), .variant(.uint32(2))], interface: properties)
        }
        #expect(readOnly?.name == DBusError.Names.propertyReadOnly)
        let unknown = await dbusError {
            _ = try await peers.call("Get", [.string(TestService.interface), .string("Nope")], interface: properties)
        }
        #expect(unknown?.name == DBusError.Names.unknownProperty)
        let wrongType = await dbusError {
            _ = try await peers.call("Set", [.string(TestService.interface), .string("Volume"), .variant(.string("loud"))], interface: properties)
        }
        #expect(wrongType?.name == DBusError.Names.invalidArgs)
        let badArgs = await dbusError { _ = try await peers.call("Get", [.int32(1)], interface: properties) }
        #expect(badArgs?.name == DBusError.Names.invalidArgs)

        _ = try await peers.call("Set", [.string(TestService.interface), .string("Volume"), .variant(.int32(-30))], interface: properties)
        #expect(peers.state.volume.withLock { $0 } == -30)
        await peers.close()
    }

    @Test func propertiesChangedReachesSubscribers() async throws {
        let peers = try await TestPeers()
        let changes = try await peers.client.signals(
            matching: DBusMatchRule(interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged"))
        try peers.server.emitPropertiesChanged(
            path: TestService.path, interface: TestService.interface, changed: ["Volume": .int32(10)], invalidated: ["Voices"])
        var iterator = changes.makeAsyncIterator()
        let signal = try #require(await iterator.next())
        #expect(signal.path == TestService.path)
        #expect(signal.sender == peers.server.uniqueName)
        #expect(signal.arguments.first == .string(TestService.interface))
        #expect(signal.arguments[1].dictionary == ["Volume": .int32(10)])
        #expect(signal.arguments[2].stringArray == ["Voices"])
        await peers.close()
    }

    @Test func peerPingAndMachineID() async throws {
        let peers = try await TestPeers()
        #expect(try await peers.call("Ping", interface: "org.freedesktop.DBus.Peer") == [])
        let id = try await peers.call("GetMachineId", interface: "org.freedesktop.DBus.Peer")
        #expect(id.first?.string?.count == 32)
        // Peer works on any path, exported or not.
        #expect(try await peers.call("Ping", interface: "org.freedesktop.DBus.Peer", path: "/elsewhere") == [])
        await peers.close()
    }
}
