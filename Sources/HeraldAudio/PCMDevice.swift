internal import CALSA
internal import Glibc
internal import HeraldCore

/// Why alsa-lib refused: the negative errno it returned plus its own words.
struct PCMError: Error {
    let code: Int32
    /// alsa-lib's message if it printed one ("Unknown PCM nosuch"), else `snd_strerror`.
    let detail: String

    init(code: Int32, detail: String? = nil) {
        self.code = code
        // alsa-lib's messages may end in a newline; they go inside sentences.
        if let detail = detail.map({ String($0.trimmingWhitespace()) }), !detail.isEmpty {
            self.detail = detail
        } else {
            self.detail = String(cString: snd_strerror(code))
        }
    }

    /// When the device is a sound server's ALSA plugin and the server is not
    /// running: which server, and how to start it. alsa-lib's own words
    /// ("Host is down", "Connection refused") do not say that a server is missing.
    var soundServerDown: SoundServerDown? {
        switch code {
        case -EHOSTDOWN:
            // pipewire-alsa's plugin, which /etc/alsa/conf.d/99-pipewire-default.conf makes `default`.
            return SoundServerDown(
                problem: "the PipeWire sound server is not running",
                fix: "start it with `systemctl --user start pipewire wireplumber`")
        case -ECONNREFUSED:
            // ALSA's pulse plugin, whose server is PulseAudio or PipeWire's pipewire-pulse.
            return SoundServerDown(
                problem: "the sound server is not running (ALSA's pulse plugin reaches PulseAudio or pipewire-pulse)",
                fix: "start it with `systemctl --user start pipewire-pulse wireplumber` on PipeWire, or `systemctl --user start pulseaudio`")
        default:
            return nil
        }
    }

    /// Takes alsa-lib's last message on this thread (see `ALSAErrorCapture`).
    static func capture(code: Int32) -> PCMError {
        PCMError(code: code, detail: ALSAErrorCapture.last())
    }
}

/// A sound server that a PCM's plugin could not reach, said so that a person can act on it.
public struct SoundServerDown: Sendable, Equatable {
    /// Which server is not running.
    public let problem: String
    /// The command that starts it.
    public let fix: String
}

/// One open playback `snd_pcm_t` in non-blocking mode, S16_LE interleaved.
///
/// Not `Sendable` on purpose: only the sink's owner thread touches it, so
/// alsa-lib's internal locking is never relied on. Closing happens in `deinit`.
final class PCMDevice {
    let name: String
    let format: AudioFormat
    /// Frames the device buffer holds: about 40 ms on hardware, 20 on the
    /// pulse plugin, 30 on pipewire-alsa's (the constants below say why).
    let bufferFrames: Int
    /// Frames per period, the granularity of poll wake-ups: 10 ms on hardware
    /// and pipewire-alsa, 5 on the pulse plugin.
    let periodFrames: Int
    private let handle: OpaquePointer

    /// The buffer Herald asks for: short, so that `stop()` has little to drop
    /// and `play` never runs far ahead of what is heard (marks are reported
    /// as their audio is written, so this is also how early they come).
    static let bufferMicroseconds: UInt32 = 40_000

    /// The buffer asked of a sound server's ALSA plugin (an "ioplug" PCM: pulse,
    /// pipewire). The pulse plugin lets a non-blocking writer put about twice
    /// its ALSA buffer into the server's stream (measured: 79.6 ms queued by
    /// `snd_pcm_delay` for a 40 ms buffer, 39.6 ms for 20 ms), so half the
    /// buffer gives the same audio ahead, and the same margin against a stalled
    /// writer, as 40 ms on a hardware device.
    static let pluginBufferMicroseconds: UInt32 = 20_000

