internal import Glibc
internal import HeraldCore
internal import HeraldDBus

/// `Export`: a message synthesised through the engine chain into a WAV file
/// the caller opened, instead of the sound card.
///
/// The caller passes the file (not a path), so the daemon writes only where
/// the user could, and the caller decides what becomes of a half-written file
/// (`herald speak --output` writes a temporary one and renames it on success).
/// Nothing of the queue or the sound card is touched: what is playing goes on.
/// Audio of another rate than the first (an engine falling back) is resampled,
/// since a WAV file has one rate.
struct AudioExport {
    let engine: any SpeechEngine
    let preparer: TextPreparer

    /// What was written.
    struct Written {
        let format: AudioFormat
        let frames: Int
    }

    func write(_ content: UtteranceContent, settings: VoiceSettings, to file: DBusUnixFD) async throws(DBusError) -> Written {
        guard let fd = file.rawValue else { throw Speech1Arguments.invalid("Export needs an open file.") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Speech1Arguments.invalid("Export writes into a regular file; pass one opened for writing.")
        }
        let access = fcntl(fd, F_GETFL) & O_ACCMODE
        guard access == O_WRONLY || access == O_RDWR else {
            throw Speech1Arguments.invalid("Export needs the file opened for writing.")
        }
        guard ftruncate(fd, 0) == 0 else { throw Self.failure("cannot write the file: \(String(cString: strerror(errno)))") }

        var format: AudioFormat?
        var frames = 0
        try Self.write(fd, at: 0, Self.header(format: AudioFormat(sampleRate: 22_050), frames: 0))
        for chunk in preparer.following(engine).chunks(for: content, settings: settings) {
            do {
                for try await output in engine.synthesize(chunk, settings: settings) {
                    guard case .audio(let audio) = output else { continue }
                    let target = format ?? AudioFormat(sampleRate: audio.format.sampleRate)
                    format = target
                    let samples = AudioConversion.convert(audio, to: target)
                    try Self.write(fd, at: 44 + frames * 2, samples.withUnsafeBytes { Array($0) })
                    frames += samples.count
                }
            } catch let error as DBusError {
                throw error
            } catch {
                throw Self.failure("could not synthesise: \((error as? EngineError)?.description ?? "\(error)")")
            }
        }
        let written = format ?? AudioFormat(sampleRate: 22_050)
        try Self.write(fd, at: 0, Self.header(format: written, frames: frames))
        return Written(format: written, frames: frames)
    }

    /// The 44-byte RIFF/WAVE header of 16-bit mono PCM.
    static func header(format: AudioFormat, frames: Int) -> [UInt8] {
        let data = frames * 2
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        return Array("RIFF".utf8) + le32(36 + data) + Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16) + le16(1) + le16(1)
            + le32(format.sampleRate) + le32(format.sampleRate * 2) + le16(2) + le16(16) + Array("data".utf8) + le32(data)
    }

    private static func write(_ fd: Int32, at offset: Int, _ bytes: [UInt8]) throws(DBusError) {
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write the file: \(String(cString: strerror(errno)))")
            }
            done += result
        }
    }

    static func failure(_ message: String) -> DBusError {
        DBusError(name: Speech1Arguments.errorPrefix + "Failed", message: message)
    }
}
