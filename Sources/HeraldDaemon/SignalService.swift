internal import Glibc
internal import HeraldSystem
internal import Logging
internal import ServiceLifecycle

/// Ends at the first SIGTERM or SIGINT, which shuts the service group down
/// gracefully: what the group's own `gracefulShutdownSignals` would do, from
/// signals that were blocked since the first line of `main`.
struct SignalService: Service, CustomStringConvertible {
    let signals: ShutdownSignals
    let logger: Logger

    var description: String { "SignalService" }

    func run() async {
        for await signal in signals.arrivals.cancelOnGracefulShutdown() {
            logger.info("shutting down", metadata: ["herald.signal": "\(String(cString: strsignal(signal)))"])
            return
        }
    }
}
