// swift-tools-version:6.1
import PackageDescription

/// Release links of heraldd and herald-espeak, which stay resident all day,
/// made only by packaging/build-release (it sets HERALD_RELEASE_LINK=1), so
/// that a plain `swift build -c release` needs no lld and no linker script.
/// docs/memory.md says what each part saves and how the order lists are made
/// and checked:
/// - a linker script from packaging/order/ places the code they run in typical
///   use first in `.text`;
/// - the executables export no symbols (`--no-export-dynamic`);
/// - relocations are packed as DT_RELR where the glibc building is 2.36 or
///   later (packaging/build-release decides, HERALD_RELEASE_RELR=1);
/// - the C++ library is linked in from `.build/dist/static-libstdc++` when
///   packaging/build-release has put its archive there.
let releaseLink = Context.environment["HERALD_RELEASE_LINK"] == "1"

func residentLinkSettings(_ product: String) -> [LinkerSetting] {
    guard releaseLink else { return [] }
    let order = "\(Context.packageDirectory)/packaging/order/\(product).ld"
    let relr = Context.environment["HERALD_RELEASE_RELR"] == "1" ? ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] : []
    return [
        .unsafeFlags(
            [
                "-use-ld=lld", "-Xlinker", "--no-export-dynamic",
                "-L\(Context.packageDirectory)/.build/dist/static-libstdc++",
                "-Xlinker", "--script=\(order)",
            ] + relr,
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
        .target(name: "HeraldSystem", dependencies: ["CHeraldSystem", "CHeraldTimer"], swiftSettings: strictSettings),
        // The timer thread `Sleep` waits on, which wakes only for a deadline: plain pthreads, in C
        // so that heraldd's executor (below) shares it.
        .target(name: "CHeraldTimer", linkerSettings: [.linkedLibrary("pthread")]),
        // heraldd's global executor (a thread pool behind the runtime's enqueue hooks) and its
        // main-queue serving, so an idle daemon is never woken; heraldd alone links it. In C
        // because the hooks are C function pointers.
        .target(name: "CHeraldExecutor", dependencies: ["CHeraldTimer"], linkerSettings: [.linkedLibrary("dispatch")]),
        .target(name: "HeraldExecutor", dependencies: ["CHeraldExecutor", "HeraldSystem"], swiftSettings: strictSettings),

        .target(
            name: "HeraldCore",
            dependencies: ["HeraldSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The frames heraldd exchanges with its herald-espeak helper (whose side, in C, is Sources/herald-espeak/main.c).
        .target(name: "HeraldEspeakProtocol", dependencies: ["CHeraldEspeakWire"], swiftSettings: strictSettings),
        // The protocol's constants (socket, frame limit, kinds), read by both sides.
        .target(name: "CHeraldEspeakWire"),
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
            dependencies: ["CEspeakNG", "CHeraldEspeakWire"],
            cSettings: [.unsafeFlags(["-Wall", "-Wextra"])],
            linkerSettings: residentLinkSettings("herald-espeak") + [.linkedLibrary("pthread")]
        ),
        .target(
            name: "HeraldAudio",
            dependencies: ["HeraldCore", "CALSA", "HeraldSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // WAV and MP3 to PCM, for the cloud engines, which must not link ALSA.
        .target(name: "HeraldAudioDecoding", dependencies: ["HeraldCore", "CMPG123"], swiftSettings: strictSettings),
        // config.toml and the paths it implies, read alike by heraldd and `herald doctor`.
        .target(
            name: "HeraldConfig",
            dependencies: [
                "HeraldCore", "HeraldSystem", "HeraldWorkersAI", .product(name: "TOMLKit", package: "TOMLKit"),
            ],
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
                "HeraldCore", "HeraldConfig", "HeraldEspeak", "HeraldAudio", "HeraldDBus", "HeraldSSIP", "HeraldSpiel",
                "HeraldWorkersAI", "HeraldSystem", "HeraldProsody",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The interface XML in dbus/ (linked here) is what the daemon serves for Introspect.
            resources: [.embedInCode("Resources/org.herald.Speech1.xml")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HeraldWorkersAI",
            dependencies: [
                "HeraldCore", "HeraldAudioDecoding", "HeraldSystem",
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
                "HeraldCore", "HeraldDBus", "HeraldSystem",
                // `herald doctor` checks the setup as the daemon would use it: its config reader,
                // sound card, espeak-ng data and Workers AI credentials.
                "HeraldConfig", "HeraldAudio", "HeraldEspeak", "HeraldWorkersAI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "herald",
            dependencies: ["HeraldCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings,
            // No Foundation proper, as in heraldd: HeraldCLI imports FoundationEssentials only, so the
            // release link (Foundation's autolinking off, packaging/build-release) leaves out Foundation,
            // CoreFoundation and ICU, whose data alone was 34 MB of the 75 MB binary.
            linkerSettings: releaseLink ? [.unsafeFlags(["-use-ld=lld"])] : []
        ),
        .executableTarget(
            name: "heraldd",
            dependencies: [
                // HeraldCLI: heraldd is also `herald` when started by that name (the installed
                // herald is a link to it), so both programs share one copy of what they link.
                "HeraldDaemon", "HeraldAudio", "HeraldExecutor", "HeraldSystem", "HeraldCLI",
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

        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldTesting", "HeraldSystem", .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldEspeakTests", dependencies: ["HeraldEspeak", "HeraldEspeakProtocol", "HeraldCore", "HeraldTesting", .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldSSIPTests",
            dependencies: ["HeraldSSIP", "HeraldConfig", "HeraldCore", "HeraldDaemon", "HeraldTesting", "HeraldWorkersAI", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HeraldEndToEndTests",
            dependencies: ["HeraldDaemon", "HeraldConfig", "HeraldDBus", "HeraldCLI", "HeraldTesting", "HeraldSystem"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HeraldSpielTests",
            dependencies: ["HeraldSpiel", "HeraldDBus", "HeraldEspeak", "HeraldCore", "HeraldTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "HeraldDBusTests", dependencies: ["HeraldDBus", "HeraldTesting", "HeraldSystem"], swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldWorkersAITests",
            dependencies: ["HeraldWorkersAI", "HeraldCore", "HeraldTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HeraldProsodyTests", dependencies: ["HeraldProsody", "HeraldCore", "HeraldTesting", "HeraldSystem"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldAudioTests", dependencies: ["HeraldAudio", "HeraldAudioDecoding", "HeraldCore", "HeraldTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "HeraldDaemonTests",
            dependencies: [
                "HeraldDaemon", "HeraldConfig", "HeraldCore", "HeraldAudio", "HeraldTesting", "HeraldWorkersAI",
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
        ("FuzzConfig", ["HeraldConfig", .product(name: "TOMLKit", package: "TOMLKit")]),
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
