internal import CDBus
internal import Logging
internal import HeraldSystem

/// Routes incoming method calls to exported objects and answers the standard
/// interfaces (`Introspectable`, `Properties`, `Peer`) itself.
///
/// `route` runs on the dispatch thread and never waits: it answers what it can
/// at once (unknown object, method or types; introspection; ping) and hands
/// handler work to `DBusCallQueues`, whose tasks send the replies.
final class DBusObjectRouter: Sendable {
    static let introspectable = "org.freedesktop.DBus.Introspectable"
    static let properties = "org.freedesktop.DBus.Properties"
    static let peer = "org.freedesktop.DBus.Peer"

    private let objects = Locked<[String: DBusObject]>([:])
    private let queues = DBusCallQueues()
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func export(_ object: DBusObject) throws(DBusError) {
        try object.validate()
        let added = objects.withLock { objects -> Bool in
            guard objects[object.path] == nil else { return false }
            objects[object.path] = object
            return true
        }
        guard added else {
            throw DBusError(
                name: DBusError.Names.objectPathInUse,
                message: "An object is already exported at \(object.path); unexport it first.")
        }
    }

    func unexport(path: String) {
        _ = objects.withLock { $0.removeValue(forKey: path) }
    }

    func unexportAll() {
        objects.withLock { $0.removeAll() }
    }

    // MARK: Routing (dispatch thread)

    func route(_ message: DBusMessageRef, loop: DBusDispatchLoop) {
        let path = message.path ?? "/"
        let member = message.member ?? ""
        let (object, children) = objects.withLock { objects in
            (objects[path], Self.children(of: path, among: objects.keys))
        }
        func replyNow(_ values: [DBusValue]) {
            guard message.expectsReply else { return }
            do {
                loop.send(try message.methodReturn(values))
            } catch {
                replyNow(error)
            }
        }
        func replyNow(_ error: DBusError) {
            guard message.expectsReply, let reply = message.errorReply(error) else { return }
            loop.send(reply)
        }

        let interface: String
        if let named = message.interface {
            interface = named
        } else if let owner = object?.interfaces.first(where: { $0.methods[member] != nil }) {
            interface = owner.name
        } else if let builtin = Self.builtinInterface(for: member) {
            interface = builtin
        } else {
            replyNow(.unknownMethod("No method \(member) on object \(path)."))
            return
        }

        switch interface {
        case Self.introspectable:
            guard member == "Introspect" else {
                replyNow(.unknownMethod("\(interface) has no method \(member)."))
                return
            }
            guard object != nil || !children.isEmpty else {
                replyNow(DBusError(name: DBusError.Names.unknownObject, message: "No object at path \(path)."))
                return
            }
            replyNow([.string(object?.introspectionXML ?? Self.generatedXML(for: object, children: children))])
            return
        case Self.peer:
            // libdbus answers Peer itself when the interface is named; this covers calls without one.
            switch member {
            case "Ping": replyNow([])
            case "GetMachineId": replyNow([.string(Self.machineID())])
            default: replyNow(.unknownMethod("\(interface) has no method \(member)."))
            }
            return
        default:
            break
        }

        guard let object else {
            replyNow(DBusError(name: DBusError.Names.unknownObject, message: "No object at path \(path)."))
            return
        }
        let arguments: [DBusValue]
        do {
            arguments = try message.arguments()
        } catch {
            replyNow(error)
            return
        }
        let call = DBusMethodCall(
            sender: message.sender ?? "", path: path, interface: interface, member: member,
            signature: message.signature, arguments: arguments)

        if interface == Self.properties {
            queues.enqueue(sender: call.sender) { [self] in
                let result = await handleProperties(call, on: object)
                reply(to: message, with: result, expecting: nil, loop: loop)
            }
            return
        }
        guard let owner = object.interfaces.first(where: { $0.name == interface }) else {
            replyNow(.unknownMethod("No interface \(interface) on object \(path)."))
            return
        }
        guard let method = owner.methods[member] else {
            replyNow(.unknownMethod("No method \(member) in interface \(interface) on object \(path)."))
            return
        }
        if let expected = method.inputSignature, expected != call.signature {
            replyNow(method.refusal?(call) ?? .invalidArgs("\(interface).\(member) expects arguments (\(expected)), got (\(call.signature))."))
            return
        }
        let run: @Sendable () async -> Void = { [self] in
            let result: Result<[DBusValue], DBusError>
            do throws(DBusError) {
                result = .success(try await method.handler(call))
            } catch {
                result = .failure(error)
            }
            reply(to: message, with: result, expecting: method.outputSignature, loop: loop)
        }
        if method.isConcurrent {
            queues.enqueue(sender: call.sender) { Task { await run() } }
        } else {
            queues.enqueue(sender: call.sender, run)
        }
    }

    /// Turns a handler's outcome into the reply; a reply that cannot be built
    /// (a handler bug) becomes `Failed` so the caller is never left waiting.
    private func reply(
        to call: DBusMessageRef,
        with result: Result<[DBusValue], DBusError>,
        expecting outputSignature: String?,
        loop: DBusDispatchLoop
    ) {
        guard call.expectsReply else { return }
        let member = call.member ?? ""
        var outcome = result
        if case .success(let values) = result {
            if let outputSignature, DBusValue.signature(of: values) != outputSignature {
                logger.error(
                    "A D-Bus method handler returned the wrong types",
                    metadata: [
                        "herald.dbus.member": "\(member)", "herald.dbus.expected": "\(outputSignature)",
                        "herald.dbus.returned": "\(DBusValue.signature(of: values))",
                    ])
                outcome = .failure(.failed("\(member) failed internally (its reply had the wrong types)."))
            } else if values.contains(where: { $0.signature.contains("h") }), !loop.canPassUnixFDs {
                outcome = .failure(.failed("\(member) returns a file descriptor, which this connection cannot pass."))
            }
        }
        switch outcome {
        case .success(let values):
            do {
                loop.send(try call.methodReturn(values))
                return
            } catch {
                logger.error(
                    "Could not encode a D-Bus reply",
                    metadata: ["herald.dbus.member": "\(member)", "herald.dbus.error": "\(error)"])
                if let reply = call.errorReply(.failed("\(member) failed internally: \(error.message)")) {
                    loop.send(reply)
                }
            }
        case .failure(let error):
            if let reply = call.errorReply(error) { loop.send(reply) }
        }
    }

