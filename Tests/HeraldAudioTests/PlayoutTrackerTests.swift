import Testing

@testable import HeraldAudio

/// The end-of-playback rule on the delay patterns measured on real sound
/// servers, replayed at 5 ms steps (the sink's poll interval on a server's plugin).
struct PlayoutTrackerTests {
    let start = ContinuousClock.now
    /// 20 ms at 24 kHz, as the pulse plugin grants Herald.
    let tracker = PlayoutTracker(sampleRate: 24_000, bufferFrames: 480, stallTimeout: .seconds(5))

    /// Feeds `delays` 5 ms apart; the step (and its time) of the first verdict other than playing.
    func replay(_ delays: [Int]) -> (step: Int, at: Duration, verdict: PlayoutTracker.Verdict)? {
        var tracker = tracker
        for (step, delay) in delays.enumerated() {
            let at = Duration.milliseconds(5 * step)
            let verdict = tracker.observe(delay: delay, at: start + at)
            if case .playing = verdict { continue }
            return (step, at, verdict)
        }
        return nil
    }

    @Test func aDelayThatReachesZeroIsPlayedOutAtOnce() {
        let end = replay([528, 406, 285, 163, 41, 0])
        #expect(end?.verdict == .playedOut)
        #expect(end?.step == 5)
    }

    /// pipewire-pulse 0.3.65: the delay falls to 19 frames and stays there, RUNNING, for ever.
    @Test func aDelayFrozenBelowTheBufferEndsJustAfterItsAudio() throws {
        let end = try #require(replay([528, 406, 285, 163, 41, 19] + Array(repeating: 19, count: 1000)))
        #expect(end.verdict == .playedOut)
        // 19 frames are 0.8 ms of audio from 25 ms on: played out within the 20 ms margin and a step.
        print("frozen delay: played out at \(end.at)")
        #expect(end.at >= .milliseconds(45) && end.at <= .milliseconds(55))
    }

    /// pipewire-alsa 0.3.65: the delay climbs from a few frames to about 60 and falls back, over and over.
    @Test func aDelayThatWobblesBelowTheBufferEndsJustAfterItsAudio() throws {
        let wobble = [4, 10, 15, 21, 27, 32, 38, 44, 49, 55, 59, 63]
        let end = try #require(replay([541, 418, 296, 174, 51, 25, 31, 36, 42, 48, 53, 58, 63] + Array(repeating: wobble, count: 50).joined()))
        #expect(end.verdict == .playedOut)
        print("wobbling delay: played out at \(end.at)")
        #expect(end.at <= .milliseconds(100))
    }

    @Test func aDelayThatKeepsFallingKeepsPlaying() {
        // 2 s of audio queued beyond the buffer (a server's own queue), consumed in real time.
        let delays = stride(from: 48_000, to: 0, by: -120).map { $0 }
        let end = replay(delays)
        #expect(end == nil)
    }

    @Test func aDelayStuckAtTheBufferIsAStallAfterTheTimeout() throws {
        let end = try #require(replay([480, 480, 600] + Array(repeating: 600, count: 1100)))
        #expect(end.verdict == .stalled)
        #expect(end.at > .seconds(5) && end.at < .milliseconds(5100))
    }

    @Test func aPauseInTheMiddlePostponesTheEnd() throws {
        // Falls to 300 frames (12.5 ms), holds at 300 well past that only while at
        // or above the buffer would it count; below the buffer it ends 20 ms late.
        var tracker = tracker
        #expect(tracker.observe(delay: 900, at: start) != .playedOut)
        #expect(tracker.observe(delay: 700, at: start + .milliseconds(5)) != .playedOut)
        // 700 frames promise the end at 5 + 29 ms; stuck at 700 (above the buffer) is not the end.
        #expect(tracker.observe(delay: 700, at: start + .milliseconds(200)) != .playedOut)
        // Progress again at 300 ms: the end moves to 300 + 12.5 ms.
        #expect(tracker.observe(delay: 300, at: start + .milliseconds(300)) != .playedOut)
        #expect(tracker.observe(delay: 300, at: start + .milliseconds(320)) != .playedOut)
        #expect(tracker.observe(delay: 300, at: start + .milliseconds(335)) == .playedOut)
    }
}
