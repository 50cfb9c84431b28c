internal import Glibc

/// Herald's one mapping from the −100…100 rate, pitch and volume levels to
/// what a listener hears, shared by the sonic stage (engines without their
/// own controls), the Spiel provider and, in C, the espeak-ng helper.
///
/// The levels follow espeak-ng, so that `RATE 60` sounds as fast on a cloud
/// voice as on the offline one:
/// - rate: words a minute as espeak-ng is asked for them (−100 is 80, its
///   slowest; 0 is 175, its normal; 100 is 525, linear on each side) over its
///   normal 175, so 100 is three times as fast, the pace screen-reader users
///   work at, and −100 is 0.46 times. espeak-ng itself speeds speech beyond
///   450 words a minute with libsonic, as the stage does for the cloud voices;
/// - pitch: espeak-ng's own pitch table, 2^(level/100): ±100 is an octave up
///   or down, +50 is half an octave (1.41);
/// - volume: linear amplitude, (level + 100) / 200: 100, Speech Dispatcher's
///   default, is unity; 0 is half (−6 dB); −100 is silent
///   (espeak-ng's volume is linear in amplitude too).
public enum Prosody {
    /// espeak-ng's words a minute at rate 0.
    public static let normalWordsPerMinute = 175.0

    /// Words a minute at `rate` (−100…100), as espeak-ng is asked for them.
    public static func wordsPerMinute(rate: Int) -> Double {
        let rate = Double(VoiceSettings.clamp(rate))
        return rate < 0 ? 175 + rate * 95 / 100 : 175 + rate * 350 / 100
    }

    /// How many times faster than normal speech runs at `rate`; pitch is unchanged.
    public static func speed(rate: Int) -> Double { wordsPerMinute(rate: rate) / normalWordsPerMinute }

    /// The factor on the voice's frequencies at `pitch`; duration is unchanged.
    public static func pitchFactor(pitch: Int) -> Double {
        exp2(Double(VoiceSettings.clamp(pitch)) / 100)
    }

    /// The factor on sample values at `volume`.
    public static func gain(volume: Int) -> Double { Double(VoiceSettings.clamp(volume) + 100) / 200 }

    /// The rate level whose speed factor is nearest `speed`, pinned to −100…100.
    public static func rate(speed: Double) -> Int {
        let wordsPerMinute = normalWordsPerMinute * speed
        let level = wordsPerMinute < 175 ? (wordsPerMinute - 175) * 100 / 95 : (wordsPerMinute - 175) * 100 / 350
        return VoiceSettings.clamp(Int(level.rounded()))
    }

    /// The pitch level whose factor is nearest `factor`, pinned to −100…100 (0 or less is −100).
    public static func pitch(factor: Double) -> Int {
        guard factor > 0 else { return -100 }
        return VoiceSettings.clamp(Int((log2(factor) * 100).rounded()))
    }

    /// True when `settings` ask for normal rate, pitch and volume: audio passes untouched.
    public static func isNeutral(_ settings: VoiceSettings) -> Bool {
        settings.rate == 0 && settings.pitch == 0 && settings.volume == 100
    }
}

extension VoiceSettings {
    /// These settings at normal rate, pitch and volume: what an engine without
    /// its own controls is asked for, and what its cached audio is keyed by.
    public var withNeutralProsody: VoiceSettings {
        var settings = self
        settings.rate = 0
        settings.pitch = 0
        settings.volume = 100
        return settings
    }
}