    // MARK: org.freedesktop.DBus.Properties

    private func handleProperties(_ call: DBusMethodCall, on object: DBusObject) async -> Result<[DBusValue], DBusError> {
        do throws(DBusError) {
            switch call.member {
            case "Get":
                try call.expect(signature: "ss")
                let (name, property) = try Self.property(call, on: object)
                let value = try await property.get()
                guard value.signature == property.signature else {
                    throw DBusError.failed("Property \(name) produced \(value.signature) instead of \(property.signature).")
                }
                return .success([.variant(value)])
            case "GetAll":
                try call.expect(signature: "s")
                let interface = try Self.interface(try call.string(0), on: object)
                var pairs: [(DBusValue, DBusValue)] = []
                for (name, property) in interface.properties.sorted(by: { $0.key < $1.key }) {
                    pairs.append((.string(name), .variant(try await property.get())))
                }
                return .success([.dict(keySignature: "s", valueSignature: "v", pairs)])
            case "Set":
                try call.expect(signature: "ssv")
                let (name, property) = try Self.property(call, on: object)
                guard let setter = property.set else {
                    throw DBusError(name: DBusError.Names.propertyReadOnly, message: "Property \(name) is read-only.")
                }
                guard case .variant(let value) = call.arguments[2], value.signature == property.signature else {
                    throw DBusError.invalidArgs(
                        "Property \(name) has type \(property.signature), not \(call.arguments[2].unwrapped.signature).")
                }
                try await setter(value)
                return .success([])
            default:
                throw DBusError.unknownMethod("\(Self.properties) has no method \(call.member).")
            }
        } catch {
            return .failure(error)
        }
    }

    private static func interface(_ name: String, on object: DBusObject) throws(DBusError) -> DBusInterface {
        guard let interface = object.interfaces.first(where: { $0.name == name }) else {
            throw DBusError(name: DBusError.Names.unknownInterface, message: "No interface \(name) on object \(object.path).")
        }
        return interface
    }

    private static func property(_ call: DBusMethodCall, on object: DBusObject) throws(DBusError) -> (String, DBusProperty) {
        let interface = try interface(try call.string(0), on: object)
        let name = try call.string(1)
        guard let property = interface.properties[name] else {
            throw DBusError(name: DBusError.Names.unknownProperty, message: "No property \(name) in \(interface.name).")
        }
        return (name, property)
    }

    // MARK: Introspection and Peer

    private static func builtinInterface(for member: String) -> String? {
        switch member {
        case "Introspect": introspectable
        case "Ping", "GetMachineId": peer
        case "Get", "GetAll", "Set": properties
        default: nil
        }
    }

    /// The first path component of each exported path below `path`, so that a
    /// client can walk the tree from `/` with `Introspect`.
    private static func children(of path: String, among paths: Dictionary<String, DBusObject>.Keys) -> [String] {
        let prefix = path == "/" ? "/" : path + "/"
        var names = Set<String>()
        for candidate in paths where candidate.hasPrefix(prefix) && candidate != path {
            if let first = candidate.dropFirst(prefix.count).split(separator: "/").first {
                names.insert(String(first))
            }
        }
        return names.sorted()
    }

    static func generatedXML(for object: DBusObject?, children: [String]) -> String {
        var xml = """
            <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
            <node>

            """
        if let object {
            xml += """
                  <interface name="\(introspectable)">
                    <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
                  </interface>
                  <interface name="\(peer)">
                    <method name="Ping"/>
                    <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
                  </interface>
                  <interface name="\(properties)">
                    <method name="Get"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
                    <method name="GetAll"><arg name="interface_name" type="s" direction="in"/><arg name="props" type="a{sv}" direction="out"/></method>
                    <method name="Set"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
                    <signal name="PropertiesChanged"><arg name="interface_name" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal>
                  </interface>

                """
            for interface in object.interfaces.sorted(by: { $0.name < $1.name }) {
                xml += "  <interface name=\"\(interface.name)\">\n"
                for (name, method) in interface.methods.sorted(by: { $0.key < $1.key }) {
                    xml += "    <method name=\"\(name)\">"
                    for type in DBusSyntax.completeTypes(of: method.inputSignature ?? "") {
                        xml += "<arg type=\"\(type)\" direction=\"in\"/>"
                    }
                    for type in DBusSyntax.completeTypes(of: method.outputSignature ?? "") {
                        xml += "<arg type=\"\(type)\" direction=\"out\"/>"
                    }
                    xml += "</method>\n"
                }
                for (name, property) in interface.properties.sorted(by: { $0.key < $1.key }) {
                    let access = property.set == nil ? "read" : "readwrite"
                    xml += "    <property name=\"\(name)\" type=\"\(property.signature)\" access=\"\(access)\"/>\n"
                }
                xml += "  </interface>\n"
            }
        }
        for child in children {
            xml += "  <node name=\"\(child)\"/>\n"
        }
        return xml + "</node>\n"
    }

    private static func machineID() -> String {
        guard let id = dbus_try_get_local_machine_id(nil) else { return "" }
        defer { dbus_free(id) }
        return String(cString: id)
    }
}
