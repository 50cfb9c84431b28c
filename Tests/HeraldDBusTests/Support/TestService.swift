import Glibc
import HeraldTesting
import HeraldSystem
import Testing

@testable import HeraldDBus

/// Names of the test object that `TestPeers` exports.
enum TestService {
    static let interface = "org.herald.Test1"
    static let path = "/org/herald/Test1"
    static let customError = "org.herald.Speech1.Error.InvalidArgument"
    static let introspectionXML = """
        <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
        <node>
          <!-- The test interface, as a daemon would ship it in dbus/. -->
          <interface name="org.herald.Test1">
            <method name="Echo"/>
          </interface>
        </node>

        """

    /// Everything the handlers remember, for tests to inspect.
    final class State: Sendable {
        let recorded = Locked<[UInt32]>([])
        let volume = Locked<Int32>(0)
    }

    static func object(state: State) -> DBusObject {
        let methods: [String: DBusMethod] = [
            "Echo": DBusMethod { call throws(DBusError) in call.arguments },
            "Fail": DBusMethod { _ throws(DBusError) in
                throw DBusError(name: customError, message: "priority must be one of important, message, text")
            },
            "Speak": DBusMethod(inputSignature: "sa{sv}", outputSignature: "t") { call throws(DBusError) in
                let options = try call.dictionary(1)
                return [.uint64(UInt64(try call.string(0).count) + UInt64(options.count))]
            },
            "Greet": DBusMethod { call throws(DBusError) in [.string("Hello, \(try call.string(0))")] },
            "Slow": DBusMethod(concurrent: true) { _ in
                try? await Task.sleep(for: .seconds(2))
                return []
            },
            "Record": DBusMethod(inputSignature: "u") { call throws(DBusError) in
                let value = try call.uint32(0)
                // Later calls sleep less: only in-order handling keeps the log sorted.
                try? await Task.sleep(for: .milliseconds(Int(20 - min(value, 20))))
                state.recorded.withLock { $0.append(value) }
                return []
            },
            "Recorded": DBusMethod(outputSignature: "au") { _ in
                [.array(elementSignature: "u", state.recorded.withLock { $0 }.map { .uint32($0) })]
            },
            "WriteTo": DBusMethod(inputSignature: "hs") { call throws(DBusError) in
                guard let fd = try call.unixFD(0).take() else { throw .failed("no fd") }
                defer { close(fd) }
                let text = Array(try call.string(1).utf8)
                guard write(fd, text, text.count) == text.count else { throw .failed("write failed: \(errno)") }
                return []
            },
            "MakePipe": DBusMethod(inputSignature: "s", outputSignature: "h") { call throws(DBusError) in
                var ends: [Int32] = [0, 0]
                guard closeOnExecPipe(&ends) == 0 else { throw .failed("pipe failed") }
                let text = Array(try call.string(0).utf8)
                _ = write(ends[1], text, text.count)
                close(ends[1])
                // Owned: closed once the reply (which holds its own dup) has been built and sent.
                return [.unixFD(DBusUnixFD(takingOwnershipOf: ends[0]))]
            },
            "BadReply": DBusMethod(outputSignature: "s") { _ in [.uint32(1)] },
        ]
        let properties: [String: DBusProperty] = [
            "Version": .constant(.uint32(1)),
            "Name": .constant(.string("Herald test")),
            "Volume": DBusProperty(
                signature: "i",
                get: { .int32(state.volume.withLock { $0 }) },
                set: { value throws(DBusError) in
                    guard let volume = value.int32, (-100...100).contains(volume) else {
                        throw .invalidArgs("Volume must be between -100 and 100.")
                    }
                    state.volume.withLock { $0 = volume }
                }),
        ]
        return DBusObject(
            path: path,
            interfaces: [DBusInterface(name: interface, methods: methods, properties: properties)],
            introspectionXML: introspectionXML)
    }
}

/// A server connection exporting the test object and a client connection, on the suite's private bus.
struct TestPeers: Sendable {
    let server: DBusConnection
    let client: DBusConnection
    let state = TestService.State()

    init() async throws {
        let bus = try #require(PrivateBus.current, "attach .privateBus to the suite")
        server = try await DBusConnection.connect(address: bus.address)
        client = try await DBusConnection.connect(address: bus.address)
        try server.export(TestService.object(state: state))
    }

    func call(
        _ method: String,
        _ arguments: [DBusValue] = [],
        interface: String = TestService.interface,
        path: String = TestService.path,
        timeout: Duration = .seconds(10)
    ) async throws(DBusError) -> [DBusValue] {
        try await client.call(
            destination: server.uniqueName, path: path, interface: interface, method: method,
            arguments: arguments, timeout: timeout)
    }

    func close() async {
        await client.close()
        await server.close()
    }
}

/// `pipe` with both ends close-on-exec: tests in this process spawn children
/// (daemons, CLI tools), which must not keep a write end open. (`pipe2` needs
/// _GNU_SOURCE, which Swift's Glibc module does not define.)
func closeOnExecPipe(_ ends: inout [Int32]) -> Int32 {
    guard pipe(&ends) == 0 else { return -1 }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return 0
}
