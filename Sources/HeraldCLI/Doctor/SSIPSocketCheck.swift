internal import FoundationEssentials
#if canImport(Glibc)
internal import Glibc
#endif

/// The SSIP socket that Orca and `spd-say` connect to: there, a socket, 0600
/// in a folder only the user can enter, and listened on. Connecting opens an
/// SSIP session the daemon closes at once when the doctor hangs up.
enum SSIPSocketCheck {
    static let check = "SSIP socket"

    static func run(path: String, daemonRunning: Bool, configPath: String) -> DoctorFinding {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if !daemonRunning {
                return .skipped(check, "\(path) appears when heraldd starts")
            }
            return .failure(
                check, "\(path) is missing although heraldd runs",
                fix: "the daemon may use another [ssip] socket than \(configPath) says, or failed to listen (see its log); restart it: systemctl --user restart herald")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            return .failure(check, "\(path) exists but is not a socket", fix: "remove it (rm \(path)) and restart the daemon")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            return .failure(
                check, "\(path) has mode \(CredentialsCheck.octal(mode)); other users could make Herald speak",
                fix: "restart the daemon, which makes it 0600 (systemctl --user restart herald); check that the folder is yours")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var folderInfo = stat()
        if stat(folder, &folderInfo) == 0, folderInfo.st_mode & 0o022 != 0 {
            return .failure(
                check, "\(folder) can be written by other users (mode \(CredentialsCheck.octal(folderInfo.st_mode & 0o777)))",
                fix: "chmod 700 \(folder), or point [ssip] socket in \(configPath) into $XDG_RUNTIME_DIR")
        }
        switch connects(path) {
        case nil:
            return .pass(check, "\(path) (mode \(CredentialsCheck.octal(mode))) accepts connections")
        case let reason?:
            if !daemonRunning {
                return .warning(check, "\(path) is left from an earlier daemon (\(reason))", fix: "nothing to do; heraldd replaces it when it starts")
            }
            return .failure(
                check, "\(path) refuses connections (\(reason))",
                fix: "the daemon listening there is gone or uses another socket; restart it: systemctl --user restart herald")
        }
    }

    /// nil when something accepts a connection on `path`; else why not.
    private static func connects(_ path: String) -> String? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return "the path is longer than a socket path may be" }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 ? nil : String(cString: strerror(errno))
    }
}
