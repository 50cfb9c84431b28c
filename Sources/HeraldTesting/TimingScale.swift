internal import Foundation

/// How much longer a timing bound may be in this run: 1 normally, more under
/// a sanitizer (`.ci/sanitizers` sets `HERALD_SANITIZER`).
///
/// ThreadSanitizer makes Herald's code, and every `heraldd` a test starts,
/// several times slower (each memory access is checked); AddressSanitizer
/// about twice. A test that measures time multiplies only its time bounds by
/// this factor (`.milliseconds(50).timingScaled`); what it asserts otherwise
/// (order, counts, what is heard, that a stop acts at all) stays the same.
public enum TimingScale {
    /// The sanitizer this run is under (`address`, `thread`), or nil.
    public static let sanitizer: String? = ProcessInfo.processInfo.environment["HERALD_SANITIZER"]

    /// The factor time bounds are multiplied by.
    public static let factor: Int =
        switch sanitizer {
        case nil, "": 1
        case "address": 2
        default: 5
        }

    /// The factor bounds on memory growth are multiplied by: AddressSanitizer
    /// keeps up to 256 MiB of freed memory in quarantine before reusing it, and
    /// ThreadSanitizer shadows every byte the program touches, so growth that
    /// is flat without them climbs with them. Such bounds check for leaks in
    /// the normal run; under a sanitizer they only catch a runaway.
    public static let memoryFactor: Int = sanitizer?.isEmpty == false ? 8 : 1
}

extension Duration {
    /// This bound multiplied by `TimingScale.factor`.
    public var timingScaled: Duration { self * TimingScale.factor }
}
