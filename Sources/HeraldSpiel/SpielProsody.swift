internal import HeraldCore
internal import HeraldDBus

/// Spiel's pitch and rate (doubles, 1 is normal) on Herald's −100…100 scales,
/// through `Prosody`, the mapping every engine uses: a Spiel rate is a speed
/// factor (0.5 is half of espeak-ng's 175 words a minute) and a Spiel pitch a
/// frequency factor (2 is an octave up), each mapped to the level that gives
/// it. Beyond what the scales reach (a speed below about 0.46 or above 3; a
/// pitch below 0.5 or above 2) the level stays at its edge.
enum SpielProsody {
    static let rates: ClosedRange<Double> = 0.1...10
    static let pitches: ClosedRange<Double> = 0...2

    static func rate(_ rate: Double) throws(DBusError) -> Int {
        guard rates.contains(rate) else {
            throw SpielError.invalid("The rate is \(rate); it must be from 0.1 to 10 (1 is normal).")
        }
        return Prosody.rate(speed: rate)
    }

    static func pitch(_ pitch: Double) throws(DBusError) -> Int {
        guard pitches.contains(pitch) else {
            throw SpielError.invalid("The pitch is \(pitch); it must be from 0 to 2 (1 is normal).")
        }
        return Prosody.pitch(factor: pitch)
    }
}
