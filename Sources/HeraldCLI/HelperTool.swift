internal import FoundationEssentials
#if canImport(Glibc)
internal import Glibc
internal import HeraldSystem
#endif

/// A clipboard helper (`wl-paste`, `xclip`, `xsel`) run to completion with a
/// cap on what it may print and on how long it may take.
///
/// `posix_spawn` and `poll` rather than Foundation's `Process`: the output is
/// read as it comes, so megabytes on the clipboard are refused after the cap
/// instead of being held in memory, and a clipboard owner that never answers
/// (a hung application) ends in a message rather than a hung keybinding.
/// What the tool prints is the user's text: it only ever comes back through
/// the pipe, never in an argument.
struct HelperTool {
    /// What a finished (or stopped) run produced.
    struct Run {
        /// The exit code; nil when a signal ended the tool.
        var status: Int32?
        var output: Data
        var errorOutput: String
        /// The tool printed more than the cap and was stopped.
        var truncated: Bool
    }

    let path: String

    /// The tool on `PATH`, or nil when it is not installed.
    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> HelperTool? {
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for folder in folders where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return HelperTool(path: candidate) }
        }
        return nil
    }

    var name: String { URL(fileURLWithPath: path).lastPathComponent }

    /// Runs the tool with `arguments` (never text to speak), standard input
    /// from /dev/null; keeps at most `limit` bytes of output.
    func run(_ arguments: [String], limit: Int, timeout: Duration) throws(CLIError) -> Run {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw CLIError("cannot run \(name): \(String(cString: strerror(errno)))")
        }
        // Only the tool gets these, through dup2; nothing else this process runs.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var tool = Spawn(path, arguments)
        tool.standardOutput = .descriptor(outPipe[1])
        tool.standardError = .descriptor(errPipe[1])
        let spawned = Result { () throws(Spawn.Failure) in try tool.start() }
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        let pid: pid_t
        switch spawned {
        case .success(let started): pid = started
        case .failure(let failure): throw CLIError("\(failure)")
        }

        var output = Data()
        var errorOutput = Data()
        var truncated = false
        var open = [outPipe[0], errPipe[0]]
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        readLoop: while !open.isEmpty {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                kill(pid, SIGKILL)
                reap(pid)
                throw CLIError(
                    "\(name) gave no answer within \(timeout.components.seconds) s; the application owning the clipboard may be hung")
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let milliseconds = left.pollMilliseconds
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0, errno == EINTR { continue }
            for entry in fds where entry.revents != 0 {
                let count = Glibc.read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                if entry.fd == outPipe[0] {
                    output.append(contentsOf: buffer[0..<count])
                    if output.count > limit {
                        truncated = true
                        kill(pid, SIGKILL)
                        break readLoop
                    }
                } else if errorOutput.count < 4096 {
                    errorOutput.append(contentsOf: buffer[0..<count])
                }
            }
        }
        let status = reap(pid)
        return Run(
            status: status, output: output, errorOutput: String(decoding: errorOutput, as: UTF8.self), truncated: truncated)
    }

    /// Waits for the tool to exit; its exit code, nil when a signal ended it.
    @discardableResult
    private func reap(_ pid: pid_t) -> Int32? {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : nil
    }
}
