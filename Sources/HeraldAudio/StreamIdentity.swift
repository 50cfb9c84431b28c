internal import Glibc

/// How Herald's audio stream introduces itself to the sound server, so that a
/// person finds "Herald" in pavucontrol or `wpctl status` and the desktop's
/// role policies (ducking music under speech, routing accessibility audio)
/// can act on it.
///
/// heraldd plays through ALSA, and ALSA's plugins take these properties only
/// from the environment, read when the PCM opens:
/// - the pulse plugin (PulseAudio, or pipewire-pulse) names its client
///   "ALSA plug-in [heraldd]" itself; libpulse adds `PULSE_PROP` to the
///   client's properties (the stream inherits them) and lets
///   `PULSE_PROP_OVERRIDE` replace the name;
/// - pipewire-alsa reads `PIPEWIRE_ALSA` for its node and client.
/// What the user set in these variables is kept as it is.
public enum StreamIdentity {
    public static let applicationName = "Herald"
    /// Herald's reverse-DNS id, as its D-Bus name.
    public static let applicationID = "org.herald.Herald"
    /// A freedesktop icon every icon theme has.
    public static let iconName = "preferences-desktop-accessibility"

    /// The variables to set for `environment`: each one the user has not set.
    public static func variables(for environment: [String: String]) -> [String: String] {
        let wanted = [
            // PulseAudio's name for the accessibility role.
            "PULSE_PROP": "media.role=a11y application.id=\(applicationID) application.icon_name=\(iconName)",
            "PULSE_PROP_OVERRIDE": "application.name=\(applicationName)",
            // PipeWire's.
            "PIPEWIRE_ALSA": """
                { application.name = "\(applicationName)" application.id = "\(applicationID)" \
                application.icon-name = "\(iconName)" node.name = "\(applicationName)" \
                node.description = "\(applicationName) speech" media.role = "Accessibility" }
                """,
        ]
        return wanted.filter { environment[$0.key] == nil }
    }

    /// Sets the variables in this process's environment. Call from `main`
    /// while it is the only thread: `setenv` is not safe beside threads that
    /// read the environment, and the PCM must not have opened yet.
    public static func export(from environment: [String: String]) {
        for (name, value) in variables(for: environment) { setenv(name, value, 0) }
    }
}
