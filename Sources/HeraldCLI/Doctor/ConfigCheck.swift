internal import FoundationEssentials
internal import Glibc
internal import HeraldConfig

/// Reads the config the way heraldd does, so a file the daemon would refuse is
/// reported with the file, line and key before anyone restarts it.
enum ConfigCheck {
    /// The configuration the other checks use (the defaults when the file is
    /// missing or broken), and the finding.
    /// - Parameters:
    ///   - explicit: `--config`; without it, the file the running daemon reads
    ///     (`daemonPath`, from its status), else the default path.
    static func run(
        path explicit: String?, daemonPath: String?, environment: [String: String]
    ) -> (Configuration, DoctorFinding) {
        let path = explicit ?? daemonPath ?? Configuration.defaultPath(environment: environment)
        // Which file was checked, and why that one.
        let origin = explicit != nil ? "" : daemonPath != nil ? " (the running daemon's)" : " (the default; no daemon runs)"
        if explicit == nil, !FileManager.default.fileExists(atPath: path) {
            return (
                Configuration(),
                .pass("config", "none at \(path)\(origin): defaults (espeak-ng on ALSA \"default\")")
            )
        }
        do {
            let configuration = try Configuration.load(path: path)
            let engines = configuration.engines.map(\.model).joined(separator: ", ")
            return (configuration, .pass("config", "\(path)\(origin) parses; engines in fallback order: \(engines)"))
        } catch {
            return (
                Configuration(),
                .failure(
                    "config", "\(error)",
                    fix: "fix that line (README, Configuration; packaging/config.toml.example shows every key): heraldd refuses to start or reload with this file. The checks below use the defaults.")
            )
        }
    }
}
