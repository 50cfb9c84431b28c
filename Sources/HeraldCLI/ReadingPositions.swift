internal import FoundationEssentials
internal import Glibc
internal import HeraldSystem

/// Where each file's last reading stopped, so `herald speak --file F --resume`
/// goes on from that sentence after a stop, a cancel, a daemon restart or a
/// reboot.
///
/// Kept in `$XDG_STATE_HOME/herald/positions.json` (folder 0700, file 0600),
/// keyed by a hash of the file's path, with a hash of its content: offsets and
/// hashes only, never a word of the text nor the path itself. At most
/// `maxEntries` files are remembered, the least recently read dropped first.
/// A folder that cannot be written costs the resume, never the reading.
struct ReadingPositions {
    struct Entry: Codable, Equatable {
        /// FNV-1a of the file's absolute path.
        var file: UInt64
        /// FNV-1a of the file's bytes: a changed file starts over.
        var content: UInt64
        var block: Int
        var sentence: Int
        /// Seconds since 1970, for dropping the oldest.
        var updated: Int64
    }

    static let maxEntries = 200

    let folder: String
    var path: String { folder + "/positions.json" }

    init(environment: [String: String]) {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? ProcessEnvironment.home(environment) + "/.local/state"
        folder = state + "/herald"
    }

    /// The keys of a file: its path's hash and its content's.
    static func key(path: String, content: [UInt8]) -> (file: UInt64, content: UInt64) {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let absolute =
            realpath(path, &resolved) != nil
            ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : path
        return (fnv1a(Array(absolute.utf8)), fnv1a(content))
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    func entries() -> [Entry] {
        guard let bytes = try? FileContents.read(path),
            let entries = try? JSONDecoder().decode([Entry].self, from: Data(bytes))
        else { return [] }
        return entries
    }

    func entry(file: UInt64) -> Entry? {
        entries().first { $0.file == file }
    }

    /// Records (or, with nil, forgets) where `file` stopped.
    func record(_ entry: Entry?, file: UInt64) throws(CLIError) {
        var list = entries().filter { $0.file != file }
        if let entry { list.append(entry) }
        list.sort { $0.updated > $1.updated }
        try write(Array(list.prefix(Self.maxEntries)))
    }

    /// Forgets every file.
    func forgetAll() throws(CLIError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw CLIError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func write(_ entries: [Entry]) throws(CLIError) {
        // Each missing folder on the way, private as XDG asks of the state folder.
        var prefix = ""
        for component in folder.split(separator: "/") {
            prefix += "/" + component
            guard access(prefix, F_OK) != 0 else { continue }
            guard mkdir(prefix, 0o700) == 0 || errno == EEXIST else {
                throw CLIError("cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
        guard let data = try? JSONEncoder().encode(entries) else { throw CLIError("cannot encode the reading positions") }
        let temporary = path + ".\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = [UInt8](data)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// One file's reading as it goes: records each sentence reached, forgets the
/// file once read to its end, and says where the last reading stopped.
final class ReadingPlace: @unchecked Sendable {
    enum Stop: Equatable {
        case stopped(ReadingDocument.Position)
        /// The file is not what was read last time.
        case changed
    }

    private let positions: ReadingPositions
    private let file: UInt64
    private let content: UInt64
    private let lock = PlainLock()
    private var last: ReadingDocument.Position?
    private var warned = false

    init(path: String, text: String, environment: [String: String]) {
        positions = ReadingPositions(environment: environment)
        (file, content) = ReadingPositions.key(path: path, content: Array(text.utf8))
    }

    /// Where the last reading of this file stopped, if it did and the file is unchanged.
    func lastStop(in document: ReadingDocument) -> Stop? {
        guard let entry = positions.entry(file: file) else { return nil }
        guard entry.content == content, document.blocks.indices.contains(entry.block) else { return .changed }
        return .stopped(ReadingDocument.Position(block: entry.block, sentence: entry.sentence))
    }

    /// The reading reached `position` (a sentence began).
    func reached(_ position: ReadingDocument.Position) {
        lock.lock()
        defer { lock.unlock() }
        guard position != last else { return }
        last = position
        save(
            ReadingPositions.Entry(
                file: file, content: content, block: position.block, sentence: position.sentence, updated: Int64(time(nil))))
    }

    /// Read to the end: nothing to resume.
    func finished() {
        lock.lock()
        defer { lock.unlock() }
        save(nil)
    }

    private func save(_ entry: ReadingPositions.Entry?) {
        do throws(CLIError) {
            try positions.record(entry, file: file)
        } catch {
            // Once: the reading goes on, only --resume is lost.
            if !warned { FileHandleOutput.standardError("herald: warning: cannot keep the reading position (\(error)); --resume will start over\n") }
            warned = true
        }
    }
}
