internal import HeraldDBus

/// Spiel's pitch and rate (doubles, 1 is normal) on Herald's −100…100 scales.
///
/// Rate: Herald's scale is espeak-ng's (−100 is 80 words a minute, 0 is 175,
/// 100 is 450), so a Spiel rate is mapped to the same speed factor: 0.5 is
/// half of 175 words a minute. Beyond what the engine can do (below about
/// 0.46 or above about 2.57) the rate stays at the engine's limit.
/// Pitch: linear, 0 → −100, 1 → 0, 2 → 100.
enum SpielProsody {
    static let rates: ClosedRange<Double> = 0.1...10
    static let pitches: ClosedRange<Double> = 0...2

    static func rate(_ rate: Double) throws(DBusError) -> Int {
        guard rates.contains(rate) else {
            throw SpielError.invalid("The rate is \(rate); it must be from 0.1 to 10 (1 is normal).")
        }
        let wordsPerMinute = 175 * rate
        let level = wordsPerMinute < 175 ? (wordsPerMinute - 175) * 100 / 95 : (wordsPerMinute - 175) * 100 / 275
        return min(100, max(-100, Int(level.rounded())))
    }

    static func pitch(_ pitch: Double) throws(DBusError) -> Int {
        guard pitches.contains(pitch) else {
            throw SpielError.invalid("The pitch is \(pitch); it must be from 0 to 2 (1 is normal).")
        }
        return Int(((pitch - 1) * 100).rounded())
    }
}
