import HeraldConfig
import Foundation
import HeraldDBus
import HeraldDaemon
import HeraldTesting
import Testing

/// `packaging/install.sh` and `packaging/build-deb.sh`, run on the binaries
/// the tests use (`--prebuilt`: a release build would take minutes), then
/// Herald used as installed: the installed `herald` has the bus activate the
/// installed `heraldd`.
@Suite struct InstallTests {
    static let packaging = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("packaging")

    static var builtFolder: String {
        get throws { URL(fileURLWithPath: try BuiltExecutable.path("heraldd")).deletingLastPathComponent().path }
    }

    @Test func installIntoADestdirThenTheBusActivatesTheInstalledDaemon() async throws {
        let folder = try RunFolder(name: "install")
        let prefix = folder.path("prefix")
        let destdir = folder.path("stage")
        var environment = ProcessInfo.processInfo.environment
        environment["PREFIX"] = prefix
        environment["DESTDIR"] = destdir
        let install = try #require(try await runCommand(
            Self.packaging.appendingPathComponent("install.sh").path, ["--prebuilt", try Self.builtFolder],
            environment: environment, timeout: .seconds(120)))
        print("install.sh into DESTDIR: exit \(install.status) after \(install.duration)")
        #expect(install.status == 0, "\(install)")

        let root = destdir + prefix
        for (path, mode) in [
            ("bin/heraldd", 0o755), ("bin/speak-clipboard", 0o755),
            ("libexec/herald/herald-espeak", 0o755),
            ("share/systemd/user/herald.service", 0o644), ("share/dbus-1/services/org.herald.Speech1.service", 0o644),
            ("share/doc/herald/config.toml.example", 0o644), ("share/doc/herald/README.md", 0o644),
            ("share/bash-completion/completions/herald", 0o644), ("share/zsh/vendor-completions/_herald", 0o644),
            ("share/fish/vendor_completions.d/herald.fish", 0o644),
            ("share/doc/herald/LICENSE", 0o644), ("share/doc/herald/copyright", 0o644),
            ("share/man/man1/herald.1", 0o644), ("share/man/man1/speak-clipboard.1", 0o644),
            ("share/man/man5/herald.toml.5", 0o644), ("share/man/man8/heraldd.8", 0o644),
        ] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: "\(root)/\(path)")
            #expect((attributes?[.posixPermissions] as? Int) == mode, "\(path): \(String(describing: attributes))")
        }
        // herald is heraldd under another name: one binary for both.
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/bin/herald")) == "heraldd")
        // Every dbus/*.service.in becomes a service file.
        let templates = try FileManager.default.contentsOfDirectory(
            atPath: Self.packaging.deletingLastPathComponent().appendingPathComponent("dbus").path
        ).filter { $0.hasSuffix(".service.in") }
        let installed = try FileManager.default.contentsOfDirectory(atPath: "\(root)/share/dbus-1/services")
        #expect(Set(installed) == Set(templates.map { String($0.dropLast(3)) }))

        // Paths inside name PREFIX, not DESTDIR.
        // A prefix outside /usr: the unit goes where systemd looks under the data folders.
        let unit = try String(contentsOfFile: "\(root)/share/systemd/user/herald.service", encoding: .utf8)
        let service = try String(contentsOfFile: "\(root)/share/dbus-1/services/org.herald.Speech1.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix)/bin/heraldd\n") && unit.contains("ExecReload=\(prefix)/bin/herald reload\n") && unit.contains("Type=dbus") && unit.contains("BusName=org.herald.Speech1"))
        #expect(unit.contains("PartOf=graphical-session.target") && unit.contains("After=graphical-session.target"))
        #expect(service.contains("Exec=\(prefix)/bin/heraldd\n") && service.contains("SystemdService=herald.service"))
        #expect(!unit.contains("@") && !service.contains("@") && !unit.contains(destdir) && !service.contains(destdir))

        // The completions are herald's own and complete its commands: bash offers doctor for "herald do".
        let fish = try String(contentsOfFile: "\(root)/share/fish/vendor_completions.d/herald.fish", encoding: .utf8)
        let zsh = try String(contentsOfFile: "\(root)/share/zsh/vendor-completions/_herald", encoding: .utf8)
        #expect(fish.contains("doctor") && fish.contains("complete -c 'herald'"), "\(fish.prefix(300))")
        #expect(zsh.hasPrefix("#compdef herald") && zsh.contains("doctor"), "\(zsh.prefix(300))")
        // Sourced by the shells, never run: no "#!" line (Debian flags one in a file that is not executable).
        let bash = try String(contentsOfFile: "\(root)/share/bash-completion/completions/herald", encoding: .utf8)
        #expect(!bash.hasPrefix("#!") && !fish.hasPrefix("#!") && bash.contains("_herald"), "\(bash.prefix(300))")
        let completion = try #require(try await runCommand(
            "/bin/bash",
            [
                "-c",
                #"source "$1"; COMP_WORDS=(herald do); COMP_CWORD=1; COMP_LINE="herald do"; COMP_POINT=9; _herald herald do herald; echo "${COMPREPLY[*]}""#,
                "bash", "\(root)/share/bash-completion/completions/herald",
            ]))
        #expect(completion.status == 0 && completion.output == "doctor\n", "\(completion)")

        // The example config is one heraldd accepts.
        let example = try String(contentsOfFile: "\(root)/share/doc/herald/config.toml.example", encoding: .utf8)
        _ = try Configuration.parse(example, file: "config.toml.example")

        // Move the staged tree into place (a link), as a package manager would.
        try FileManager.default.createSymbolicLink(atPath: prefix, withDestinationPath: root)
        let (heard, daemonExecutable) = try await speakThroughActivation(
            herald: prefix + "/bin/herald", serviceDirectory: prefix + "/share/dbus-1/services", folder: folder)
        #expect(daemonExecutable == URL(fileURLWithPath: root + "/bin/heraldd").resolvingSymlinksInPath().path)
        #expect(heard)
    }

    @Test func theDebianPackageHoldsHeraldAndInstallsAndRemovesCleanly() async throws {
        let folder = try RunFolder(name: "deb")
        var environment = ProcessInfo.processInfo.environment
        environment["OUTPUT"] = folder.path("out")
        environment["VERSION"] = "0.1.0~test"
        environment["MAINTAINER"] = "Herald Tests <tests@example.org>"
        let build = try #require(try await runCommand(
            Self.packaging.appendingPathComponent("build-deb.sh").path, ["--prebuilt", try Self.builtFolder],
            environment: environment, timeout: .seconds(180)))
        print("build-deb.sh: exit \(build.status) after \(build.duration): \(build.output)\(build.errorOutput)")
        #expect(build.status == 0, "\(build)")
        let package = build.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: package), "\(build)")

        let info = try #require(try await runCommand("/usr/bin/dpkg-deb", ["--info", package]))
        print("dpkg-deb --info:\n\(info.output)")
        #expect(info.status == 0, "\(info)")
        for field in [
            "Package: herald", "Version: 0.1.0~test", "Depends: ", "libdbus-1", "espeak-ng-data (>= ", "espeak-ng-data (<< ",
            "Built-Using: espeak-ng (= ", "Description: ", "Maintainer: Herald Tests <tests@example.org>",
        ] {
            #expect(info.output.contains(field), "\(field) missing:\n\(info.output)")
        }
        // herald-espeak has libespeak-ng linked in, without the libpcaudio that would load PulseAudio.
        for library in ["libespeak-ng", "libpcaudio", "libpulse"] {
            #expect(!info.output.contains(library), "the package depends on \(library):\n\(info.output)")
        }
        let contents = try #require(try await runCommand("/usr/bin/dpkg-deb", ["--contents", package]))
        #expect(contents.status == 0, "\(contents)")
        // "-rwxr-xr-x root/root 123 2026-12-07 22:44 ./usr/bin/heraldd", or "… ./usr/bin/herald -> heraldd".
        let files = contents.output.split(separator: "\n").compactMap { line in
            line.split(separator: " -> ").first?.split(separator: " ").last.map(String.init)
        }
        for file in [
            "./usr/bin/heraldd", "./usr/bin/herald", "./usr/bin/speak-clipboard", "./usr/lib/systemd/user/herald.service",
            "./usr/libexec/herald/herald-espeak",
            "./usr/share/dbus-1/services/org.herald.Speech1.service", "./usr/share/doc/herald/config.toml.example",
            "./usr/share/bash-completion/completions/herald", "./usr/share/zsh/vendor-completions/_herald",
            "./usr/share/fish/vendor_completions.d/herald.fish",
            "./usr/share/doc/herald/copyright", "./usr/share/doc/herald/changelog.gz", "./usr/share/lintian/overrides/herald",
            "./usr/share/man/man1/herald.1.gz", "./usr/share/man/man1/speak-clipboard.1.gz",
            "./usr/share/man/man5/herald.toml.5.gz", "./usr/share/man/man8/heraldd.8.gz",
        ] {
            #expect(files.contains(file), "\(file) not in the package:\n\(contents.output)")
        }
        #expect(contents.output.contains("root/root"), "files not owned by root:\n\(contents.output)")

        // Installing on this machine needs root, as CI has; a Herald already
        // installed from elsewhere is left alone.
        guard getuid() == 0 else {
            print("not root: dpkg -i of the package skipped")
            return
        }
        let existing = try await runCommand("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "herald"])
        guard existing?.output.contains("installed") != true || existing?.output.contains("not-installed") == true else {
            print("a herald package is installed already: dpkg -i skipped")
            return
        }
        let dpkgInstall = try #require(try await runCommand("/usr/bin/dpkg", ["-i", package], timeout: .seconds(120)))
        print("dpkg -i: exit \(dpkgInstall.status) after \(dpkgInstall.duration)")
        var failure: (any Error)?
        do {
            #expect(dpkgInstall.status == 0, "\(dpkgInstall)")
            let (heard, daemonExecutable) = try await speakThroughActivation(
                herald: "/usr/bin/herald", serviceDirectory: "/usr/share/dbus-1/services", folder: folder)
            #expect(daemonExecutable == "/usr/bin/heraldd")
            #expect(heard)
        } catch {
            failure = error
        }
        let remove = try #require(try await runCommand("/usr/bin/dpkg", ["-r", "herald"], timeout: .seconds(120)))
        print("dpkg -r herald: exit \(remove.status) after \(remove.duration)")
        #expect(remove.status == 0, "\(remove)")
        for file in files where !file.hasSuffix("/") {
            #expect(!FileManager.default.fileExists(atPath: String(file.dropFirst())), "\(file) left behind by dpkg -r")
        }
        let after = try await runCommand("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "herald"])
        #expect(after?.output.contains("install ok installed") != true, "\(String(describing: after))")
        if let failure { throw failure }
    }

    /// Debian's tools refuse a made-up maintainer address, so the packager must
    /// name themself: without MAINTAINER, build-deb.sh stops before building.
    @Test func theDebianPackageNeedsAMaintainer() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["MAINTAINER"] = nil
        let build = try #require(try await runCommand(
            Self.packaging.appendingPathComponent("build-deb.sh").path, ["--prebuilt", try Self.builtFolder],
            environment: environment, timeout: .seconds(60)))
        #expect(build.status == 64, "\(build)")
        #expect(build.errorOutput.contains("set MAINTAINER"), "\(build)")
    }

    /// Runs `herald speak --wait` on a private bus whose service folder is
    /// `serviceDirectory`, with no daemon running: the bus activates the
    /// installed one. Returns whether it was heard and the daemon's executable.
    private func speakThroughActivation(herald: String, serviceDirectory: String, folder: RunFolder) async throws -> (Bool, String) {
        let bus = try await PrivateBus.launch(serviceDirectories: [serviceDirectory])
        defer { bus.stop() }
        let (session, capture, environment) = try HeraldCLITests.bareSession(bus: bus, name: "installed-\(UUID().uuidString.prefix(4))")
        let watcher = try await DBusConnection.connect(address: bus.address)
        // What a desktop session does at login (dbus-update-activation-environment):
        // activated services get the session's config and runtime folders.
        _ = try await watcher.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "UpdateActivationEnvironment",
            arguments: [
                .dict(
                    keySignature: "s", valueSignature: "s",
                    ["XDG_CONFIG_HOME", "XDG_RUNTIME_DIR"].map { (.string($0), .string(environment[$0]!)) })
            ])
        #expect(try await watcher.nameHasOwner("org.herald.Speech1") == false)

        let result = try #require(try await runCommand(herald, ["speak", "--wait", "Hello from the installed Herald."], environment: environment, timeout: .seconds(40)))
        print("installed herald speak --wait: exit \(result.status) after \(result.duration)")
        #expect(result.status == 0, "\(result)\n\(session.read("run/herald/heraldd.log"))")
        let pidReply = try await watcher.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "GetConnectionUnixProcessID", arguments: [.string("org.herald.Speech1")])
        let pid = try #require(pidReply.first?.uint32.map { pid_t($0) })
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
        await watcher.close()
        HeraldCLITests.end(pid)
        #expect(!FileManager.default.fileExists(atPath: session.runtime.appendingPathComponent("herald/heraldd.log").path),
            "herald started heraldd itself instead of the bus activating it")
        let wav = try capture.wav()
        print("installed Herald: \(wav.seconds) s of audio")
        _ = folder
        return (result.status == 0 && wav.seconds > 1 && wav.rms() > 0.02, executable)
    }
}
