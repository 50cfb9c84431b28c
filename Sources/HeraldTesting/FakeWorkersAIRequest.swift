internal import Foundation

/// A JSON value as the fake received it, comparable in `#expect`.
public enum JSONValue: Sendable, Equatable, Decodable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    /// Tried in this order because JSONDecoder is strict: `true` is no number, `1` no Bool.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .number(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .null: "null"
        case .array(let values): "[\(values.map(\.description).joined(separator: ","))]"
        case .object(let values): "{\(values.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))}"
        }
    }
}

/// One request the fake Workers AI received, kept for assertions.
public struct FakeWorkersAIRequest: Sendable, CustomStringConvertible {
    public let method: String
    /// Path and query as sent.
    public let path: String
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as a JSON object, nil when it is not one.
    public var json: [String: JSONValue]? {
        try? JSONDecoder().decode([String: JSONValue].self, from: Data(body))
    }

    /// Never the Authorization value: a test failure prints this.
    public var description: String { "\(method) \(path) (\(body.count) bytes)" }
}
