internal import HeraldSystem

/// Runs work that blocks its thread (alsa-lib opening a device, libespeak-ng
/// loading its data) on a thread of its own, so that it never holds one of
/// the few threads of Swift's cooperative pool.
enum OffPool {
    static func run<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            // A plain pthread: Foundation's Thread is Foundation proper's.
            // Without a thread to be had, the work runs here, late but done.
            if !startDetachedThread(named: "herald.doctor", { continuation.resume(returning: body()) }) {
                continuation.resume(returning: body())
            }
        }
    }
}
