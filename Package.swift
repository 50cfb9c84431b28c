// swift-tools-version:6.1
import PackageDescription

#if canImport(Glibc)
import Glibc
/// DT_RELR relocations (below) load only with glibc 2.36 or later (Debian 12,
/// Ubuntu 24.04), so they are used only when the glibc building is that new.
let glibcHasRELR: Bool = {
    var buffer = [CChar](repeating: 0, count: 64)
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count) > 0 else { return false }
    // "glibc 2.36"
    let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let version = text.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) } ?? []
    return version.count >= 2 && (version[0], version[1]) >= (2, 36)
}()
#else
let glibcHasRELR = false
#endif

/// Release links of heraldd and herald-espeak, which stay resident all day
/// (BENCHMARKS.md has the figures):
/// - a linker script (packaging/order/, written by packaging/profile-order)
///   places the code they run in typical use first in `.text`, by object file
///   and section (much of it has no symbol name to order by), so what stays
///   resident is the code they run rather than the 64 KiB the kernel maps
///   around each function scattered through 25 MB of code;
/// - the executables export no symbols (`--no-export-dynamic`: 2.6 MB of
///   `.dynsym` and `.dynstr` that nothing looks up);
/// - a position-independent executable's relocations are packed as DT_RELR
///   (2.8 MB of `.rela.dyn` down to 22 KB, all read at every start);
/// - the Swift runtime's C++ library is linked in when packaging/build-release
///   has put `libstdc++.a` alone in `.build/dist/static-libstdc++` (the link
///   asks for `-lstdc++`, and a folder searched first that holds only the
///   archive answers it), so its functions are placed with the rest instead
///   of mapping 1.5 MB of the shared library.
func residentLinkSettings(_ product: String) -> [LinkerSetting] {
    let order = "\(Context.packageDirectory)/packaging/order/\(product).ld"
    return [
        .unsafeFlags(
            [
                "-use-ld=lld", "-Xlinker", "--no-export-dynamic",
                "-L\(Context.packageDirectory)/.build/dist/static-libstdc++",
                "-Xlinker", "--script=\(order)",
            ] + (glibcHasRELR ? ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] : []),
            .when(configuration: .release))
    ]
}

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "heraldd", targets: ["heraldd"]),
        .executable(name: "herald", targets: ["herald"]),
        // libespeak-ng in a process of its own, started and supervised by heraldd.
        .executable(name: "herald-espeak", targets: ["herald-espeak"]),
        .library(name: "HeraldCore", targets: ["HeraldCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already in the graph through async-http-client; named for the WebSocket transport's TLS.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // System libraries. Each module map names the Debian -dev package that provides it.
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CMPG123", pkgConfig: "libmpg123", providers: [.apt(["libmpg123-dev"])]),
        .systemLibrary(name: "CDBus", pkgConfig: "dbus-1", providers: [.apt(["libdbus-1-dev"])]),
        .systemLibrary(name: "CHeraldSystem"),
        // libsonic-dev has no pkg-config file: the module map links libsonic by name.
        .systemLibrary(name: "CSonic", providers: [.apt(["libsonic-dev"])]),

        // Linux plumbing the audio and bus threads share (eventfd wake-ups, thread names), and
        // Herald's lock (`Locked`, on a pthread mutex, which ThreadSanitizer understands).
        .target(name: "HeraldSystem", dependencies: ["CHeraldSystem", "CHeraldExecutor"], swiftSettings: strictSettings),
        // heraldd's global executor (a thread pool behind the runtime's enqueue hooks) and timer thread,
        // so an idle daemon is never woken; in C because the hooks are C function pointers.
        .target(name: "CHeraldExecutor", linkerSettings: [.linkedLibrary("dispatch")]),

        .target(
            name: "HeraldCore",
            dependencies: ["HeraldSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The frames heraldd exchanges with its herald-espeak helper (whose side, in C, is Sources/herald-espeak/main.c).
        .target(name: "HeraldEspeakProtocol", swiftSettings: strictSettings),
        .target(
            name: "HeraldEspeak",
            dependencies: [
                "HeraldCore", "HeraldEspeakProtocol", "HeraldSystem", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // libespeak-ng linked statically (libespeak-ng-dev ships libespeak-ng.a), without the
        // libpcaudio it would load PulseAudio, X11 and codecs through: the helper plays nothing.
        .target(
            name: "CEspeakNG",
            linkerSettings: [.linkedLibrary(":libespeak-ng.a"), .linkedLibrary(":libsonic.so.0"), .linkedLibrary("m")]
        ),
        // In C, so no Swift runtime stays resident beside heraldd; heraldd finds it beside itself
        // or in libexec/herald.
        .executableTarget(
            name: "herald-espeak",
            dependencies: ["CEspeakNG"],
            cSettings: [.unsafeFlags(["-Wall", "-Wextra"])],
            linkerSettings: residentLinkSettings("herald-espeak") + [.linkedLibrary("pthread")]
        ),
        .target(
            name: "HeraldAudio",
            dependencies: ["HeraldCore", "CALSA", "CMPG123", "HeraldSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Rate, pitch and volume, with libsonic, for engines that have none of their own.
        .target(name: "HeraldProsody", dependencies: ["HeraldCore", "CSonic"], swiftSettings: strictSettings),
        .target(
            name: "HeraldDBus",
            dependencies: ["CDBus", "HeraldSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldSSIP",
            dependencies: [
                "HeraldCore", "HeraldSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldSpiel",
            dependencies: [
                "HeraldCore", "HeraldDBus", "HeraldSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The interface XML in dbus/ (linked here) is what the provider serves for Introspect.
            resources: [.embedInCode("Resources/org.freedesktop.Speech.Provider.xml")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldDaemon",
            dependencies: [
                "HeraldCore", "HeraldEspeak", "HeraldAudio", "HeraldDBus", "HeraldSSIP", "HeraldSpiel", "HeraldWorkersAI", "HeraldSystem",
                "HeraldProsody",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // The interface XML in dbus/ (linked here) is what the daemon serves for Introspect.
            resources: [.embedInCode("Resources/org.herald.Speech1.xml")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldWorkersAI",
            dependencies: [
                "HeraldCore", "HeraldAudio", "HeraldSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldTesting",
            dependencies: [
                "HeraldCore", "HeraldDBus", "HeraldSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldCLI",
            dependencies: [
                "HeraldCore", "HeraldDBus",
                // `herald doctor` checks the setup as the daemon would use it: its config reader,
                // sound card, espeak-ng data and Workers AI credentials.
                "HeraldDaemon", "HeraldAudio", "HeraldEspeak", "HeraldWorkersAI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "herald",
            dependencies: ["HeraldCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings,
            // Foundation by name, because packaging/build-release turns its autolinking off to keep it out
            // of heraldd; with lld, which finds CoreFoundation and ICU wherever they are on the line.
            linkerSettings: [.linkedLibrary("Foundation"), .unsafeFlags(["-use-ld=lld"])]
        ),
        .executableTarget(
            name: "heraldd",
            dependencies: [
                "HeraldDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            linkerSettings: residentLinkSettings("heraldd")
        ),

        // The fake Workers AI as a process for bench/run; not a product, never installed.
        .executableTarget(
            name: "herald-fake-workers-ai",
            dependencies: ["HeraldTesting"],
            swiftSettings: strictSettings
        ),

        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldTesting", "HeraldSystem"], swiftSettings: strictSettings),
        .testTarget(name: "HeraldEspeakTests", dependencies: ["HeraldEspeak", "HeraldEspeakProtocol", "HeraldTesting"], swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldSSIPTests",
            dependencies: ["HeraldSSIP", "HeraldDaemon", "HeraldTesting", "HeraldWorkersAI"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HeraldEndToEndTests",
            dependencies: ["HeraldDaemon", "HeraldDBus", "HeraldCLI", "HeraldTesting", "HeraldSystem"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HeraldSpielTests",
            dependencies: ["HeraldSpiel", "HeraldDBus", "HeraldEspeak", "HeraldTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "HeraldDBusTests", dependencies: ["HeraldDBus", "HeraldTesting", "HeraldSystem"], swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldWorkersAITests",
            dependencies: ["HeraldWorkersAI", "HeraldTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HeraldProsodyTests", dependencies: ["HeraldProsody", "HeraldCore", "HeraldTesting", "HeraldSystem"],
            swiftSettings: strictSettings),
        .testTarget(name: "HeraldAudioTests", dependencies: ["HeraldAudio", "HeraldTesting"], swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldDaemonTests",
            dependencies: [
                "HeraldDaemon", "HeraldCore", "HeraldAudio", "HeraldTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Coverage-guided fuzz targets (libFuzzer), built only by fuzz/run.sh, which
// sets HERALD_FUZZ=1 and builds with `--sanitize fuzzer --sanitize address`: each target's
// `LLVMFuzzerTestOneInput` replaces `main`, so they cannot link in an ordinary
// build, and leaving them out keeps `swift build` and `swift test` as they were.
if Context.environment["HERALD_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzSSIP", [
            "HeraldSSIP", "HeraldCore", .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        ("FuzzText", ["HeraldCore"]),
        ("FuzzConfig", ["HeraldDaemon", .product(name: "TOMLKit", package: "TOMLKit")]),
        ("FuzzDBus", ["HeraldDaemon", "HeraldDBus", "HeraldCore", "CDBus"]),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies, path: "fuzz/Sources/\(target.name)",
                swiftSettings: strictSettings))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
