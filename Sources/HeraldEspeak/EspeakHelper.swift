internal import Glibc
internal import HeraldCore
internal import HeraldEspeakProtocol
internal import HeraldSystem

/// One running `herald-espeak` process and heraldd's end of its socket.
///
/// The helper is started with posix_spawn: the socket (made close-on-exec,
/// like every descriptor Herald opens) is its descriptor 3, standard input
/// and output are /dev/null, standard error is heraldd's (the journal), the
/// environment holds only what libespeak-ng reads, every signal is reset to
/// its default, and it has a process group of its own. It asks the kernel to kill it when
/// heraldd's supervising thread ends, and makes itself non-dumpable.
final class EspeakHelper {
    static let executableName = "herald-espeak"
    /// How long a new helper may take to load libespeak-ng's data and list its voices (about 30 ms).
    static let startBound: Duration = .seconds(10)

    struct Ready: Sendable {
        let sampleRate: Int
        let voices: [Voice]
    }

    /// What waiting on the helper gave.
    enum Event {
        case frame(EspeakWire.Kind?, ArraySlice<UInt8>)
        /// The supervisor's wake-up descriptor fired: a request came or was cancelled.
        case woken
        case timedOut
        /// End of file or a broken frame: the helper is gone or not to be trusted.
        case closed(String)
    }

    let pid: pid_t
    private let socket: Int32
    private var buffer = EspeakFrameBuffer()
    /// Where each read lands before `buffer` takes it: allocated once, as the
    /// helper sends a frame every 40 ms of audio.
    private var scratch = [UInt8](repeating: 0, count: 65536)
    private var reaped = false

    private init(pid: pid_t, socket: Int32) {
        self.pid = pid
        self.socket = socket
    }

    deinit {
        stop()
        close(socket)
    }

