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

    /// False under a sanitizer, where bounds on memory growth mean nothing:
    /// AddressSanitizer keeps up to 256 MiB of freed memory in quarantine
    /// before reusing it (the soak test alone grew 315 MiB under it), and
    /// ThreadSanitizer shadows every byte the program touches. Tests print the
    /// growth then and check it only in the normal run, where it finds leaks.
    public static let memoryBoundsHold: Bool = sanitizer?.isEmpty ?? true
}

extension Duration {
    /// This bound multiplied by `TimingScale.factor`.
    public var timingScaled: Duration { self * TimingScale.factor }
}
