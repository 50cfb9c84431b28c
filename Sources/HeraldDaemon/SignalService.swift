internal import Glibc
internal import HeraldSystem
internal import Logging
internal import ServiceLifecycle

/// Reloads at each SIGHUP and ends at the first SIGTERM or SIGINT, which shuts
/// the service group down gracefully: what the group's own
/// `gracefulShutdownSignals` would do, from signals that were blocked since
/// the first line of `main`. A SIGHUP that came while the daemon was starting,
/// or during a reload, is read when this gets to it: queued, never lost.
struct SignalService: Service, CustomStringConvertible {
    let signals: DaemonSignals
    let reloader: Reloader
    let logger: Logger

    var description: String { "SignalService" }

    func run() async {
        for await signal in signals.arrivals.cancelOnGracefulShutdown() {
            if signal == SIGHUP {
                // A refusal is logged by the reloader; the daemon serves on as it was.
                try? await reloader.reload(trigger: "SIGHUP")
                continue
            }
            logger.info("shutting down", metadata: ["herald.signal": "\(String(cString: strsignal(signal)))"])
            return
        }
    }
}
