import Foundation
import HeraldCore
import HeraldTesting
import Testing

/// The real `speechd` Python client (python3-speechd), as Orca uses it.
enum PythonClient {
    /// Runs `body` after a prelude that connects (`client`), collects
    /// callbacks into `events` and offers `wait_for(kinds)`; the script's
    /// last output line is JSON, returned parsed.
    static func run(_ body: String, server: SSIPTestServer, timeout: Duration = .seconds(30)) async throws -> [String:
        Any]
    {
        let script = prelude + body
        let path = SSIPTestServer.makeSocketFolder() + ".py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try await ChildRun.run(
            "python3", ["-u", path], environment: server.clientEnvironment, timeout: timeout)
        #expect(run.finishedInTime, "the Python client did not finish within \(timeout): \(run.output)")
        #expect(run.exitCode == 0, "python3 failed: \(run.output)")
        guard let last = run.output.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        else {
            Issue.record("no JSON result from the Python client: \(run.output)")
            return [:]
        }
        return object
    }

    static let prelude = """
        import json, threading, time, speechd

        def make_recorder():
            events = []
            changed = threading.Condition()
            def callback(kind, index_mark=None):
                with changed:
                    events.append([kind, index_mark, time.monotonic()])
                    changed.notify_all()
            def wait_for(kinds, timeout=15):
                deadline = time.monotonic() + timeout
                with changed:
                    while not any(e[0] in kinds for e in events):
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise SystemExit("timed out waiting for %s; events: %s" % (kinds, events))
                        changed.wait(left)
            return events, callback, wait_for

        client = speechd.SSIPClient('herald-test', autospawn=False)
        events, callback, wait_for = make_recorder()

        """
}

@Suite struct PythonClientTests {
    @Test func ssmlMarksArriveInOrderBetweenBeginAndEnd() async throws {
        try await SSIPTestServer.with { server in
            let result = try await PythonClient.run(
                """
                client.set_priority(speechd.Priority.MESSAGE)
                client.set_data_mode(speechd.DataMode.SSML)
                client.speak('<speak><mark name="m1"/>One <mark name="m2"/>two <mark name="m3"/>three.</speak>',
                             callback=callback)
                wait_for(['end', 'cancel'])
                client.close()
                print(json.dumps({'events': [[e[0], e[1]] for e in events]}))
                """, server: server)
            let events = (result["events"] as? [[Any]])?.map { $0.map { "\($0)" } } ?? []
            #expect(
                events == [
                    ["begin", "<null>"], ["index_marks", "m1"], ["index_marks", "m2"], ["index_marks", "m3"],
                    ["end", "<null>"],
                ],
                "\(events)")
        }
    }

    @Test func voicesAndSettingsRoundTrip() async throws {
        try await SSIPTestServer.with { server in
            let result = try await PythonClient.run(
                """
                voices = client.list_synthesis_voices()
                english = [v for v in voices if v[1] and v[1].startswith('en')]
                client.set_rate(20)
                client.set_pitch(-10)
                client.set_pitch_range(5)
                client.set_volume(50)
                client.set_voice('female1')
                client.set_synthesis_voice(english[0][0])
                client.set_punctuation(speechd.PunctuationMode.SOME)
                client.set_language('en')
                result = {
                    'voices': len(voices), 'first': list(voices[0]), 'modules': list(client.list_output_modules()),
                    'rate': client.get_rate(), 'pitch': client.get_pitch(), 'volume': client.get_volume(),
                    'language': client.get_language(), 'module': client.get_output_module(),
                    'punctuation': client.get_punctuation(),
                }
                client.speak('Settings applied.', callback=callback)
                wait_for(['end', 'cancel'])
                result['events'] = [e[0] for e in events]
                client.close()
                print(json.dumps(result))
                """, server: server)
            #expect((result["voices"] as? Int ?? 0) == (await server.pipeline.voices()).count)
            #expect((result["first"] as? [String])?.count == 3)
            #expect(result["modules"] as? [String] == [server.pipeline.engineName])
            #expect(result["rate"] as? String == "20")
            #expect(result["pitch"] as? String == "-10")
            #expect(result["volume"] as? String == "50")
            #expect(result["language"] as? String == "en")
            #expect(result["module"] as? String == server.pipeline.engineName)
            #expect(result["punctuation"] as? String == "some")
            #expect(result["events"] as? [String] == ["begin", "end"], "\(result)")
        }
    }
}

/// Interruption needs speech that lasts: a paced device.
@Suite(.serialized, .privatePulseAudio)
struct PythonClientTimingTests {
    @Test func cancelDuringSpeechCallsTheCancelCallback() async throws {
        try await SSIPTestServer.with(paced: true) { server in
            let result = try await PythonClient.run(
                """
                client.speak(\(Self.python(LongText.paragraph)), callback=callback)
                wait_for(['begin'])
                time.sleep(0.3)
                started = time.monotonic()
                client.cancel()
                wait_for(['cancel', 'end'], timeout=5)
                cancel_at = [e[2] for e in events if e[0] == 'cancel']
                print(json.dumps({'events': [e[0] for e in events],
                                  'latency_ms': (cancel_at[0] - started) * 1000 if cancel_at else None}))
                client.close()
                """, server: server)
            print("Python client: cancel() → cancel callback \(result["latency_ms"] ?? "none") ms")
            #expect(result["events"] as? [String] == ["begin", "cancel"], "\(result)")
            #expect((result["latency_ms"] as? Double ?? 1e9) < 200)
        }
    }

    @Test func importantFromAnotherClientInterruptsText() async throws {
        try await SSIPTestServer.with(paced: true) { server in
            let result = try await PythonClient.run(
                """
                client.set_priority(speechd.Priority.TEXT)
                client.speak(\(Self.python(LongText.paragraph)), callback=callback)
                wait_for(['begin'])
                other = speechd.SSIPClient('herald-test-2', autospawn=False)
                other_events, other_callback, other_wait = make_recorder()
                other.set_priority(speechd.Priority.IMPORTANT)
                other.speak('Important.', callback=other_callback)
                other_wait(['end', 'cancel'], timeout=20)
                wait_for(['cancel', 'end'])
                print(json.dumps({'text': [e[0] for e in events], 'important': [e[0] for e in other_events],
                                  'canceled_before_important_began':
                                      [e[2] for e in events if e[0] == 'cancel'][0] <= other_events[0][2] + 0.05}))
                other.close()
                client.close()
                """, server: server)
            #expect(result["text"] as? [String] == ["begin", "cancel"], "\(result)")
            #expect(result["important"] as? [String] == ["begin", "end"], "\(result)")
            #expect(result["canceled_before_important_began"] as? Bool == true, "\(result)")
        }
    }

    static func python(_ text: String) -> String {
        "'" + text.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }
}
