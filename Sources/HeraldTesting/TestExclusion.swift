public import Testing

/// A process-wide lock for suites that must not overlap with each other.
///
/// On Linux every test target is linked into one test process and Swift
/// Testing runs suites in parallel. Suites that share the private PulseAudio
/// socket, or that measure wall time and the process's CPU time, would
/// disturb each other; they hold `TestExclusion.timing` while they run (the
/// `.privatePulseAudio` and `.timingSensitive` traits take it). Reentrant
/// within one task tree, so a suite may carry both traits.
public actor TestExclusion {
    /// Taken by suites that use the private PulseAudio or measure timing.
    public static let timing = TestExclusion()

    @TaskLocal private static var held: Set<ObjectIdentifier> = []

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` while no other holder of this lock runs.
    public nonisolated func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let key = ObjectIdentifier(self)
        if Self.held.contains(key) { return try await body() }
        await acquire()
        do {
            let result = try await Self.$held.withValue(Self.held.union([key])) { try await body() }
            await handOver()
            return result
        } catch {
            await handOver()
            throw error
        }
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func handOver() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Runs a suite (or test) under `TestExclusion.timing`: see there.
public struct TimingSensitiveTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await TestExclusion.timing.run { try await function() }
    }
}

extension Trait where Self == TimingSensitiveTrait {
    /// Runs alone among the suites that use the private PulseAudio or measure timing.
    public static var timingSensitive: Self { TimingSensitiveTrait() }
}
