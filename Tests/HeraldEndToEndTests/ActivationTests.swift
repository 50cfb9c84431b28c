import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// D-Bus activation as installed: the bus starts heraldd from the `.service`
/// file made from `dbus/org.herald.Speech1.service.in` when a client calls the
/// name, with the test bus config of `dbus/` pointing at it.
@Suite struct ActivationTests {
    static let template = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("dbus/org.herald.Speech1.service.in")

    @Test func callingTheNameStartsTheDaemon() async throws {
        let folder = try RunFolder(name: "activation")
        let capture = try ALSATestConfig.shared.makeCapture()
        let config = try folder.write("config.toml", "[audio]\ndevice = \"\(capture.name)\"\n")
        let bindir = URL(fileURLWithPath: try BuiltExecutable.path("heraldd")).deletingLastPathComponent().path
        // The installed file, with @bindir@ filled in; the test adds where this
        // run's config and runtime folder are (an installed daemon finds them itself).
        let service = try String(contentsOf: Self.template, encoding: .utf8)
            .replacingOccurrences(of: "@bindir@", with: bindir)
            .replacingOccurrences(
                of: "Exec=\(bindir)/heraldd",
                with: "Exec=/usr/bin/env XDG_RUNTIME_DIR=\(folder.runtime.path) XDG_CONFIG_HOME=\(ALSATestConfig.shared.directory.path) \(bindir)/heraldd --config \(config)")
        #expect(service.contains("Name=org.herald.Speech1"))
        try folder.write("services/org.herald.Speech1.service", service)

        let bus = try await PrivateBus.launch(serviceDirectories: [folder.path("services")])
        defer { bus.stop() }
        let connection = try await DBusConnection.connect(address: bus.address)
        #expect(try await connection.nameHasOwner("org.herald.Speech1") == false)
        let started = ContinuousClock.now
        let reply = try await connection.call(
            destination: "org.herald.Speech1", path: "/org/herald/Speech1", interface: "org.herald.Speech1",
            method: "GetStatus", timeout: .seconds(20))
        print("activation: first call answered after \(ContinuousClock.now - started)")
        guard case .dict(_, _, let entries)? = reply.first else {
            Issue.record("GetStatus gave \(reply)")
            return
        }
        #expect(entries.contains { $0.0.string == "state" })
        #expect(try await connection.nameHasOwner("org.herald.Speech1"))
        await connection.close()
    }
}
