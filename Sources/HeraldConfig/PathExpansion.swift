/// Config paths may be written as the README and packaging/config.toml.example show them
/// (`$XDG_RUNTIME_DIR/herald/ssip.sock`, `~/.config/herald/token`).
enum PathExpansion {
    /// Expands a leading `~` and `$NAME` / `${NAME}` from `environment`;
    /// an unset variable expands to nothing, as in a shell.
    static func expand(_ path: String, environment: [String: String]) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] {
            path = home + path.dropFirst()
        }
        var result = ""
        var rest = Substring(path)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            var name = rest[rest.index(after: dollar)...]
            let braced = name.first == "{"
            if braced { name = name.dropFirst() }
            let end = name.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? name.endIndex
            let variable = String(name[..<end])
            var after = name[end...]
            if braced, after.first == "}" { after = after.dropFirst() }
            if variable.isEmpty { result += "$" } else { result += environment[variable] ?? "" }
            rest = after
        }
        return result + rest
    }
}
