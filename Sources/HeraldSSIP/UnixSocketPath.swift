#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The file-system side of a listening Unix socket: its private folder,
/// stale sockets left by a daemon that died, and telling those from a live
/// server that must not be displaced.
enum UnixSocketPath {
    /// Where the path's file sits now, if anything is there.
    enum Occupant: Equatable {
        case nothing
        /// A socket file nobody accepts on (its server died).
        case staleSocket
        /// A socket a live process accepts connections on.
        case liveSocket
        case otherFile
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates the socket's folder (and missing parents) with mode 0700. An
    /// existing folder is used as it is, unless it belongs to someone else or
    /// others may write to it: then a stranger could replace the socket.
    static func prepareFolder(for path: String) throws(SSIPServiceError) {
        let folder = folder(of: path)
        var info = stat()
        if lstat(folder, &info) != 0 {
            guard errno == ENOENT else { throw .unsafeFolder(folder, lastError()) }
            let parent = Self.folder(of: folder)
            // Only the socket's own folder must be private; its parent may be /tmp.
            if parent != folder, parent != "/" { try createMissing(parent) }
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw .unsafeFolder(folder, lastError()) }
            guard lstat(folder, &info) == 0 else { throw .unsafeFolder(folder, lastError()) }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .unsafeFolder(folder, "it is not a folder") }
        guard info.st_uid == getuid() else {
            throw .unsafeFolder(folder, "it belongs to user \(info.st_uid); choose a folder of your own")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw .unsafeFolder(folder, "other users can write to it; use a folder with mode 0700")
        }
    }

    /// Creates `folder` and its missing parents with mode 0700, as `mkdir -p`;
    /// folders that exist are left as they are.
    private static func createMissing(_ folder: String) throws(SSIPServiceError) {
        var info = stat()
        guard lstat(folder, &info) != 0 else { return }
        let parent = Self.folder(of: folder)
        if parent != folder, parent != "/" { try createMissing(parent) }
        guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw .unsafeFolder(folder, lastError()) }
    }

    static func occupant(of path: String) -> Occupant {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .nothing }
        guard info.st_mode & S_IFMT == S_IFSOCK else { return .otherFile }
        return isAccepting(path) ? .liveSocket : .staleSocket
    }

    /// True when a process accepts connections on `path`: a non-blocking
    /// connect succeeds, or would wait only because its backlog is full.
    static func isAccepting(_ path: String) -> Bool {
        let fd = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard var address = socketAddress(path) else { return false }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 || errno == EAGAIN || errno == EINPROGRESS
    }

    /// Makes way for binding at `path`: removes a stale socket, refuses to
    /// touch a live one or any other file.
    static func clear(_ path: String) throws(SSIPServiceError) -> Occupant {
        let found = occupant(of: path)
        switch found {
        case .nothing: break
        case .liveSocket: throw .socketInUse(path)
        case .otherFile: throw .notASocket(path)
        case .staleSocket:
            guard unlink(path) == 0 || errno == ENOENT else {
                throw .cannotBind(path, "cannot remove the stale socket: \(lastError())")
            }
        }
        return found
    }

    /// The file's identity, to remove at shutdown only the socket this process made.
    static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func setMode(_ path: String, _ mode: mode_t) -> Bool { chmod(path, mode) == 0 }

    /// Removes `path` if it is still the socket with `identity`.
    static func remove(_ path: String, ifStill identity: FileIdentity?) {
        guard let identity, Self.identity(of: path) == identity else { return }
        unlink(path)
    }

    private static func socketAddress(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Device and inode of a file.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
}
