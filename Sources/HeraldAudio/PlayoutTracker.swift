/// Decides when the audio written to a PCM has been heard, from what
/// `snd_pcm_delay` reports over time rather than only from it reaching 0.
///
/// A delay of `d` frames seen at time `t` means the written audio ends by
/// `t + d / rate` while the device plays. Sound servers do not always let the
/// delay reach 0 once a stream runs dry: through ALSA's pulse plugin on
/// pipewire-pulse (0.3.65 measured here) it freezes at 15–182 frames and the
/// stream stays RUNNING; through pipewire-alsa it climbs from 0 to about
/// 60 frames and falls back, over and over, reaching 0 only by chance. So the
/// tracker keeps the end that the last real progress (a falling delay)
/// promised, and calls the audio played out once that end has passed by a
/// margin while the delay is below the buffer. A delay at or above the buffer
/// that does not fall is a device that stopped taking audio: after
/// `stallTimeout` that is a stall, as before.
///
/// Pure and clock-free (instants come in), so the rule is unit-tested apart
/// from ALSA.
struct PlayoutTracker {
    enum Verdict: Equatable {
        /// Still playing: look again in at most this long.
        case playing(checkAgainIn: Duration)
        /// Everything written has been heard.
        case playedOut
        /// No progress for `stallTimeout` with a delay at or above the buffer.
        case stalled
    }

    /// Past the promised end, how long a delay below the buffer may stay
    /// before the audio counts as played. Covers a server that reports the
    /// delay in steps (a PipeWire quantum is about 21 ms) while the end stays
    /// within 50 ms of the audio's real end.
    static let margin: Duration = .milliseconds(20)

    let sampleRate: Int
    let bufferFrames: Int
    let stallTimeout: Duration

    private var lastDelay = Int.max
    private var lastProgress: ContinuousClock.Instant?
    /// When the audio written should have been heard, by the last progress seen.
    private var promisedEnd: ContinuousClock.Instant?

    init(sampleRate: Int, bufferFrames: Int, stallTimeout: Duration) {
        self.sampleRate = max(1, sampleRate)
        self.bufferFrames = bufferFrames
        self.stallTimeout = stallTimeout
    }

    /// The audio `frames` stand for at the device's rate.
    func duration(ofFrames frames: Int) -> Duration {
        .microseconds(Int64(frames) * 1_000_000 / Int64(sampleRate))
    }

    /// Takes one reading of the delay (frames still to be heard) at `now`.
    mutating func observe(delay: Int, at now: ContinuousClock.Instant) -> Verdict {
        guard delay > 0 else { return .playedOut }
        if promisedEnd == nil || delay < lastDelay {
            // The first reading, or the device consumed audio: the end moves to
            // what this reading promises (later than before after a pause).
            lastDelay = delay
            lastProgress = now
            promisedEnd = now + duration(ofFrames: delay)
        } else {
            // A delay that stays or grows is no progress, and never postpones the end.
            lastDelay = min(lastDelay, delay)
        }
        if delay < bufferFrames, let promisedEnd, now >= promisedEnd + Self.margin {
            return .playedOut
        }
        if let lastProgress, now - lastProgress > stallTimeout {
            return .stalled
        }
        let untilEnd = (promisedEnd ?? now) + Self.margin - now
        return .playing(checkAgainIn: max(.milliseconds(1), untilEnd))
    }
}
