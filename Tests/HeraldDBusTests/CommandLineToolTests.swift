import HeraldTesting
import Testing

@testable import HeraldDBus

/// The layer seen from the reference tools: `dbus-send` (dbus package) and `gdbus` (GLib).
@Suite(.privateBus) struct CommandLineToolTests {
    @Test func dbusSendCallsAnExportedMethod() async throws {
        let peers = try await TestPeers()
        let bus = try #require(PrivateBus.current)
        let result = try #require(
            try await runCommand(
                "/usr/bin/dbus-send",
                [
                    "--bus=\(bus.address)", "--print-reply", "--dest=\(peers.server.uniqueName)", TestService.path,
                    "\(TestService.interface).Greet", "string:dbus-send",
                ]),
            "dbus-send is not installed")
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.output.contains("string \"Hello, dbus-send\""))

        let failing = try #require(
            try await runCommand(
                "/usr/bin/dbus-send",
                [
                    "--bus=\(bus.address)", "--print-reply", "--dest=\(peers.server.uniqueName)", TestService.path,
                    "\(TestService.interface).Speak", "int32:1",
                ]))
        #expect(failing.status != 0)
        #expect(failing.errorOutput.contains(DBusError.Names.invalidArgs))
        await peers.close()
    }

    @Test func gdbusCallsIntrospectsAndReadsProperties() async throws {
        let peers = try await TestPeers()
        let bus = try #require(PrivateBus.current)
        guard
            let call = try await runCommand(
                "/usr/bin/gdbus",
                [
                    "call", "--address", bus.address, "--dest", peers.server.uniqueName, "--object-path", TestService.path,
                    "--method", "\(TestService.interface).Speak", "hi", "{'rate': <int32 5>, 'voice': <'luna'>}",
                ])
        else {
            return  // gdbus (libglib2.0-bin) is optional here.
        }
        #expect(call.status == 0, "\(call.errorOutput)")
        #expect(call.output.trimmingCharacters(in: .whitespacesAndNewlines) == "(uint64 4,)")

        let failing = try #require(
            try await runCommand(
                "/usr/bin/gdbus",
                [
                    "call", "--address", bus.address, "--dest", peers.server.uniqueName, "--object-path", TestService.path,
                    "--method", "\(TestService.interface).Fail",
                ]))
        #expect(failing.status != 0)
        #expect(failing.errorOutput.contains(TestService.customError))
        #expect(failing.errorOutput.contains("priority must be one of"))

        let property = try #require(
            try await runCommand(
                "/usr/bin/gdbus",
                [
                    "call", "--address", bus.address, "--dest", peers.server.uniqueName, "--object-path", TestService.path,
                    "--method", "org.freedesktop.DBus.Properties.Get", TestService.interface, "Version",
                ]))
        #expect(property.output.contains("<uint32 1>"), "\(property.errorOutput)")

        let introspection = try #require(
            try await runCommand(
                "/usr/bin/gdbus",
                ["introspect", "--address", bus.address, "--dest", peers.server.uniqueName, "--object-path", TestService.path]))
        #expect(introspection.status == 0, "\(introspection.errorOutput)")
        #expect(introspection.output.contains("interface org.herald.Test1"))
        await peers.close()
    }
}
