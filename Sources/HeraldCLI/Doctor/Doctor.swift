internal import FoundationEssentials
internal import Glibc
internal import HeraldConfig

/// Runs every check of `herald doctor` in the order a reader fixes things:
/// config, bus and daemon, sound, voices, credentials, the daemon's view of
/// its engines, clipboard, SSIP. Starts nothing and plays nothing.
struct Doctor {
    var offline: Bool
    var configPath: String?
    var environment: [String: String]

    func run(into report: inout DoctorReport) async {
        // The daemon first: without --config, the file to check is the one it reads.
        let daemon = await DaemonCheck.run()
        let daemonConfig = daemon.running?.status["config"]?.unwrapped.string
        let (configuration, configFinding) = ConfigCheck.run(path: configPath, daemonPath: daemonConfig, environment: environment)
        let shownConfig = configPath ?? daemonConfig ?? Configuration.defaultPath(environment: environment)
        report.add(configFinding)
        for finding in daemon.findings { report.add(finding) }
        let running = daemon.running != nil

        report.add(await AudioCheck.run(device: configuration.audioDevice, configPath: shownConfig, daemonRunning: running))
        report.add(await EspeakCheck.run())

        let (credentials, credentialFindings) = CredentialsCheck.run(configuration, configPath: shownConfig, environment: environment)
        for finding in credentialFindings { report.add(finding) }
        if let credentials {
            if offline {
                report.add(.skipped(WorkersAIProbe.check, "not asked whether it accepts the token (--offline)"))
            } else {
                report.add(await WorkersAIProbe.run(configuration, credentials: credentials, configPath: shownConfig))
            }
        }

        for finding in EngineHealthCheck.run(status: daemon.running?.status, configuration: configuration) { report.add(finding) }
        report.add(ClipboardCheck.run(environment: environment))
        report.add(
            SSIPSocketCheck.run(
                path: configuration.ssipSocketPath(environment: environment), daemonRunning: running, configPath: shownConfig))
        await daemon.connection?.close()
    }
}
