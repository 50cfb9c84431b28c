extension Duration {
    /// Whole nanoseconds, rounded down, saturating at Int64's bounds: the unit
    /// the kernel's clocks and the C timer thread count in.
    public var wholeNanoseconds: Int64 { whole(per: 1_000_000_000) }

    /// Whole milliseconds, rounded down, saturating at Int64's bounds.
    public var wholeMilliseconds: Int64 { whole(per: 1000) }

    /// This duration as a `poll(2)` timeout: milliseconds rounded up, so the
    /// wait has surely lasted the duration and a deadline is never woken for
    /// just before it comes (which would spin), clamped to `Int32`. Callers
    /// clamp a past deadline to 0 themselves: poll waits forever on -1.
    public var pollMilliseconds: Int32 {
        let down = wholeMilliseconds
        return Int32(clamping: self > .milliseconds(down) && down < .max ? down + 1 : down)
    }

    private func whole(per second: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: second)
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / second))
        if overflow || overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}