    /// The helper beside the running executable (a build folder, or heraldd in
    /// PREFIX/bin next to it), else PREFIX/libexec/herald, where
    /// packaging/install.sh puts it.
    static func candidates() -> [String] {
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &target, target.count - 1)
        let me = length > 0 ? target.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : CommandLine.arguments[0]
        let folder = parent(me)
        return [folder + "/" + executableName, parent(folder) + "/libexec/herald/" + executableName]
    }

    /// A regular file this process may execute.
    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }

    /// The folder holding `path` ("." for a bare name, "/" at the top).
    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func locate() throws(EngineError) -> String {
        let candidates = candidates()
        guard let found = candidates.first(where: isExecutableFile) else {
            throw EngineError(
                .unavailable, engine: "espeak-ng",
                "\(executableName) is missing (looked for \(candidates.joined(separator: " and "))); reinstall Herald")
        }
        return found
    }

    /// Starts a helper and waits for its `ready`.
    static func start(_ executable: String) -> Result<(EspeakHelper, Ready), EngineError> {
        func failure(_ message: String) -> Result<(EspeakHelper, Ready), EngineError> {
            .failure(EngineError(.unavailable, engine: "espeak-ng", message))
        }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return failure("cannot make a socket for \(executableName): \(String(cString: strerror(errno)))")
        }
        var theirs = pair[1]
        // dup2 onto the same number would leave close-on-exec set: move it out of the way first.
        if theirs == EspeakWire.socketDescriptor {
            theirs = fcntl(pair[1], F_DUPFD_CLOEXEC, EspeakWire.socketDescriptor + 1)
            close(pair[1])
        }
        // Only what libespeak-ng reads to find its data: nothing else of heraldd's environment.
        var child = Spawn(
            executable, [String(getpid())],
            environment: ["ESPEAK_DATA_PATH", "HOME"].reduce(into: [:]) { kept, name in
                kept[name] = getenv(name).map { String(cString: $0) }
            })
        child.descriptors = [(EspeakWire.socketDescriptor, theirs)]
        // A process group of its own: a Ctrl-C or a `kill -- -PGID` meant for heraldd reaches heraldd,
        // which shuts down in order; the helper then ends with it (end of file, PR_SET_PDEATHSIG).
        child.newProcessGroup = true
        let spawned = Result { () throws(Spawn.Failure) in try child.start() }
        // Only the helper may hold its end, or its death would not show as end of file.
        close(theirs)
        let pid: pid_t
        switch spawned {
        case .success(let started): pid = started
        case .failure(let error):
            close(pair[0])
            return failure("\(error)")
        }
        let helper = EspeakHelper(pid: pid, socket: pair[0])
        // A send that blocks this long means the helper stopped reading: it is hung.
        var timeout = timeval(tv_sec: Int(EspeakEngine.silenceBound.components.seconds), tv_usec: 0)
        setsockopt(pair[0], SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = ContinuousClock.now + startBound
        while true {
            switch helper.next(until: deadline, wake: nil) {
            case .frame(.ready, let body):
                var reader = EspeakFrameReader(body)
                guard let rate = reader.int32(), rate > 0, let count = reader.uint32() else {
                    return failure("\(executableName) sent a malformed greeting")
                }
                var voices: [Voice] = []
                for _ in 0..<count {
                    guard let identifier = reader.string(), let name = reader.string(), let language = reader.string() else {
                        return failure("\(executableName) sent a malformed voice list")
                    }
                    voices.append(Voice(id: "espeak-ng:" + identifier, name: name, language: language, engine: "espeak-ng"))
                }
                return .success((helper, Ready(sampleRate: Int(rate), voices: voices)))
            case .frame(.startFailed, let body):
                var reader = EspeakFrameReader(body)
                return failure(reader.string() ?? "libespeak-ng could not start")
            case .frame:
                return failure("\(executableName) sent something other than its greeting")
            case .woken:
                continue
            case .timedOut:
                return failure("\(executableName) did not start within \(startBound)")
            case .closed(let reason):
                return failure("\(executableName) \(helper.ending(reason)) while starting")
            }
        }
    }

    /// Sends a whole frame; false when the helper is gone or stopped reading.
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    /// The next frame, or whichever comes first of a wake-up, the deadline and the helper's end.
    func next(until deadline: ContinuousClock.Instant, wake: EventFD?) -> Event {
        while true {
            do {
                if let (kind, body) = try buffer.next() { return .frame(EspeakWire.Kind(rawValue: kind), body) }
            } catch {
                return .closed("sent a malformed frame (\(error))")
            }
            guard deadline > .now else { return .timedOut }
            var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if let wake { descriptors.append(pollfd(fd: wake.fileDescriptor, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Self.pollTimeout(until: deadline))
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { return .closed("could not be watched: \(String(cString: strerror(errno)))") }
            if let wake, descriptors.count > 1, descriptors[1].revents != 0 {
                wake.reset()
                return .woken
            }
            guard descriptors[0].revents != 0 else { continue }
            let count = scratch.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            // A reset is how a helper that died with unread requests looks: an end like any other.
            guard count > 0 else { return .closed(count == 0 || errno == ECONNRESET ? "" : String(cString: strerror(errno))) }
            scratch.withUnsafeBytes { buffer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Sleeps until `wake` fires or `deadline` passes, for when there is no helper to watch.
    static func wait(for wake: EventFD, until deadline: ContinuousClock.Instant) {
        guard deadline > .now else { return }
        var descriptor = pollfd(fd: wake.fileDescriptor, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, pollTimeout(until: deadline)) > 0 { wake.reset() }
    }

    /// `poll`'s timeout for `deadline`: whole milliseconds, rounded up so the
    /// wait never ends before it.
    private static func pollTimeout(until deadline: ContinuousClock.Instant) -> Int32 {
        max(0, (deadline - .now).pollMilliseconds)
    }

    /// Kills the helper (a no-op once it is reaped) and collects it.
    @discardableResult
    func stop() -> String {
        guard !reaped else { return "" }
        kill(pid, SIGKILL)
        return reap()
    }

    /// Waits for the helper to end and says how it did ("was killed by signal 9").
    private func reap() -> String {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
        reaped = true
        guard result == pid else { return "ended" }
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
    }

    /// After the socket closed: kills what is left of the helper and describes its end.
    func ending(_ reason: String) -> String {
        let how = stop()
        return reason.isEmpty ? how : "\(how) (\(reason))"
    }
}
