internal import Glibc
internal import HeraldSystem

extension Configuration {
    /// The SSIP socket heraldd listens on: `[ssip] socket` with `$VARS` and `~`
    /// expanded, else `$XDG_RUNTIME_DIR/herald/ssip.sock`. Public so that
    /// `herald doctor` looks where the daemon listens.
    public func ssipSocketPath(environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessEnvironment.current
        return ssipSocket.map { PathExpansion.expand($0, environment: environment) }
            ?? Self.defaultSSIPSocketPath(environment: environment)
    }

    /// `$XDG_RUNTIME_DIR/herald/ssip.sock`; without `XDG_RUNTIME_DIR`,
    /// `/tmp/herald-$UID/ssip.sock` (the SSIP server creates the folder 0700
    /// and refuses it if another user owns it, so nobody can stand in for the
    /// daemon).
    public static func defaultSSIPSocketPath(environment: [String: String]) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return "\(runtime)/herald/ssip.sock" }
        return "/tmp/herald-\(getuid())/ssip.sock"
    }

    /// The API token file as the credentials reader opens it (only a leading
    /// `~/` is expanded, as `WorkersAICredentials` does); nil when the config
    /// names none.
    public func apiTokenFilePath(environment: [String: String]? = nil) -> String? {
        guard let file = cloudflare.apiTokenFile, !file.isEmpty else { return nil }
        let environment = environment ?? ProcessEnvironment.current
        guard file.hasPrefix("~/"), let home = environment["HOME"] else { return file }
        return home + file.dropFirst()
    }

    /// The lexicon file: `[text] lexicon` with `$VARS` and `~` expanded, else
    /// `lexicon.toml` beside the default config file.
    public func lexiconPath(environment: [String: String]? = nil) -> (path: String, named: Bool) {
        let environment = environment ?? ProcessEnvironment.current
        if let lexicon { return (PathExpansion.expand(lexicon, environment: environment), true) }
        let config = Self.defaultPath(environment: environment)
        return (String(config.dropLast("config.toml".count)) + "lexicon.toml", false)
    }
}
