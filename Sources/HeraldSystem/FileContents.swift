internal import Glibc

/// Reads a whole file with `open` and `read`.
///
/// Why not Foundation's `FileManager`: heraldd reads its config once at start,
/// and FileManager brings its path, URL and locale machinery into the
/// daemon's resident memory for good.
public enum FileContents {
    /// Why a file could not be read: the `errno` of the call that failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let code: Int32
        public var isMissing: Bool { code == ENOENT || code == ENOTDIR }
        public var description: String { String(cString: strerror(code)) }
    }

    public static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(code: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(code: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
