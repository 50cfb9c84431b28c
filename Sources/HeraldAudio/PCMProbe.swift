public import HeraldCore
internal import Glibc

/// Opens an ALSA playback device the way `AlsaSink` does and closes it at
/// once, so `herald doctor` can say whether speech would reach it without
/// holding the device or playing anything.
public enum PCMProbe {
    /// What opening the device showed.
    public enum Outcome: Sendable, Equatable {
        /// It opened and took Herald's format (16-bit mono at this rate).
        case opened
        /// Someone holds it (EBUSY): often heraldd itself, which keeps the
        /// device open while it speaks.
        case busy(String)
        /// A sound server's plugin could not reach its server: alsa-lib's
        /// words and which server is not running, with how to start it.
        case soundServerDown(String, SoundServerDown)
        /// It does not exist or refused; alsa-lib's words.
        case failed(String)
    }

    /// Non-blocking open, Herald's parameters set, then closed. Blocks the
    /// calling thread for as long as alsa-lib takes (milliseconds for a local
    /// device, up to the connect time of a sound server); call it off the
    /// cooperative pool.
    public static func open(_ device: String, format: AudioFormat = AudioFormat(sampleRate: 22_050)) -> Outcome {
        // alsa-lib's explanation goes into the outcome instead of onto stderr.
        ALSAErrorCapture.installOnThisThread()
        defer { ALSAErrorCapture.removeThisThread() }
        do {
            _ = try PCMDevice(name: device, format: format)
            return .opened
        } catch {
            if let server = error.soundServerDown { return .soundServerDown(error.detail, server) }
            return error.code == -EBUSY ? .busy(error.detail) : .failed(error.detail)
        }
    }
}
