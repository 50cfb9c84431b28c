/// SSIP sessions as data, in the manner of Speech Dispatcher's `src/tests/*.test`:
/// `>` is a line the client sends, `<` a line the server must answer, `#` a
/// comment. In expected lines `{n}` is any number and `{name}` a number
/// that must be the same wherever `name` appears again. `$VOICE`, `$VOICE_LANGUAGE`
/// and `$MODULE` are filled in with a voice and the engine of the running pipeline.
/// Every transcript is run with CRLF and with bare LF line endings.
enum Transcripts {
    static let all: [(name: String, script: String)] = [
        ("handshake", handshake), ("settings", settings), ("errors", errors), ("block", block),
        ("lists", lists), ("dot-stuffing", dotStuffing), ("case-insensitive", caseInsensitive),
    ]

    /// What the Python client does on connect, then one message with every notification.
    static let handshake = """
        > SET self CLIENT_NAME unknown:transcript:main
        < 208 OK CLIENT NAME SET
        > HISTORY GET CLIENT_ID
        < 245-{client}
        < 245 OK CLIENT ID SENT
        > SET self NOTIFICATION index_marks on
        < 220 OK NOTIFICATION SET
        > SET self NOTIFICATION begin on
        < 220 OK NOTIFICATION SET
        > SET self NOTIFICATION end on
        < 220 OK NOTIFICATION SET
        > SET self PRIORITY important
        < 202 OK PRIORITY SET
        > SPEAK
        < 230 OK RECEIVING DATA
        > Hello from a transcript.
        > .
        < 225-{m}
        < 225 OK MESSAGE QUEUED
        < 701-{m}
        < 701-{client}
        < 701 BEGIN
        < 702-{m}
        < 702-{client}
        < 702 END
        > QUIT
        < 231 HAPPY HACKING
        """

    static let settings = """
        > GET RATE
        < 251-0
        < 251 OK GET RETURNED
        > GET VOLUME
        < 251-100
        < 251 OK GET RETURNED
        > SET self RATE 30
        < 203 OK RATE SET
        > GET RATE
        < 251-30
        < 251 OK GET RETURNED
        > SET self PITCH -40
        < 204 OK PITCH SET
        > GET PITCH
        < 251--40
        < 251 OK GET RETURNED
        > SET self PITCH_RANGE 15
        < 263 OK PITCH RANGE SET
        > GET PITCH_RANGE
        < 251-15
        < 251 OK GET RETURNED
        > SET self VOLUME -100
        < 218 OK VOLUME SET
        > GET VOLUME
        < 251--100
        < 251 OK GET RETURNED
        > SET all RATE +100
        < 203 OK RATE SET
        > GET RATE
        < 251-100
        < 251 OK GET RETURNED
        > SET self VOICE_TYPE female1
        < 209 OK VOICE SET
        > GET VOICE_TYPE
        < 251-FEMALE1
        < 251 OK GET RETURNED
        > SET self LANGUAGE es
        < 201 OK LANGUAGE SET
        > GET LANGUAGE
        < 251-es
        < 251 OK GET RETURNED
        > SET self SYNTHESIS_VOICE $VOICE
        < 209 OK VOICE SET
        > GET SYNTHESIS_VOICE
        < 251-$VOICE
        < 251 OK GET RETURNED
        > GET LANGUAGE
        < 251-$VOICE_LANGUAGE
        < 251 OK GET RETURNED
        > SET self PUNCTUATION most
        < 205 OK PUNCTUATION SET
        > GET PUNCTUATION
        < 251-most
        < 251 OK GET RETURNED
        > SET self SPELLING on
        < 207 OK SPELLING SET
        > SET self SPELLING off
        < 207 OK SPELLING SET
        > SET self CAP_LET_RECOGN spell
        < 206 OK CAP LET RECOGNITION SET
        > GET CAP_LET_RECOGN
        < 251-spell
        < 251 OK GET RETURNED
        > SET self SSML_MODE on
        < 219 OK SSML MODE SET
        > SET self SSML_MODE off
        < 219 OK SSML MODE SET
        > SET self OUTPUT_MODULE $MODULE
        < 216 OK OUTPUT MODULE SET
        > GET OUTPUT_MODULE
        < 251-$MODULE
        < 251 OK GET RETURNED
        > SET self PRIORITY notification
        < 202 OK PRIORITY SET
        > GET PRIORITY
        < 251-notification
        < 251 OK GET RETURNED
        > SET self NOTIFICATION all off
        < 220 OK NOTIFICATION SET
        > SET all DEBUG on
        < 262 OK DEBUGGING SET
        > SET self PAUSE_CONTEXT 2
        < 217 OK PAUSE CONTEXT SET
        > HISTORY GET CLIENT_ID
        < 245-{client}
        < 245 OK CLIENT ID SENT
        > SET {client} PITCH 5
        < 204 OK PITCH SET
        > GET PITCH
        < 251-5
        < 251 OK GET RETURNED
        > STOP self
        < 210 OK STOPPED
        > CANCEL all
        < 213 OK CANCELED
        > PAUSE {client}
        < 211 OK PAUSED
        > RESUME {client}
        < 212 OK RESUMED
        > CANCEL 999999
        < 213 OK CANCELED
        """

