internal import FoundationEssentials
internal import HeraldConfig
internal import HeraldWorkersAI
#if canImport(Glibc)
internal import Glibc
#endif

/// The Workers AI account and token, read as the daemon reads them (a token
/// file others can read is refused), and where they come from. The token is
/// never printed: only its source and the file's mode are.
enum CredentialsCheck {
    static let check = "credentials"

    /// The credentials when they are usable, and what was found.
    static func run(
        _ configuration: Configuration, configPath: String, environment: [String: String]
    ) -> (WorkersAICredentials?, [DoctorFinding]) {
        let cloud = configuration.engines.filter { !$0.isOffline }
        guard !cloud.isEmpty else {
            return (nil, [.skipped(check, "not needed: the config names no cloud engine")])
        }
        let cloudflare = configuration.cloudflare
        let credentials: WorkersAICredentials
        do {
            credentials = try WorkersAICredentials.resolve(
                accountID: cloudflare.accountID, token: cloudflare.apiToken, tokenFile: cloudflare.apiTokenFile,
                environment: environment)
        } catch {
            return (nil, [.failure(check, "\(error)", fix: fix(for: error, configPath: configPath))])
        }
        var findings: [DoctorFinding] = []
        let source: String
        if let token = cloudflare.apiToken, !token.isEmpty {
            source = "api_token in \(configPath)"
            if let mode = mode(of: configPath), mode & 0o077 != 0 {
                findings.append(
                    .failure(
                        check, "\(configPath) holds api_token and other users can read it (mode \(octal(mode)))",
                        fix: "chmod 600 \(configPath), or move the token to a file of its own named by api_token_file"))
            }
        } else if let file = configuration.apiTokenFilePath(environment: environment) {
            source = "\(file) (mode \(mode(of: file).map(octal) ?? "unknown"))"
        } else {
            source = "CLOUDFLARE_API_TOKEN in this shell's environment"
            findings.append(
                .warning(
                    check, "the token comes from this shell's environment; heraldd reads its own",
                    fix: "keep the token in a file named by [cloudflare] api_token_file, or give heraldd the variable (systemctl --user edit herald.service, Environment=)"))
        }
        findings.insert(.pass(check, "account \(credentials.accountID), token from \(source)"), at: 0)
        return (findings.contains { $0.status == .failure } ? nil : credentials, findings)
    }

    private static func fix(for error: WorkersAICredentialsError, configPath: String) -> String {
        switch error {
        case .missingAccount:
            "set account_id under [cloudflare] in \(configPath) (Cloudflare dashboard → Workers AI shows it)"
        case .missingToken:
            "create a token with the Workers AI permission (dashboard → My Profile → API Tokens), save it with `install -m 600 /dev/null ~/.config/herald/token`, paste it in, and set api_token_file = \"~/.config/herald/token\" under [cloudflare]"
        case .unreadableTokenFile(let path, _):
            "check that \(path) exists, is yours and holds the token on one line; then reload the daemon: herald reload"
        case .tokenFileTooOpen(let path):
            "chmod 600 \(path), then reload the daemon (herald reload); consider replacing the token, since others could read it"
        }
    }

    private static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
