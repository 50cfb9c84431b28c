internal import CDBus
internal import Glibc

/// An eventfd that wakes the dispatch thread out of `poll()`.
///
/// Other threads hand work to the dispatch thread through a locked queue and
/// then `signal()`; writing an eventfd never blocks and costs no syscall on the
/// dispatch side until there is something to do, so an idle connection sleeps.
final class DBusWakeup: Sendable {
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

    /// Clears pending wake-ups; called before looking at the shared queue again.
    func reset() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fileDescriptor, $0.baseAddress, $0.count) }
    }
}
