internal import Foundation
public import HeraldDBus
#if canImport(FoundationXML)
    internal import FoundationXML
#endif

/// One D-Bus interface as a contract: its methods' argument types, its
/// signals' and its properties' types, read from the interface XML in `dbus/`
/// or from what a service exports, so a test can say the two agree.
public struct InterfaceContract: Equatable, CustomStringConvertible {
    /// Method name → (in, out) signatures, the arguments' types in order.
    public var methods: [String: Signatures] = [:]
    /// Signal name → its arguments' types in order.
    public var signals: [String: String] = [:]
    /// Property name → type and access (`read`, `readwrite`).
    public var properties: [String: String] = [:]

    public struct Signatures: Equatable, CustomStringConvertible {
        public var input: String
        public var output: String
        public init(input: String, output: String) {
            self.input = input
            self.output = output
        }
        public var description: String { "(\(input)) → (\(output))" }
    }

    public init() {}

    public var description: String {
        let lines =
            methods.sorted { $0.key < $1.key }.map { "method \($0.key)\($0.value)" }
            + signals.sorted { $0.key < $1.key }.map { "signal \($0.key)(\($0.value))" }
            + properties.sorted { $0.key < $1.key }.map { "property \($0.key) \($0.value)" }
        return lines.joined(separator: "\n")
    }

    /// What `interface` exports on `object`, with the signals the service
    /// sends (the D-Bus layer has no table of them). A method without a
    /// declared signature shows as `?`, which no XML has.
    public init(exported object: DBusObject, interface: String, signals: [String: String]) throws {
        guard let exported = object.interfaces.first(where: { $0.name == interface }) else {
            throw ContractError(description: "\(object.path) exports no \(interface)")
        }
        for (name, method) in exported.methods {
            methods[name] = Signatures(input: method.inputSignature ?? "?", output: method.outputSignature ?? "?")
        }
        for (name, property) in exported.properties {
            properties[name] = property.signature + (property.isWritable ? " readwrite" : " read")
        }
        self.signals = signals
    }

    /// The interface in `dbus/NAME.xml` of this package, found upwards from
    /// the calling test's own file: the XML clients read.
    public init(dbusFile name: String, callerFile: String = #filePath) throws {
        var folder = URL(fileURLWithPath: callerFile).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            guard folder.path != "/" else { throw ContractError(description: "no Package.swift above \(callerFile)") }
            folder = folder.deletingLastPathComponent()
        }
        try self.init(xmlAt: folder.appendingPathComponent("dbus/\(name).xml").path, interface: name)
    }

    /// The interface named `interface` in the XML file at `path`.
    public init(xmlAt path: String, interface: String) throws {
        let reader = Reader(interface: interface)
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = reader
        guard parser.parse() else {
            throw ContractError(description: "\(path) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")")
        }
        guard reader.found else { throw ContractError(description: "\(path) has no interface \(interface)") }
        self = reader.contract
    }

    public struct ContractError: Error, CustomStringConvertible {
        public let description: String
    }

    private final class Reader: NSObject, XMLParserDelegate {
        let interface: String
        var contract = InterfaceContract()
        var found = false
        private var inside = false
        private var member: (kind: String, name: String)?
        private var input = "", output = ""

        init(interface: String) { self.interface = interface }

        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch element {
            case "interface":
                inside = attributes["name"] == interface
                found = found || inside
            case "method" where inside, "signal" where inside:
                member = (element, attributes["name"] ?? "")
                (input, output) = ("", "")
            case "arg" where inside && member != nil:
                let type = attributes["type"] ?? ""
                // A signal's arguments are all out; a method's default to in.
                if member?.kind == "method", attributes["direction"] != "out" { input += type } else { output += type }
            case "property" where inside:
                contract.properties[attributes["name"] ?? ""] = "\(attributes["type"] ?? "") \(attributes["access"] ?? "")"
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            switch element {
            case "interface": inside = false
            case "method" where inside:
                if let member { contract.methods[member.name] = Signatures(input: input, output: output) }
                member = nil
            case "signal" where inside:
                if let member { contract.signals[member.name] = output }
                member = nil
            default: break
            }
        }
    }
}
