internal import HeraldAudio

/// Opens the configured ALSA device as the daemon's sink does, and closes it
/// at once: nothing is played and the device is not held.
enum AudioCheck {
    static func run(device: String, configPath: String, daemonRunning: Bool) async -> DoctorFinding {
        let check = "audio device"
        switch await OffPool.run({ PCMProbe.open(device) }) {
        case .opened:
            return .pass(check, "ALSA \"\(device)\" opens for 16-bit mono playback")
        case .busy(let reason):
            if daemonRunning {
                return .warning(
                    check, "ALSA \"\(device)\" is busy (\(reason)); heraldd keeps its device open once it has spoken",
                    fix: "nothing to do if Herald speaks; otherwise another program holds the device: use a shared device such as \"default\" (PulseAudio, PipeWire) in [audio] device")
            }
            return .failure(
                check, "ALSA \"\(device)\" is busy (\(reason))",
                fix: "another program holds the device; close it, or set [audio] device in \(configPath) to a shared one such as \"default\"")
        case .soundServerDown(let reason, let server):
            return .failure(check, "ALSA \"\(device)\" does not open: \(server.problem) (\(reason))", fix: server.fix)
        case .failed(let reason):
            let test = "`speaker-test -c1 -t sine -l1 -D \(device)` tests it without Herald"
            let fix =
                device == "default"
                ? "check that PulseAudio or PipeWire runs and that you may use the sound card (the audio group); \(test)"
                : "set [audio] device in \(configPath) to a PCM that `aplay -L` lists (usually \"default\"); \(test)"
            return .failure(check, "ALSA \"\(device)\" does not open: \(reason)", fix: fix)
        }
    }
}
