internal import CHeraldSystem

/// What heraldd does to its own process so the secrets it holds stay in it.
public enum ProcessHardening {
    /// Keeps the API token and the text being spoken out of core files and
    /// away from other processes of the same user (debuggers, `/proc/PID/mem`),
    /// as ssh-agent and gpg-agent do. The cost is that a crash leaves no core
    /// file and a debugger must run as root. True when it took.
    @discardableResult
    public static func forbidCoreDumps() -> Bool {
        herald_forbid_core_dumps() == 0
    }
}
