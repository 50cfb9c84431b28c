@testable internal import HeraldConfig
internal import TOMLKit

/// libFuzzer target: the text of a config file, through
/// `Configuration.parse(_:file:)` (TOMLKit's parser, then Herald's key and
/// type checks and the line finder its errors use). A parse error is a fine
/// answer; a trap, a hang or unbounded memory is not. When the text holds a
/// token (`[cloudflare] api_token`), neither the error nor the parsed
/// configuration's description may quote it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // TOMLKit is only given what Herald would give it (see TOMLPreflight).
    let safe = (try? TOMLPreflight.check(text, file: "fuzz.toml")) != nil
    let token = safe ? (try? TOMLTable(string: text))?["cloudflare"]?.table?["api_token"]?.string : nil
    let said: String
    do {
        let configuration = try Configuration.parse(text, file: "fuzz.toml")
        said = configuration.cloudflare.description
        _ = configuration.ssipSocketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"])
        _ = configuration.apiTokenFilePath(environment: ["HOME": "/home/user"])
    } catch {
        said = error.description
    }
    if let token, token.count >= 8, said.contains(token) {
        fatalError("the configuration's message quotes the token")
    }
    return 0
}
