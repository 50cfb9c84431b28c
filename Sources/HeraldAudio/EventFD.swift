internal import CALSA
internal import Glibc

/// A Linux eventfd used to wake a thread that sleeps in `poll()`.
///
/// `signal()` is async-signal-safe and never blocks, so `AlsaSink.stop()` can
/// call it from any thread, including one that must not wait for audio.
final class EventFD: Sendable {
    let fileDescriptor: Int32

    /// Fails only when the process is out of file descriptors.
    init?() {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { return nil }
        fileDescriptor = fd
    }

    deinit {
        close(fileDescriptor)
    }

    /// Makes the descriptor readable until `reset()`.
    func signal() {
        var one: UInt64 = 1
        // The only failure is an overflow of the counter, which still leaves it readable.
        _ = withUnsafeBytes(of: &one) { write(fileDescriptor, $0.baseAddress, $0.count) }
    }

    /// Clears the pending wake-ups; call before looking at the shared state again.
    func reset() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fileDescriptor, $0.baseAddress, $0.count) }
    }
}