    static let errors = """
        > FOO
        < 500 ERR INVALID COMMAND
        >
        < 500 ERR INVALID COMMAND
        > SET self RATE
        < 510 ERR MISSING PARAMETER
        > SET self
        < 510 ERR MISSING PARAMETER
        > SET self RATE fast
        < 511 ERR PARAMETER NOT A NUMBER
        > SET self RATE 2.5
        < 511 ERR PARAMETER NOT A NUMBER
        > SET self RATE 101
        < 409 ERR RATE TOO HIGH
        > SET self RATE -101
        < 410 ERR RATE TOO LOW
        > SET self PITCH 101
        < 411 ERR PITCH TOO HIGH
        > SET self PITCH -101
        < 412 ERR PITCH TOO LOW
        > SET self VOLUME 101
        < 413 ERR VOLUME TOO HIGH
        > SET self VOLUME -101
        < 414 ERR VOLUME TOO LOW
        > SET self PITCH_RANGE 101
        < 415 ERR PITCH RANGE TOO HIGH
        > SET self PITCH_RANGE -101
        < 416 ERR PITCH RANGE TOO LOW
        > SET self SPELLING maybe
        < 513 ERR PARAMETER NOT ON OR OFF
        > SET self SSML_MODE yes
        < 513 ERR PARAMETER NOT ON OR OFF
        > SET self NOTIFICATION end maybe
        < 513 ERR PARAMETER NOT ON OR OFF
        > SET self NOTIFICATION everything on
        < 514 ERR PARAMETER INVALID
        > SET self PUNCTUATION loud
        < 514 ERR PARAMETER INVALID
        > SET self CAP_LET_RECOGN shout
        < 514 ERR PARAMETER INVALID
        > SET self VOICE_TYPE ROBOT1
        < 514 ERR PARAMETER INVALID
        > SET self SYNTHESIS_VOICE no such voice
        < 514 ERR PARAMETER INVALID
        > SET self OUTPUT_MODULE festival
        < 514 ERR PARAMETER INVALID
        > SET self LOUDNESS 3
        < 514 ERR PARAMETER INVALID
        > SET self PRIORITY urgent
        < 408 ERR UNKNOWN PRIORITY
        > SET all PRIORITY text
        < 514 ERR PARAMETER INVALID
        > SET 999999 RATE 0
        < 402 ERR NO SUCH CLIENT
        > SET nobody RATE 0
        < 514 ERR PARAMETER INVALID
        > GET NOTHING
        < 514 ERR PARAMETER INVALID
        > GET
        < 510 ERR MISSING PARAMETER
        > LIST
        < 510 ERR MISSING PARAMETER
        > LIST NOTHING
        < 514 ERR PARAMETER INVALID
        > CHAR
        < 510 ERR MISSING PARAMETER
        > CHAR ab
        < 514 ERR PARAMETER INVALID
        > KEY
        < 510 ERR MISSING PARAMETER
        > STOP
        < 510 ERR MISSING PARAMETER
        > CANCEL someone
        < 514 ERR PARAMETER INVALID
        > BLOCK
        < 510 ERR MISSING PARAMETER
        > BLOCK MIDDLE
        < 514 ERR PARAMETER INVALID
        > BLOCK END
        < 331 ERR ALREADY OUTSIDE BLOCK
        > HISTORY GET CLIENT_LIST
        < 514 ERR PARAMETER INVALID
        > HISTORY
        < 510 ERR MISSING PARAMETER
        # The session is unharmed by all of the above.
        > GET RATE
        < 251-0
        < 251 OK GET RETURNED
        """

