import HeraldCore
import Testing

struct SSMLParserTests {
    @Test(arguments: [
        ("<speak>Hello world</speak>", [SpeechSegment.text("Hello world")]),
        ("  a \n\t b  ", [.text("a b")]),
        ("<speak>\n  <s>  Hi  </s>\n</speak>", [.text("Hi")]),
        ("<speak>Hello", [.text("Hello")]),  // an element left open is closed silently
        (#"<sub alias="World Wide Web">WWW</sub> rocks"#, [.text("World Wide Web rocks")]),
        (#"<say-as interpret-as="characters">abc</say-as> <emphasis level="strong">now</emphasis>"#, [.text("abc now")]),
        (#"<prosody rate="slow">slow</prosody> <voice name="x">v</voice> <unknown foo='1'>kept</unknown>"#, [.text("slow v kept")]),
        (#"<speak xml:lang="de-DE"><lang xml:lang="fr">bonjour</lang></speak>"#, [.text("bonjour")]),
        (#"<audio src="bell.wav"><desc>a bell</desc>Ding</audio>"#, [.text("Ding")]),
        (#"<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY x "y">]><speak><!-- note --> A <![CDATA[<b> & c]]> </speak>"#, [.text("A <b> & c")]),
        ("<ssml:speak>Namespaced</ssml:speak>", [.text("Namespaced")]),
        ("<SPEAK>Case</speak>", [.text("Case")]),
        ("<speak/>", []),
        ("", []),
    ])
    func structure(_ ssml: String, _ expected: [SpeechSegment]) {
        #expect(SSMLParser.parse(ssml) == expected)
    }

    @Test(arguments: [
        ("Tom &amp; Jerry &lt;3 &gt; &quot;hi&quot; &apos;x&apos;", "Tom & Jerry <3 > \"hi\" 'x'"),
        ("&#65;&#x42;&#X43;&#233;", "ABCé"),
        ("&nbsp; &bogus; & alone &amp", "&nbsp; &bogus; & alone &amp"),
        ("&#0; &#xD800; &#x110000; &#; &#xZZ;", "&#0; &#xD800; &#x110000; &#; &#xZZ;"),
        ("&lt;mark name=&quot;x&quot;/&gt;", "<mark name=\"x\"/>"),
        (#"<sub alias="R&amp;D">RD</sub>"#, "R&D"),
    ])
    func entities(_ ssml: String, _ expected: String) {
        #expect(SSMLParser.parse(ssml) == [.text(expected)])
    }

    @Test(arguments: [
        (#"Hello <mark name="m1"/>world"#, [SpeechSegment.text("Hello "), .mark("m1"), .text("world")]),
        (#"<speak><mark name="a"/>One <mark name="b"/> two<mark name="c"/></speak>"#,
         [.mark("a"), .text("One "), .mark("b"), .text("two"), .mark("c")]),
        (#"Hel<mark name="m"/>lo"#, [.text("Hel"), .mark("m"), .text("lo")]),
        (#"<speak><mark name="only"/></speak>"#, [.mark("only")]),
        (#"<mark name=""/>Empty names are dropped"#, [.text("Empty names are dropped")]),
        (#"<mark name="x">content</mark> kept"#, [.mark("x"), .text("content kept")]),
        (#"<p>Hello<mark name="end"/></p><p><mark name="next"/>World</p>"#,
         [.text("Hello"), .mark("end"), .pause(milliseconds: 400), .mark("next"), .text("World")]),
    ])
    func marks(_ ssml: String, _ expected: [SpeechSegment]) {
        #expect(SSMLParser.parse(ssml) == expected)
    }

    @Test(arguments: [
        (#"Wait<break time="500ms"/>now"#, [SpeechSegment.text("Wait"), .pause(milliseconds: 500), .text("now")]),
        (#"a <break time="1.5s"/> b"#, [.text("a"), .pause(milliseconds: 1500), .text("b")]),
        (#"a <break time=" 250 "/> b"#, [.text("a"), .pause(milliseconds: 250), .text("b")]),
        (#"a <break time="60s"/> b"#, [.text("a"), .pause(milliseconds: 10_000), .text("b")]),
        (#"a <break time="99999999999999999999s"/> b"#, [.text("a"), .pause(milliseconds: 10_000), .text("b")]),
        (#"a <break time="0ms"/> b"#, [.text("a b")]),
        (#"a <break time="abc"/> b"#, [.text("a"), .pause(milliseconds: 400), .text("b")]),
        (#"a <break time="-5s"/> b"#, [.text("a"), .pause(milliseconds: 400), .text("b")]),
        (#"a <break/> b"#, [.text("a"), .pause(milliseconds: 400), .text("b")]),
        (#"a <break strength="none"/> b"#, [.text("a b")]),
        (#"a <break strength="x-weak"/> b"#, [.text("a"), .pause(milliseconds: 100), .text("b")]),
        (#"a <break strength="weak"/> b"#, [.text("a"), .pause(milliseconds: 200), .text("b")]),
        (#"a <break strength="medium"/> b"#, [.text("a"), .pause(milliseconds: 400), .text("b")]),
        (#"a <break strength="strong"/> b"#, [.text("a"), .pause(milliseconds: 700), .text("b")]),
        (#"a <break strength="x-strong"/> b"#, [.text("a"), .pause(milliseconds: 1000), .text("b")]),
        (#"a <break strength="x-strong" time="50ms"/> b"#, [.text("a"), .pause(milliseconds: 50), .text("b")]),
        (#"a <break time="6s"/><break time="6s"/> b"#, [.text("a"), .pause(milliseconds: 10_000), .text("b")]),
        (#"<break time="1s"/>Leading"#, [.pause(milliseconds: 1000), .text("Leading")]),
        ("<p>One</p><p>Two</p>", [.text("One"), .pause(milliseconds: 400), .text("Two")]),
        ("<s>One</s><s>Two</s>", [.text("One"), .pause(milliseconds: 300), .text("Two")]),
        ("Intro<p>Body</p>Outro", [.text("Intro"), .pause(milliseconds: 400), .text("Body"), .pause(milliseconds: 400), .text("Outro")]),
        (#"<p>One</p><break time="1s"/><p>Two</p>"#, [.text("One"), .pause(milliseconds: 1000), .text("Two")]),
        ("<p><s>Only</s></p>", [.text("Only")]),
    ])
    func breaks(_ ssml: String, _ expected: [SpeechSegment]) {
        #expect(SSMLParser.parse(ssml) == expected)
    }

    /// Broken markup is never read out: tags are stripped, text is kept.
    @Test(arguments: [
        (#"Hello <mark name="x""#, "Hello"),
        (#"Hello <mark name="x"/ world"#, "Hello"),
        ("1 < 2 and <b>bold</b>", "1 < 2 and bold"),
        ("<s>One</p> two", "One two"),
        ("<speak>Hello</speak", "Hello"),
        (#"<mark name=x/>Hi"#, "Hi"),
        (#"<break time/>Hi"#, "Hi"),
        (#"<mark name="a"name="b"/>Hi"#, "Hi"),
        (#"<mark name="oops/>Hi <b>there</b>"#, "Hi there"),
        ("a <!-- never closed", "a"),
        ("a <![CDATA[ raw <x> ", "a raw <x>"),
        ("</p>Stray end", "Stray end"),
        ("<p>A<br>B</p> &amp; more", "A B & more"),
        ("x <? y", "x"),
        ("<<<>>>", "<<<>>>"),
        ("<1>", "<1>"),
        ("a <emphasis>b</emphasis>c<s/>d <", "a bc d <"),
    ])
    func malformedFallsBackToStrippedText(_ ssml: String, _ expected: String) {
        let (segments, usedFallback) = SSMLParser.parseReportingFallback(ssml)
        #expect(usedFallback)
        #expect(segments == [.text(expected)])
    }

    @Test func wellFormedInputDoesNotFallBack() {
        #expect(!SSMLParser.parseReportingFallback(#"<speak>Hi <mark name="a"/>there</speak>"#).usedFallback)
    }
}
