internal import Glibc
internal import HeraldSystem

/// The thread that writes every Spiel request's stream into its client's pipe.
///
/// Why a thread of its own: a client reads at playback speed, pauses, or
/// stops reading altogether, so a write may have to wait for minutes. Waiting
/// must hold neither the D-Bus dispatch thread nor one of the few threads of
/// heraldd's task pool (one per CPU). Here every pipe is non-blocking, and one thread
/// sleeps in `poll()` on all of them plus an eventfd that producers signal.
/// Producers queue chunks and, once a pipe holds more than `highWater`
/// bytes, await (without a thread) until the client has read some.
///
/// A client that closes its read end is seen at once, even while nothing is
/// being written: the write end of a pipe without readers polls as
/// `POLLERR`. The pipe's `onReaderGone` then runs, which cancels that
/// request's synthesis. Writing into such a pipe raises `SIGPIPE`; this
/// thread blocks that signal and takes back the one each `EPIPE` leaves
/// pending, so the process is never killed by a client that went away.
///
/// Only this thread closes the descriptors, so a descriptor number is never
/// reused while it still sits in a poll set.
final class PipeWriter: Sendable {
    /// Bytes queued per pipe beyond which `send` waits: about 3 s of 22.05 kHz audio.
    static let highWater = 128 * 1024

    private let state = Locked(State())
    private let wakeup: EventFD

    private struct Pipe {
        let fd: Int32
        let onReaderGone: @Sendable () -> Void
        var chunks: [[UInt8]] = []
        var head = 0
        var queuedBytes = 0
        /// Close once everything queued is written.
        var finishing = false
        /// Close now, dropping what is queued.
        var aborted = false
        var waiter: CheckedContinuation<Bool, Never>?

        var isDrained: Bool { head == chunks.count }
    }

    private struct State {
        var pipes: [UInt64: Pipe] = [:]
        var nextID: UInt64 = 1
    }

    /// The process's writer, started on first use.
    static let shared: PipeWriter = PipeWriter()

    private init() {
        guard let wakeup = EventFD() else {
            fatalError("Herald's Spiel provider could not create an eventfd: the process is out of file descriptors")
        }
        self.wakeup = wakeup
        guard startDetachedThread(named: "herald.spiel-pipes", { [self] in run() }) else {
            fatalError("Herald's Spiel provider could not start its pipe writer: the system has no thread left")
        }
    }

