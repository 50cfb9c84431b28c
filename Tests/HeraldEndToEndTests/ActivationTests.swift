import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// D-Bus activation as installed: the bus starts heraldd from the `.service`
/// file made from `dbus/<name>.service.in` when a client calls the name, with
/// the test bus config of `dbus/` pointing at it. Both of heraldd's names
/// (its own interface and the Spiel provider) activate it.
@Suite struct ActivationTests {
    /// A name heraldd owns and a call that needs it.
    struct Activation: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        let interface: String
        let method: String
        let arguments: [DBusValue]

        var testDescription: String { name }
    }

    static let activations = [
        Activation(
            name: "org.herald.Speech1", path: "/org/herald/Speech1", interface: "org.herald.Speech1", method: "GetStatus",
            arguments: []),
        Activation(
            name: "org.herald.Speech.Provider", path: "/org/herald/Speech/Provider",
            interface: "org.freedesktop.DBus.Properties", method: "Get",
            arguments: [.string("org.freedesktop.Speech.Provider"), .string("Name")]),
    ]

    static func template(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("dbus/\(name).service.in")
    }

    @Test(arguments: activations)
    func callingTheNameStartsTheDaemon(_ activation: Activation) async throws {
        let folder = try RunFolder(name: "activation")
        let capture = try ALSATestConfig.shared.makeCapture()
        let config = try folder.write("config.toml", "[audio]\ndevice = \"\(capture.name)\"\n")
        let bindir = URL(fileURLWithPath: try BuiltExecutable.path("heraldd")).deletingLastPathComponent().path
        // The installed file, with @bindir@ filled in; the test adds where this
        // run's config and runtime folder are (an installed daemon finds them itself).
        let service = try String(contentsOf: Self.template(activation.name), encoding: .utf8)
            .replacingOccurrences(of: "@bindir@", with: bindir)
            .replacingOccurrences(
                of: "Exec=\(bindir)/heraldd",
                with: "Exec=/usr/bin/env XDG_RUNTIME_DIR=\(folder.runtime.path) XDG_CONFIG_HOME=\(ALSATestConfig.shared.directory.path) \(bindir)/heraldd --config \(config)")
        #expect(service.contains("Name=\(activation.name)\n"))
        #expect(service.contains("--config"), "the Exec line is not the one this test expects")
        try folder.write("services/\(activation.name).service", service)

        let bus = try await PrivateBus.launch(serviceDirectories: [folder.path("services")])
        defer { bus.stop() }
        let connection = try await DBusConnection.connect(address: bus.address)
        #expect(try await connection.nameHasOwner(activation.name) == false)
        let started = ContinuousClock.now
        let reply = try await connection.call(
            destination: activation.name, path: activation.path, interface: activation.interface,
            method: activation.method, arguments: activation.arguments, timeout: .seconds(20))
        print("activation of \(activation.name): first call answered after \(ContinuousClock.now - started)")
        #expect(!reply.isEmpty)
        #expect(try await connection.nameHasOwner(activation.name))
        await connection.close()
    }
}
