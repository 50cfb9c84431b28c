internal import HeraldCore
internal import HeraldDBus

/// The `engines` entry of `GetStatus`: what the chain knows of each engine, so
/// that `herald doctor` (or any client) can tell a resting or disabled engine
/// without reading the daemon's log.
///
/// The last error is `EngineError.message`, which the engines write without
/// the spoken text or the token (cloud messages are redacted of both).
enum EngineHealthStatus {
    /// `a(ssus)`: name, state (`ready`, `resting`, `disabled`), seconds left to
    /// rest, last error ("" when none).
    static let signature = "(ssus)"

    static func value(_ status: [EngineChain.Health], now: ContinuousClock.Instant = .now) -> DBusValue {
        .array(elementSignature: signature, status.map { entry($0, now: now) })
    }

    static func entry(_ health: EngineChain.Health, now: ContinuousClock.Instant) -> DBusValue {
        let state: String
        var seconds: UInt32 = 0
        switch health.state {
        case .ready:
            state = "ready"
        case .coolingDown(let until) where until > now:
            state = "resting"
            // Rounded up: a rest of 0.4 s left is still a rest.
            let left = until - now
            seconds = UInt32(clamping: left.components.seconds + (left.components.attoseconds > 0 ? 1 : 0))
        case .coolingDown:
            state = "ready"
        case .disabled:
            state = "disabled"
        }
        return .struct([.string(health.engine), .string(state), .uint32(seconds), .string(health.lastError?.message ?? "")])
    }
}
