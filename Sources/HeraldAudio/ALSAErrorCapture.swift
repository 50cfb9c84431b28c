internal import CALSA
internal import Glibc
internal import HeraldSystem

/// Catches alsa-lib's own error messages on the sink's owner threads.
///
/// alsa-lib explains failures through SNDERR ("Unknown PCM nosuch"), which
/// prints to stderr by default. The sink retries a missing device on every
/// play, so printing would repeat the same lines forever; instead the message
/// goes into the sink's own error (logged once). `snd_lib_error_set_local` is
/// per thread, so other ALSA users in the process keep the default.
enum ALSAErrorCapture {
    private static let messages = Locked<[pthread_t: String]>([:])

    private static let handler: snd_local_error_handler_t = { _, _, _, _, format, arguments in
        guard let format, let arguments else { return }
        var buffer = [CChar](repeating: 0, count: 512)
        _ = vsnprintf(&buffer, buffer.count, format, arguments)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let thread = pthread_self()
        ALSAErrorCapture.messages.withLock { $0[thread] = text }
    }

    static func installOnThisThread() {
        _ = snd_lib_error_set_local(handler)
    }

    static func removeThisThread() {
        _ = snd_lib_error_set_local(nil)
        let thread = pthread_self()
        messages.withLock { $0[thread] = nil }
    }

    /// Forgets the last message, before a call whose failure should be explained.
    static func clear() {
        let thread = pthread_self()
        messages.withLock { $0[thread] = nil }
    }

    /// The last message on this thread since `clear()`, if any.
    static func last() -> String? {
        let thread = pthread_self()
        return messages.withLock { $0[thread] }
    }
}
