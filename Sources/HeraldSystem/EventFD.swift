internal import CHeraldSystem
internal import Glibc

/// A Linux eventfd that wakes a thread sleeping in `poll()`: the audio thread
/// and the D-Bus dispatch thread each own one.
///
/// Other threads hand work over through a locked queue and then `signal()`,
/// which never blocks and is async-signal-safe, so `AlsaSink.stop()` can call
/// it from any thread; an idle owner sleeps with no periodic wake-ups.
public final class EventFD: Sendable {
    public let fileDescriptor: Int32

    /// Fails only when the process is out of file descriptors.
    public init?() {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { return nil }
        fileDescriptor = fd
    }

    deinit {
        close(fileDescriptor)
    }

    /// Makes the descriptor readable until `reset()`.
    public func signal() {
        var one: UInt64 = 1
        // The only failure is an overflow of the counter, which still leaves it readable.
        _ = withUnsafeBytes(of: &one) { write(fileDescriptor, $0.baseAddress, $0.count) }
    }

    /// Clears the pending wake-ups; call before looking at the shared state again.
    public func reset() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fileDescriptor, $0.baseAddress, $0.count) }
    }
}

/// Names the calling thread, for `ps -L` and debuggers.
public func setCurrentThreadName(_ name: String) {
    herald_set_thread_name(name)
}
