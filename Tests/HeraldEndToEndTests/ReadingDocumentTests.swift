import Foundation
@testable import HeraldCLI
import Testing

/// What `herald speak --file` sends for Markdown and plain text: the words,
/// no markup, blocks as pauses, escaped SSML.
@Suite struct ReadingDocumentTests {
    @Test(arguments: [
        ("**bold** and __strong__", "bold and strong"),
        ("*em* and _em_ and ~~gone~~", "em and em and gone"),
        ("snake_case_name stays, 2 * 3 = 6, 2*3", "snake_case_name stays, 2 * 3 = 6, 2*3"),
        ("see [the docs](https://example.com/x) now", "see the docs now"),
        ("![a cat](cat.png) sleeps", "a cat sleeps"),
        ("a [ref link][1] here", "a ref link here"),
        ("run `make test` first", "run make test first"),
        ("``code with ` tick``", "code with ` tick"),
        ("mail <https://example.com> today", "mail https://example.com today"),
        ("line<br/>break and <span class=\"x\">span</span>", "linebreak and span"),
        ("a footnote[^1] here", "a footnote here"),
        ("escaped \\*stars\\* and \\_under\\_", "escaped *stars* and _under_"),
        ("5 < 6 & 7 > 3", "5 < 6 & 7 > 3"),
    ])
    func inlineMarkupIsRemoved(markdown: String, spoken: String) {
        #expect(MarkdownText.inline(markdown) == spoken)
    }

    @Test func blocksBecomeHeadingsParagraphsAndLines() {
        let source = """
            ---
            title: front matter
            ---
            # Title #

            First paragraph
            wraps here.

            Setext heading
            --------------

            > quoted **text**

            - [ ] a task
            * item two
            1. numbered

            ***

            | Name | Age |
            |------|----:|
            | Ann  | 42  |

            ```swift
            let x = 1
            ```
            [1]: https://example.com
            <!-- a comment -->
            #hashtag is text
            """
        let blocks = MarkdownText.document(source).blocks
        #expect(
            blocks == [
                .init(kind: .heading, text: "Title"),
                .init(kind: .paragraph, text: "First paragraph wraps here."),
                .init(kind: .heading, text: "Setext heading"),
                .init(kind: .paragraph, text: "quoted text"),
                .init(kind: .line, text: "a task"),
                .init(kind: .line, text: "item two"),
                .init(kind: .line, text: "numbered"),
                .init(kind: .pause, text: ""),
                .init(kind: .line, text: "Name, Age"),
                .init(kind: .line, text: "Ann, 42"),
                .init(kind: .line, text: "let x = 1"),
                .init(kind: .paragraph, text: "#hashtag is text"),
            ], "\(blocks)")
    }

    @Test func ssmlIsEscapedAndMarked() {
        let document = MarkdownText.document("# Q&A <1>\n\nFish & chips </speak> \u{1}.\n\n---\n\n- last")
        #expect(
            document.ssml() == """
                <speak><p><mark name="b0"/>Q&amp;A &lt;1&gt;</p><break time="600ms"/>
                <p><mark name="b1"/>Fish &amp; chips .</p>
                <break time="800ms"/>
                <s><mark name="b3"/>last</s>
                </speak>
                """)
        #expect(document.spokenBlocks == 3)
    }

    @Test func sentencesAreMarkedAndAReadingResumesAtOne() {
        let document = ReadingDocument.plainText("Dr. Who came. He left!\n\nThe end? Yes.")
        #expect(ReadingDocument.sentences("Dr. Who came. He left!").map(String.init) == ["Dr. Who came. ", "He left!"])
        #expect(
            document.ssml() == """
                <speak><p><mark name="b0"/>Dr. Who came. <mark name="b0.1"/>He left!</p>
                <p><mark name="b1"/>The end? <mark name="b1.1"/>Yes.</p>
                </speak>
                """)
        #expect(
            document.ssml(from: .init(block: 0, sentence: 1)) == """
                <speak><p><mark name="b0.1"/>He left!</p>
                <p><mark name="b1"/>The end? <mark name="b1.1"/>Yes.</p>
                </speak>
                """)
        #expect(document.ssml(from: .init(block: 1, sentence: 0)).hasPrefix("<speak><p><mark name=\"b1\"/>The end?"))
        #expect(ReadingDocument.position(ofMark: "b1.1") == .init(block: 1, sentence: 1))
        #expect(ReadingDocument.position(ofMark: "b12") == .init(block: 12, sentence: 0))
        #expect(ReadingDocument.position(ofMark: "x1") == nil && ReadingDocument.position(ofMark: "b1.x") == nil)
    }

    @Test func plainTextParagraphsAreJoinedLines() {
        let document = ReadingDocument.plainText("One\ntwo.\n \nThree *stays*.\r\n\r\n\n")
        #expect(document.blocks == [.init(kind: .paragraph, text: "One two."), .init(kind: .paragraph, text: "Three *stays*.")])
        #expect(ReadingDocument.plainText("a </speak> & <mark name=\"x\"/> b").ssml().contains("a &lt;/speak&gt; &amp; &lt;mark name=\"x\"/&gt; b"))
    }

    @Test func latin1AndBinaryInput() {
        #expect(TextInput.looksBinary(Data([0x41, 0, 0x42])))
        #expect(!TextInput.looksBinary(Data("Tab\tline\r\nfeed\u{c}esc\u{1b}[0m".utf8)))
        #expect(TextInput.looksBinary(Data([UInt8](repeating: 0x41, count: 90) + [1, 2])))
    }
}
