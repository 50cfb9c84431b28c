internal import Glibc

/// Starts a named thread that runs `body` and ends with it (or with the
/// process), for the daemon's long-lived workers.
///
/// Why not Foundation's `Thread`: the daemon would keep Foundation's thread,
/// run loop and string machinery resident for the sake of one
/// `pthread_create`. Returns false when the system has no thread left.
public func startDetachedThread(named name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let start = Unmanaged.passRetained(Start(name: name, body: body))
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { context in
        let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
        setCurrentThreadName(start.name)
        start.body()
        return nil
    }, start.toOpaque())
    guard created == 0 else {
        start.release()
        return false
    }
    pthread_detach(thread)
    return true
}