    /// pipewire-alsa's plugin: a 30 ms buffer in 10 ms periods. The plugin
    /// asks PipeWire for a quantum of one period, so the period sets how
    /// often the graph, the server and heraldd wake while Herald speaks: the
    /// 5 ms periods `snd_pcm_set_params` picks for a 20 ms buffer cost, on
    /// Debian 12's PipeWire 0.3.65 (BENCHMARKS.md), twice the context
    /// switches and CPU of 10 ms periods, in heraldd and in the server alike.
    /// Unlike the pulse plugin it holds only its buffer (`snd_pcm_delay`
    /// stays near it), so 30 ms keeps the audio ahead of the speaker within
    /// the 40 ms of a sound card, and leaves the writer a margin (buffer less
    /// a quantum) a little larger than 20 ms in 5 ms periods did.
    static let pipewireBufferMicroseconds: UInt32 = 30_000
    static let pipewirePeriodMicroseconds: UInt32 = 10_000

    /// Opens `name` for `format`. Fails fast (no blocking open) on a missing,
    /// busy or misconfigured device.
    init(name: String, format: AudioFormat) throws(PCMError) {
        ALSAErrorCapture.clear()
        var pcm: OpaquePointer?
        let openResult = snd_pcm_open(&pcm, name, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard openResult >= 0, let pcm else { throw PCMError.capture(code: openResult) }

        let isServerPlugin = snd_pcm_type(pcm) == SND_PCM_TYPE_IOPLUG
        var setResult: Int32 = -EINVAL
        if isServerPlugin, Self.isPipeWirePlugin(pcm) {
            setResult = Self.setParams(
                pcm, format: format, bufferMicroseconds: Self.pipewireBufferMicroseconds,
                periodMicroseconds: Self.pipewirePeriodMicroseconds)
        }
        if setResult < 0 {
            setResult = snd_pcm_set_params(
                pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                UInt32(format.channels), UInt32(format.sampleRate),
                1,  // let alsa-lib resample when the device cannot take the rate
                isServerPlugin ? Self.pluginBufferMicroseconds : Self.bufferMicroseconds)
        }
        guard setResult >= 0 else {
            let error = PCMError.capture(code: setResult)
            snd_pcm_close(pcm)
            throw error
        }

        var buffer: snd_pcm_uframes_t = 0
        var period: snd_pcm_uframes_t = 0
        if snd_pcm_get_params(pcm, &buffer, &period) < 0 || buffer == 0 || period == 0 {
            // Fall back to what was asked for; only used for timeouts.
            buffer = snd_pcm_uframes_t(format.frames(milliseconds: 40))
            period = snd_pcm_uframes_t(format.frames(milliseconds: 10))
        }
        self.name = name
        self.format = format
        self.handle = pcm
        self.bufferFrames = Int(buffer)
        self.periodFrames = Int(period)
    }

    deinit {
        snd_pcm_close(handle)
    }

    /// Whether `pcm` is pipewire-alsa's plugin, which names itself only in
    /// its dump ("ALSA <-> PipeWire PCM I/O Plugin"; the pulse plugin's says
    /// PulseAudio); its `snd_pcm_info` id is the generic "ALSA Playback".
    private static func isPipeWirePlugin(_ pcm: OpaquePointer) -> Bool {
        var output: OpaquePointer?
        guard snd_output_buffer_open(&output) == 0, let output else { return false }
        defer { snd_output_close(output) }
        guard snd_pcm_dump(pcm, output) == 0 else { return false }
        var text: UnsafeMutablePointer<CChar>?
        let length = snd_output_buffer_string(output, &text)
        guard let text, length > 0 else { return false }
        let bytes = UnsafeRawBufferPointer(start: text, count: min(length, 200))
        return String(decoding: bytes, as: UTF8.self).hasPrefix("ALSA <-> PipeWire")
    }

    /// What `snd_pcm_set_params` does (interleaved S16_LE, alsa-lib resampling,
    /// playback starting once the buffer is full, a wake-up per period), with
    /// the period chosen instead of a quarter of the buffer.
    private static func setParams(
        _ pcm: OpaquePointer, format: AudioFormat, bufferMicroseconds: UInt32, periodMicroseconds: UInt32
    ) -> Int32 {
        var hardware: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hardware) == 0, let hardware else { return -ENOMEM }
        defer { snd_pcm_hw_params_free(hardware) }
        var bufferTime = bufferMicroseconds
        var periodTime = periodMicroseconds
        var direction: Int32 = 0
        let steps: [() -> Int32] = [
            { snd_pcm_hw_params_any(pcm, hardware) },
            { snd_pcm_hw_params_set_rate_resample(pcm, hardware, 1) },
            { snd_pcm_hw_params_set_access(pcm, hardware, SND_PCM_ACCESS_RW_INTERLEAVED) },
            { snd_pcm_hw_params_set_format(pcm, hardware, SND_PCM_FORMAT_S16_LE) },
            { snd_pcm_hw_params_set_channels(pcm, hardware, UInt32(format.channels)) },
            { snd_pcm_hw_params_set_rate(pcm, hardware, UInt32(format.sampleRate), 0) },
            { snd_pcm_hw_params_set_buffer_time_near(pcm, hardware, &bufferTime, &direction) },
            { snd_pcm_hw_params_set_period_time_near(pcm, hardware, &periodTime, &direction) },
            { snd_pcm_hw_params(pcm, hardware) },
        ]
        for step in steps {
            let result = step()
            if result < 0 { return result }
        }
        var buffer: snd_pcm_uframes_t = 0
        var period: snd_pcm_uframes_t = 0
        guard snd_pcm_get_params(pcm, &buffer, &period) == 0, period > 0 else { return -EINVAL }
        var software: OpaquePointer?
        guard snd_pcm_sw_params_malloc(&software) == 0, let software else { return -ENOMEM }
        defer { snd_pcm_sw_params_free(software) }
        for step in [
            { snd_pcm_sw_params_current(pcm, software) },
            { snd_pcm_sw_params_set_start_threshold(pcm, software, buffer / period * period) },
            { snd_pcm_sw_params_set_avail_min(pcm, software, period) },
            { snd_pcm_sw_params(pcm, software) },
        ] {
            let result = step()
            if result < 0 { return result }
        }
        return 0
    }

