internal import Dispatch
internal import FoundationEssentials
internal import Glibc

/// Ctrl-C (SIGINT) or SIGTERM while `herald speak --wait` waits: the
/// message it started is canceled rather than left speaking on its own.
enum Interruption {
    /// Waits for SIGINT or SIGTERM and returns it; nil when the waiting task
    /// is cancelled. The signals' default action (ending the process at once)
    /// is off from the first call on.
    static func next() async -> Int32? {
        let once = Once()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                once.wait(continuation)
                for number in [SIGINT, SIGTERM] {
                    signal(number, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                    source.setEventHandler { once.finish(number) }
                    source.resume()
                    once.keep(source)
                }
            }
        } onCancel: {
            once.finish(nil)
        }
    }

    /// Resumes the waiter exactly once, with whatever came first.
    private final class Once: @unchecked Sendable {
        private let lock = PlainLock()
        private var continuation: CheckedContinuation<Int32?, Never>?
        private var result: Int32??
        private var sources: [any DispatchSourceSignal] = []

        func wait(_ continuation: CheckedContinuation<Int32?, Never>) {
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(returning: result)
                return
            }
            self.continuation = continuation
            lock.unlock()
        }

        func keep(_ source: any DispatchSourceSignal) {
            lock.lock()
            sources.append(source)
            lock.unlock()
        }

        func finish(_ number: Int32?) {
            lock.lock()
            guard result == nil else {
                lock.unlock()
                return
            }
            result = .some(number)
            let waiter = continuation
            continuation = nil
            let sources = self.sources
            self.sources = []
            lock.unlock()
            sources.forEach { $0.cancel() }
            waiter?.resume(returning: number)
        }
    }
}
