internal import Glibc

/// `lock()` and `unlock()` on a pthread mutex, for the CLI's classes that
/// guard their state by hand: NSLock is Foundation proper's, which `herald`
/// does not link (docs/memory.md), and ThreadSanitizer understands pthread
/// mutexes (as HeraldSystem's `Locked` says).
final class PlainLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let error = pthread_mutex_init(mutex, nil)
        precondition(error == 0, "PlainLock: pthread_mutex_init failed (error \(error))")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }

    func unlock() { pthread_mutex_unlock(mutex) }
}
