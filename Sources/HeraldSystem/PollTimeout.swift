extension Duration {
    /// This duration as `poll(2)`'s timeout: whole milliseconds, rounded down,
    /// clamped to `Int32` (negative stays negative: poll waits forever on -1).
    /// Callers that must not wake before the duration has passed add 1.
    public var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
