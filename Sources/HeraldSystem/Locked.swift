internal import Glibc

/// A value guarded by a pthread mutex: Herald's lock, used instead of
/// `Synchronization.Mutex`, with the same `withLock`.
///
/// Why not `Mutex`: on Linux it is built on priority-inheritance futexes. When
/// the lock is contended, the waiter is handed the lock by the kernel
/// (`FUTEX_LOCK_PI` / `FUTEX_UNLOCK_PI`) inside the standard library, which is
/// not instrumented, so ThreadSanitizer sees no happens-before edge from one
/// holder to the next and reports the guarded state as a data race: a false
/// positive, and noise that would bury a real report. ThreadSanitizer
/// intercepts pthread mutexes, so with this lock it checks Herald's locking.
///
/// It costs what `Mutex` costs: glibc's uncontended lock and unlock are one
/// atomic instruction each, and the only allocations are when the lock is made
/// (the mutex needs a fixed address, so it and the value are allocated once).
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    public init(_ initialValue: sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let error = pthread_mutex_init(mutex, nil)
        precondition(error == 0, "Locked: pthread_mutex_init failed (error \(error))")
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with exclusive access to the value. Not reentrant: calling
    /// `withLock` again from `body` deadlocks.
    public func withLock<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        // The lock makes this access exclusive, which the compiler cannot see.
        nonisolated(unsafe) let value = value
        return try body(&value.pointee)
    }
}
