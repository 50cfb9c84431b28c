internal import Foundation

/// Finds an executable product of this package (`heraldd`, `herald`) for
/// tests that run it as a child process, the way users and D-Bus activation do.
///
/// SwiftPM puts products next to the test bundle, so the test process's own
/// executable tells where to look; `HERALD_BUILD_DIR` overrides that.
public enum BuiltExecutable {
    public struct NotBuilt: Error, CustomStringConvertible {
        public let description: String
    }

    /// The absolute path of product `name`; throws, saying how to build it, when missing.
    public static func path(_ name: String) throws -> String {
        var folders: [String] = []
        if let folder = ProcessInfo.processInfo.environment["HERALD_BUILD_DIR"] { folders.append(folder) }
        for start in [Bundle.main.executablePath, "/proc/self/exe", CommandLine.arguments.first].compactMap({ $0 }) {
            let resolved = URL(fileURLWithPath: start).resolvingSymlinksInPath()
            // A bundle (`…/HeraldPackageTests.xctest/…`) or a plain executable: try every level.
            var folder = resolved.deletingLastPathComponent()
            for _ in 0..<4 {
                folders.append(folder.path)
                folder = folder.deletingLastPathComponent()
            }
        }
        for folder in folders {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NotBuilt(
            description: "\(name) is not built next to the tests (looked in \(Set(folders).sorted().joined(separator: ", "))); "
                + "run `swift build --build-tests` (which builds every product) before `swift test --skip-build`")
    }
}
