internal import CDBus
internal import Foundation
internal import HeraldCore
@testable internal import HeraldDBus
@testable internal import HeraldDaemon

/// libFuzzer target: a D-Bus message as it arrives from the bus, in wire
/// format. libdbus demarshals and validates it (`dbus_message_demarshal`),
/// `DBusMarshalling.read` turns the body into `DBusValue`s as the router
/// does, and the daemon's argument readers take them as its `Speak`, `Char`,
/// `Key`, `Export` and control methods would (`Speech1Arguments`). The values are
/// then written back into a new message, whose checks must refuse, never
/// abort, whatever was read. A D-Bus error is a fine answer; a trap is not.
///
/// With `HERALD_FUZZ_SEEDS=DIR` in the environment, it first writes seed
/// messages (real calls of the interface) into DIR.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDBus(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var error = CDBus.DBusError()
    dbus_error_init(&error)
    defer { dbus_error_free(&error) }
    let raw = UnsafeRawPointer(data).assumingMemoryBound(to: CChar.self)
    guard size <= Int(Int32.max), let pointer = dbus_message_demarshal(raw, Int32(size), &error) else { return 0 }
    let message = DBusMessageRef(adopting: pointer)
    _ = (message.sender, message.path, message.interface, message.member, message.errorName)
    guard let arguments = try? message.arguments() else { return 0 }
    let call = DBusMethodCall(
        sender: message.sender ?? ":1.7", path: "/org/herald/Speech1", interface: "org.herald.Speech1",
        member: message.member ?? "Speak", signature: message.signature, arguments: arguments)
    DBusArgumentReaders.take(call)
    if let copy = try? DBusMessageRef.methodCall(
        destination: "org.herald.Speech1", path: "/org/herald/Speech1", interface: "org.herald.Speech1", method: "Speak")
    {
        try? copy.append(arguments)
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzDBusInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let folder = ProcessInfo.processInfo.environment["HERALD_FUZZ_SEEDS"] { DBusSeeds.write(to: folder) }
    return 0
}

/// What the daemon's method handlers do with their arguments before anything reaches the scheduler.
enum DBusArgumentReaders {
    static let voices = [Voice(id: "espeak-ng:en", name: "English", language: "en", engine: "espeak-ng")]

    static func take(_ call: DBusMethodCall) {
        _ = try? Speech1Arguments.scope(call.string(0), sender: call.sender)
        _ = try? Speech1Arguments.priority(call.string(1))
        if let text = try? call.string(0) { try? Speech1Arguments.validate(text: text) }
        for index in 0..<3 {
            if let options = try? call.dictionary(index) { _ = try? Speech1Arguments.options(options, voices: voices) }
        }
        _ = try? call.expect(signature: "ssa{sv}")
        _ = Speech1Arguments.client(sender: call.sender, name: try? call.string(0))
        for value in call.arguments { _ = (value.signature, value.unwrapped) }
    }
}

/// Real calls, marshalled, as the corpus's starting points.
enum DBusSeeds {
    static func write(to folder: String) {
        let calls: [(String, [DBusValue])] = [
            ("Speak", [.string("Hello world."), .string("message"), .dict(keySignature: "s", valueSignature: "v", [])]),
            (
                "Speak",
                [
                    .string("<speak>Hi <mark name=\"m1\"/> there</speak>"), .string("text"),
                    .dict(
                        keySignature: "s", valueSignature: "v",
                        [
                            (.string("ssml"), .variant(.bool(true))), (.string("rate"), .variant(.int32(20))),
                            (.string("voice"), .variant(.string("espeak-ng:en"))),
                            (.string("language"), .variant(.string("en-GB"))), (.string("client"), .variant(.string("orca"))),
                        ]),
                ]
            ),
            ("Char", [.string("a"), .string("important")]),
            ("Key", [.string("shift_a"), .string("notification")]),
            ("Stop", [.string("self")]),
            ("Cancel", [.string("client:orca")]),
            ("Pause", [.string("42")]),
            ("Resume", [.string("all")]),
            ("GetStatus", []),
            ("Speak", [.array(elementSignature: "(ssss)", [.struct([.string("a"), .string("b"), .string("c"), .string("d")])])]),
        ]
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (index, (method, arguments)) in calls.enumerated() {
            guard let message = try? DBusMessageRef.methodCall(
                destination: "org.herald.Speech1", path: "/org/herald/Speech1", interface: "org.herald.Speech1", method: method)
            else { continue }
            try? message.append(arguments)
            dbus_message_set_serial(message.pointer, UInt32(index + 1))
            var bytes: UnsafeMutablePointer<CChar>?
            var length: Int32 = 0
            guard dbus_message_marshal(message.pointer, &bytes, &length) != 0, let bytes else { continue }
            let data = Data(bytes: bytes, count: Int(length))
            dbus_free(bytes)
            try? data.write(to: URL(fileURLWithPath: "\(folder)/seed-\(index)-\(method.lowercased())"))
        }
    }
}