    var state: snd_pcm_state_t { snd_pcm_state(handle) }

    /// A period in milliseconds, at least 1: the poll timeout while waiting for playback.
    var periodMilliseconds: Int32 {
        Int32(max(1, periodFrames * 1000 / max(1, format.sampleRate)))
    }

    /// Writes up to `frames` frames; returns the count written or a negative errno
    /// (`-EAGAIN` when the buffer is full).
    func write(_ samples: UnsafeBufferPointer<Int16>, fromFrame start: Int, frames: Int) -> Int {
        guard let base = samples.baseAddress else { return 0 }
        let pointer = base + start * format.channels
        return snd_pcm_writei(handle, pointer, snd_pcm_uframes_t(frames))
    }

    /// Frames still to be heard, or a negative errno (`-EPIPE` after an underrun).
    func delay() -> Int {
        var frames: snd_pcm_sframes_t = 0
        let result = snd_pcm_delay(handle, &frames)
        return result < 0 ? Int(result) : frames
    }

    /// Discards buffered frames at once; the device is in SETUP state afterwards.
    func drop() { _ = snd_pcm_drop(handle) }

    func prepare() -> Int32 { snd_pcm_prepare(handle) }

    func start() -> Int32 { snd_pcm_start(handle) }

    func resume() -> Int32 { snd_pcm_resume(handle) }

    /// alsa-lib's standard recovery for -EPIPE (underrun) and -EINTR, silently.
    func recover(_ error: Int32) -> Int32 { snd_pcm_recover(handle, error, 1) }

    /// The descriptors to poll for "room in the buffer".
    func pollDescriptors() -> [pollfd] {
        let count = Int(snd_pcm_poll_descriptors_count(handle))
        guard count > 0 else { return [] }
        var fds = [pollfd](repeating: pollfd(), count: count)
        let filled = fds.withUnsafeMutableBufferPointer {
            snd_pcm_poll_descriptors(handle, $0.baseAddress, UInt32(count))
        }
        return filled > 0 ? Array(fds.prefix(Int(filled))) : []
    }

    /// Translates raw `revents` of the PCM's descriptors into POLLOUT/POLLERR.
    func revents(_ fds: UnsafeMutableBufferPointer<pollfd>) -> Int16 {
        var events: UInt16 = 0
        guard snd_pcm_poll_descriptors_revents(handle, fds.baseAddress, UInt32(fds.count), &events) >= 0
        else { return Int16(POLLERR) }
        return Int16(bitPattern: events)
    }
}
