import Testing

@testable import HeraldDBus

/// Signatures, conversions and match rules: no bus needed.
@Suite struct DBusValueTests {
    @Test(arguments: [
        (DBusValue.byte(1), "y"), (.bool(true), "b"), (.int16(1), "n"), (.uint16(1), "q"),
        (.int32(1), "i"), (.uint32(1), "u"), (.int64(1), "x"), (.uint64(1), "t"), (.double(1), "d"),
        (.string("a"), "s"), (.objectPath("/a"), "o"), (.signature("s"), "g"),
        (.array(elementSignature: "(si)", []), "a(si)"),
        (.dictionary(["a": .int32(1)]), "a{sv}"),
        (.struct([.string("a"), .array(elementSignature: "y", [])]), "(say)"),
        (.variant(.variant(.int32(1))), "v"),
    ])
    func signature(value: DBusValue, expected: String) {
        #expect(value.signature == expected)
    }

    @Test func dictionaryUnwrapsOneVariantLayer() {
        let options = DBusValue.dictionary(["voice": .string("luna"), "rate": .int32(20)])
        #expect(options.dictionary == ["voice": .string("luna"), "rate": .int32(20)])
        #expect(DBusValue.int32(1).dictionary == nil)
    }

    @Test func matchRuleString() {
        let rule = DBusMatchRule(sender: "org.herald.Speech1", interface: "org.herald.Speech1", member: "Ended", arg0: "it's")
        #expect(rule.ruleString == "type='signal',sender='org.herald.Speech1',interface='org.herald.Speech1',member='Ended',arg0='it'\\''s'")
    }

    @Test func completeTypes() {
        #expect(DBusSyntax.completeTypes(of: "sa{sv}(ii)t") == ["s", "a{sv}", "(ii)", "t"])
        #expect(DBusSyntax.completeTypes(of: "") == [])
    }
}
