internal import HeraldSystem

/// Runs method-call work per sender: in arrival order, one call at a time for
/// each sender, different senders concurrently.
///
/// Why: starting a bare `Task` per call gives no ordering, so a client's
/// `Speak` followed at once by `Stop` could reach the scheduler swapped. Each
/// sender's queue is drained by one task that ends when the queue is empty,
/// so nothing lingers for clients that have left.
final class DBusCallQueues: Sendable {
    typealias Job = @Sendable () async -> Void

    /// A sender present here has a draining task; its array holds the jobs still waiting.
    private let waiting = Locked<[String: [Job]]>([:])

    func enqueue(sender: String, _ job: @escaping Job) {
        let startsDrainer = waiting.withLock { queues -> Bool in
            if queues[sender] != nil {
                queues[sender]!.append(job)
                return false
            }
            queues[sender] = []
            return true
        }
        guard startsDrainer else { return }
        Task {
            var next: Job? = job
            while let current = next {
                await current()
                next = waiting.withLock { queues -> Job? in
                    guard var jobs = queues[sender], !jobs.isEmpty else {
                        queues[sender] = nil
                        return nil
                    }
                    let first = jobs.removeFirst()
                    queues[sender] = jobs
                    return first
                }
            }
        }
    }
}
