internal import NIOCore

/// The text of one SPEAK as it arrives, line by line, until the lone `.`.
///
/// Undoes the dot-stuffing (a data line starting with `.` was sent with one
/// more), joins lines with LF, and keeps at most `limit` bytes: past that,
/// the rest is read and dropped so the stream stays in step, and the
/// message is refused when the terminator comes.
struct SpeakData {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var overflowed = false
    private var atLineStart = true
    private var lines = 0

    init(limit: Int) { self.limit = limit }

    /// Takes one frame; returns true when it was the terminating `.` line.
    mutating func take(_ frame: SSIPFrame) -> Bool {
        switch frame {
        case .line(let buffer):
            if atLineStart, buffer.readableBytes == 1, buffer.readableBytesView.first == UInt8(ascii: ".") {
                return true
            }
            append(buffer)
            atLineStart = true
        case .fragment(let buffer):
            append(buffer)
            atLineStart = false
        }
        return false
    }

    private mutating func append(_ buffer: ByteBuffer) {
        var piece = buffer.readableBytesView[...]
        if atLineStart {
            if lines > 0 { add(CollectionOfOne(UInt8(ascii: "\n"))) }
            lines += 1
            if piece.first == UInt8(ascii: ".") { piece = piece.dropFirst() }
        }
        add(piece)
    }

    private mutating func add<C: Collection<UInt8>>(_ piece: C) {
        guard !overflowed else { return }
        guard bytes.count + piece.count <= limit else {
            overflowed = true
            bytes = []
            return
        }
        bytes.append(contentsOf: piece)
    }
}