    static let block = """
        > SET self PRIORITY message
        < 202 OK PRIORITY SET
        > BLOCK BEGIN
        < 260 OK INSIDE BLOCK
        > BLOCK BEGIN
        < 330 ERR ALREADY INSIDE BLOCK
        > SET self PRIORITY text
        < 332 ERR NOT ALLOWED INSIDE BLOCK
        > SET self OUTPUT_MODULE $MODULE
        < 332 ERR NOT ALLOWED INSIDE BLOCK
        > SET all RATE 10
        < 332 ERR NOT ALLOWED INSIDE BLOCK
        > SET self SSML_MODE on
        < 332 ERR NOT ALLOWED INSIDE BLOCK
        > LIST VOICES
        < 332 ERR NOT ALLOWED INSIDE BLOCK
        > HISTORY GET CLIENT_ID
        < 332 ERR NOT ALLOWED INSIDE BLOCK
        > SET self RATE 10
        < 203 OK RATE SET
        > SET self VOICE MALE2
        < 209 OK VOICE SET
        > SPEAK
        < 230 OK RECEIVING DATA
        > The word
        > .
        < 225-{n}
        < 225 OK MESSAGE QUEUED
        > CHAR a
        < 225-{n}
        < 225 OK MESSAGE QUEUED
        > KEY shift_a
        < 225-{n}
        < 225 OK MESSAGE QUEUED
        > BLOCK END
        < 261 OK OUTSIDE BLOCK
        > SET self PRIORITY text
        < 202 OK PRIORITY SET
        """

    static let lists = """
        > LIST OUTPUT_MODULES
        < 250-$MODULE
        < 250 OK MODULE LIST SENT
        > LIST VOICES
        < 249-MALE1
        < 249-MALE2
        < 249-MALE3
        < 249-FEMALE1
        < 249-FEMALE2
        < 249-FEMALE3
        < 249-CHILD_MALE
        < 249-CHILD_FEMALE
        < 249 OK VOICE LIST SENT
        > LIST SYNTHESIS_VOICES qq
        < 249 OK VOICE LIST SENT
        """

    /// Data lines that start with a dot arrive with one more; only a lone `.` ends the data.
    static let dotStuffing = """
        > SET self PRIORITY important
        < 202 OK PRIORITY SET
        > SPEAK
        < 230 OK RECEIVING DATA
        > ..
        > ...and more
        > . not the end
        > .
        < 225-{n}
        < 225 OK MESSAGE QUEUED
        > SPEAK
        < 230 OK RECEIVING DATA
        > .
        < 225-{n}
        < 225 OK MESSAGE QUEUED
        > GET RATE
        < 251-0
        < 251 OK GET RETURNED
        """

    static let caseInsensitive = """
        > set SELF client_name me:case:test
        < 208 OK CLIENT NAME SET
        > Set Self Rate 7
        < 203 OK RATE SET
        > get rate
        < 251-7
        < 251 OK GET RETURNED
        > set self priority IMPORTANT
        < 202 OK PRIORITY SET
        > set self punctuation ALL
        < 205 OK PUNCTUATION SET
        > set self notification INDEX_MARKS ON
        < 220 OK NOTIFICATION SET
        > set self voice_type child_female
        < 209 OK VOICE SET
        > set self output_module $MODULE
        < 216 OK OUTPUT MODULE SET
        > list output_modules
        < 250-$MODULE
        < 250 OK MODULE LIST SENT
        > history get client_id
        < 245-{n}
        < 245 OK CLIENT ID SENT
        > Speak
        < 230 OK RECEIVING DATA
        > lower case works.
        > .
        < 225-{n}
        < 225 OK MESSAGE QUEUED
        > cancel SELF
        < 213 OK CANCELED
        > block begin
        < 260 OK INSIDE BLOCK
        > Block End
        < 261 OK OUTSIDE BLOCK
        > quit
        < 231 HAPPY HACKING
        """
}