    /// Takes over `fd` (the write end of a pipe; made non-blocking here, which
    /// the client's own copy shares: libspiel closes that copy at once) and
    /// returns the handle a request writes through. `onReaderGone` runs on
    /// the writer thread when the client closes its end before the stream is done.
    func open(fd: Int32, onReaderGone: @escaping @Sendable () -> Void) -> PipeHandle {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.pipes[state.nextID] = Pipe(fd: fd, onReaderGone: onReaderGone)
            return state.nextID
        }
        wakeup.signal()
        return PipeHandle(id: id, writer: self)
    }

    /// How many pipes are open, for tests and status.
    var openPipes: Int { state.withLock { $0.pipes.count } }

    // MARK: Producers

    func send(_ chunks: [[UInt8]], to id: UInt64) async -> Bool {
        guard !chunks.isEmpty else { return isOpen(id) }
        let accepted = state.withLock { state -> Bool in
            guard var pipe = state.pipes[id], !pipe.aborted, !pipe.finishing else { return false }
            pipe.chunks.append(contentsOf: chunks)
            pipe.queuedBytes += chunks.reduce(0) { $0 + $1.count }
            state.pipes[id] = pipe
            return true
        }
        guard accepted else { return false }
        wakeup.signal()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    guard var pipe = state.pipes[id], !pipe.aborted else { return false }
                    guard pipe.queuedBytes > Self.highWater else { return true }
                    pipe.waiter = continuation
                    state.pipes[id] = pipe
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            abort(id)
        }
    }

    func finish(_ id: UInt64) {
        state.withLock { state in state.pipes[id]?.finishing = true }
        wakeup.signal()
    }

    func abort(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.pipes[id] != nil else { return nil }
            state.pipes[id]!.aborted = true
            defer { state.pipes[id]!.waiter = nil }
            return state.pipes[id]!.waiter
        }
        waiter?.resume(returning: false)
        wakeup.signal()
    }

    func isOpen(_ id: UInt64) -> Bool {
        state.withLock { state in state.pipes[id].map { !$0.aborted } ?? false }
    }

    // MARK: The writer thread

    private func run() {
        setCurrentThreadName("herald.spiel-pipes")
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)

        while true {
            let watched = state.withLock { state in
                state.pipes.map { id, pipe in
                    (id, pollfd(fd: pipe.fd, events: pipe.isDrained ? 0 : Int16(POLLOUT), revents: 0))
                }
            }
            var pollSet = [pollfd(fd: wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0)] + watched.map(\.1)
            let ready = poll(&pollSet, nfds_t(pollSet.count), -1)
            if ready < 0, errno != EINTR { usleep(1000) }
            wakeup.reset()
            var events: [UInt64: Int16] = [:]
            for (index, entry) in watched.enumerated() { events[entry.0] = pollSet[index + 1].revents }
            service(events)
        }
    }

    /// Writes what each pipe can take and closes the pipes that are done.
    private func service(_ events: [UInt64: Int16]) {
        var resumes: [(CheckedContinuation<Bool, Never>, Bool)] = []
        var gone: [@Sendable () -> Void] = []
        var closing: [Int32] = []
        state.withLock { state in
            for id in Array(state.pipes.keys) {
                guard var pipe = state.pipes[id] else { continue }
                let revents = Int32(events[id] ?? 0)
                var readerGone = revents & (POLLERR | POLLHUP | POLLNVAL) != 0
                if !pipe.aborted, !readerGone, revents & POLLOUT != 0 {
                    readerGone = !flush(&pipe)
                }
                if pipe.aborted || readerGone || (pipe.finishing && pipe.isDrained) {
                    closing.append(pipe.fd)
                    if let waiter = pipe.waiter { resumes.append((waiter, !readerGone && !pipe.aborted)) }
                    if readerGone, !pipe.aborted { gone.append(pipe.onReaderGone) }
                    state.pipes[id] = nil
                    continue
                }
                if pipe.queuedBytes <= Self.highWater, let waiter = pipe.waiter {
                    resumes.append((waiter, true))
                    pipe.waiter = nil
                }
                state.pipes[id] = pipe
            }
        }
        for fd in closing { close(fd) }
        for (waiter, value) in resumes { waiter.resume(returning: value) }
        for action in gone { action() }
    }

    /// Writes whole chunks until the pipe is full; false when the reader has gone.
    private func flush(_ pipe: inout Pipe) -> Bool {
        while !pipe.isDrained {
            let chunk = pipe.chunks[pipe.head]
            let written = chunk.withUnsafeBytes { write(pipe.fd, $0.baseAddress, $0.count) }
            if written == chunk.count {
                pipe.queuedBytes -= chunk.count
                pipe.head += 1
                continue
            }
            if written < 0, errno == EAGAIN || errno == EINTR { break }
            if written < 0, errno == EPIPE { consumePendingSIGPIPE() }
            // A short write cannot happen for chunks up to PIPE_BUF; treat it like any other failure.
            return false
        }
        if pipe.head > 256 || pipe.isDrained {
            pipe.chunks.removeFirst(pipe.head)
            pipe.head = 0
        }
        return true
    }

    /// Takes the `SIGPIPE` a failed write left pending on this thread.
    private func consumePendingSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var noWait = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&set, nil, &noWait)
    }
}

/// One request's pipe: what the request writes through.
struct PipeHandle: Sendable {
    let id: UInt64
    let writer: PipeWriter

    /// Queues chunks; waits while the client is behind. False once the
    /// client closed its end (or the request was aborted): stop producing.
    func send(_ chunks: [[UInt8]]) async -> Bool { await writer.send(chunks, to: id) }

    /// Writes what is queued, then closes the pipe: the client sees the end.
    func finish() { writer.finish(id) }

    /// Closes the pipe now, dropping what is queued.
    func abort() { writer.abort(id) }
}
