internal import NIOCore

/// A piece of the byte stream, cut at line ends.
enum SSIPFrame: Sendable, Equatable {
    /// The end of a line (the whole line when short), terminator removed.
    case line(ByteBuffer)
    /// The start of a line longer than the decoder's limit; more follows.
    case fragment(ByteBuffer)
}

/// Cuts the stream into lines ending in LF (a CR before it is dropped too).
///
/// A line longer than `fragmentBytes` is passed on in fragments instead of
/// being buffered whole, so memory stays bounded whatever a client sends: the
/// connection decides what a long line means (an error for a command, more
/// text inside SPEAK data, where one line can be a whole long paragraph).
struct SSIPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = SSIPFrame

    let fragmentBytes: Int

    init(fragmentBytes: Int) {
        precondition(fragmentBytes > 1)
        self.fragmentBytes = fragmentBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while let frame = nextFrame(&buffer) { context.fireChannelRead(wrapInboundOut(frame)) }
        // An unterminated last line is not a command: the client went away mid-line.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    /// The next frame in `buffer`, if one is complete; exposed for unit tests.
    func nextFrame(_ buffer: inout ByteBuffer) -> SSIPFrame? {
        let view = buffer.readableBytesView
        let limit = view.index(view.startIndex, offsetBy: min(view.count, fragmentBytes + 1))
        if let newline = view[view.startIndex..<limit].firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer.readSlice(length: newline - view.startIndex)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
            }
            return .line(line)
        }
        guard view.count > fragmentBytes else { return nil }
        // Keep a trailing CR back: it may be the first half of the line's CRLF.
        let cut = view[view.startIndex + fragmentBytes - 1] == UInt8(ascii: "\r") ? fragmentBytes - 1 : fragmentBytes
        return .fragment(buffer.readSlice(length: cut)!)
    }
}
