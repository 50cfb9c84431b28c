internal import Foundation

/// Runs work that blocks its thread (alsa-lib opening a device, libespeak-ng
/// loading its data) on a thread of its own, so that it never holds one of
/// the few threads of Swift's cooperative pool.
enum OffPool {
    static func run<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = "herald.doctor"
            thread.start()
        }
    }
}
