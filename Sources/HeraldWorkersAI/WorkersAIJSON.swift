internal import FoundationEssentials

/// The JSON Herald sends to Workers AI, with its keys sorted so that a request
/// is the same bytes every time (the tests compare what the fake received).
///
/// FoundationEssentials' `JSONEncoder` rather than Foundation's
/// `JSONSerialization`: heraldd links only FoundationEssentials, which keeps
/// Foundation's CoreFoundation and ICU out of the daemon.
enum WorkersAIJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding strings, numbers and optionals cannot fail.
        return (try? Array(encoder.encode(value))) ?? []
    }
}
