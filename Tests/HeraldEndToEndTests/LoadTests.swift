import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// 100 SSIP clients (the real `speechd` Python client, as Orca) and 20 D-Bus
/// clients sending mixed priorities to one heraldd on a paced device, for
/// `HERALD_LOAD_SECONDS` (60 for the full run; 10 by default, which CI runs).
/// Checked from the events: every message ends exactly once; an important
/// message is always heard; a `message` is canceled only by an important one
/// arriving while it speaks (so never more of them than importants); replies
/// stay prompt; memory stays bounded.
@Suite(.serialized, .privatePulseAudio)
struct LoadTests {
    static let seconds = ProcessInfo.processInfo.environment["HERALD_LOAD_SECONDS"].flatMap(Double.init) ?? 10
    /// Mostly what a screen reader sends; few messages that must all be heard:
    /// per mille, so that what must be heard (under one a second from all
    /// clients, each under a second long) stays within what one voice can
    /// say, and the queue drains before the clients stop waiting.
    static let priorities: [(String, Int)] = [("important", 3), ("message", 5), ("text", 500), ("notification", 292), ("progress", 200)]

    static func pick(_ random: inout some RandomNumberGenerator) -> String {
        var roll = Int.random(in: 0..<1000, using: &random)
        for (priority, weight) in priorities {
            if roll < weight { return priority }
            roll -= weight
        }
        return "text"
    }

    static let script = """
        import json, random, sys, threading, time, speechd

        seconds = float(sys.argv[1])
        weights = [('important', 3), ('message', 5), ('text', 500), ('notification', 292), ('progress', 200)]
        lock = threading.Lock()
        records, latencies, errors = [], [], []

        def client(number):
            try:
                c = speechd.SSIPClient('load-%d' % number, autospawn=False)
            except Exception as error:
                with lock: errors.append('connect: %s' % error)
                return
            rnd = random.Random(number)
            end = time.monotonic() + seconds
            mine = []
            sent = 0
            while time.monotonic() < end:
                priority = rnd.choices([w[0] for w in weights], [w[1] for w in weights])[0]
                record = {'priority': priority, 'events': []}
                def callback(kind, index_mark=None, record=record):
                    record['events'].append(kind)
                try:
                    start = time.monotonic()
                    c.set_priority(getattr(speechd.Priority, priority.upper()))
                    c.speak('%s %d' % (priority[:1], sent), callback=callback,
                            event_types=(speechd.CallbackType.BEGIN, speechd.CallbackType.END, speechd.CallbackType.CANCEL))
                    with lock: latencies.append(time.monotonic() - start)
                except Exception as error:
                    with lock: errors.append('speak: %s' % error)
                    break
                mine.append(record)
                sent += 1
                time.sleep(rnd.uniform(0.5, 1.5))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(not any(k in ('end', 'cancel') for k in r['events']) for r in mine):
                time.sleep(0.05)
            time.sleep(0.2)
            c.close()
            with lock: records.extend(mine)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(100)]
        for t in threads: t.start()
        for t in threads: t.join()
        latencies.sort()
        summary = {'sent': len(records), 'errors': errors[:5], 'error_count': len(errors),
                   'p50_ms': 1000 * latencies[len(latencies) // 2] if latencies else None,
                   'p99_ms': 1000 * latencies[int(len(latencies) * 0.99)] if latencies else None,
                   'finals': {}, 'lost': [], 'dropped': []}
        for r in records:
            finals = [k for k in r['events'] if k in ('end', 'cancel')]
            key = r['priority'] + ':' + (finals[0] if len(finals) == 1 else 'finals=%d' % len(finals))
            summary['finals'][key] = summary['finals'].get(key, 0) + 1
            if len(finals) != 1: summary['lost'].append(r)
            elif r['priority'] == 'important' and finals[0] != 'end': summary['dropped'].append(r)
        summary['lost_count'] = len(summary['lost'])
        summary['lost'] = summary['lost'][:5]
        summary['dropped'] = summary['dropped'][:5]
        print(json.dumps(summary))
        """

    @Test func manyClientsAtOnceKeepThePriorityRules() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "load", paced: true)
        // All 100 SSIP clients connect at once: under ThreadSanitizer the first
        // ones came before heraldd had bound SSIP, and were refused.
        try #require(await daemon.waitForSSIP(), "SSIP not up within 10 s:\n\(daemon.log)")
        let rssBefore = (processResidentBytes(pid: daemon.process.pid) ?? 0) / 1024
        let scriptPath = daemon.folder.path("load.py")
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        var environment = daemon.environment
        environment["SPEECHD_ADDRESS"] = "unix_socket:" + daemon.folder.runtime.path + "/herald/ssip.sock"
        // Every message's signals, whoever sent it: the daemon's own account of what ended.
        let listener = try await daemon.connect()
        let signals = try await listener.signalLog()
        async let python = runCommand("/usr/bin/python3", ["-u", scriptPath, "\(Self.seconds)"], environment: environment, timeout: .seconds(Self.seconds + 120))

        // 20 D-Bus clients, each with its own connection, on the same daemon.
        let dbus = try await withThrowingTaskGroup(of: [(UInt64, String, Duration)].self) { group in
            for number in 0..<20 {
                group.addTask {
                    let client = try await daemon.connect()
                    var random = SystemRandomNumberGenerator()
                    var sent: [(UInt64, String, Duration)] = []
                    let end = ContinuousClock.now + .seconds(Self.seconds)
                    while ContinuousClock.now < end {
                        let priority = Self.pick(&random)
                        let start = ContinuousClock.now
                        let id = try await client.speak("\(priority.prefix(1)) \(number)", priority)
                        sent.append((id, priority, ContinuousClock.now - start))
                        try await Task.sleep(for: .milliseconds(Int.random(in: 500...1500)))
                    }
                    // Stay connected until the messages ended: leaving would take them along.
                    let deadline = ContinuousClock.now + .seconds(60)
                    while ContinuousClock.now < deadline,
                        sent.contains(where: { item in signals.first(item.0, SpeechSignalLog.finalMembers) == nil })
                    {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    await client.close()
                    return sent
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let result = try #require(try await python)
        let rssAfter = (processResidentBytes(pid: daemon.process.pid) ?? 0) / 1024
        let status = try? await listener.status()
        await listener.close()
        let exit = await daemon.stop()

        let summary = try #require(
            result.output.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
            "\(result)")
        var dbusFinals: [String: Int] = [:]
        var dbusLost = 0
        var dbusDropped = 0
        var messagesCanceled = 0
        for (id, priority, _) in dbus {
            let finals = signals.sequence(for: id).filter { SpeechSignalLog.finalMembers.contains($0) }
            dbusFinals["\(priority):\(finals.first ?? "none")", default: 0] += 1
            if finals.count != 1 {
                dbusLost += 1
            } else if priority == "important", finals[0] != "Ended" {
                dbusDropped += 1
            } else if priority == "message", finals[0] != "Ended" {
                messagesCanceled += 1
            }
        }
        let replies = dbus.map(\.2).sorted()
        let p99 = replies.isEmpty ? .zero : replies[replies.count * 99 / 100]
        print(
            "load (\(Self.seconds) s): SSIP \(summary["sent"] ?? 0) messages, reply p50 \(summary["p50_ms"] ?? "-") ms, "
                + "p99 \(summary["p99_ms"] ?? "-") ms, finals \(summary["finals"] ?? [:]); D-Bus \(dbus.count) messages, "
                + "reply p99 \(p99), finals \(dbusFinals); heraldd RSS \(rssBefore / 1024) → \(rssAfter / 1024) MiB")
        // The daemon's account: every message sent by anyone ended exactly once.
        var finalsByID: [UInt64: Int] = [:]
        for entry in signals.all where SpeechSignalLog.finalMembers.contains(entry.member) { finalsByID[entry.id, default: 0] += 1 }
        let sent = (summary["sent"] as? Int ?? 0) + dbus.count
        print("daemon: \(finalsByID.count) messages ended of \(sent) sent; SSIP callbacks missing: \(summary["lost_count"] ?? 0)")
        #expect(summary["error_count"] as? Int == 0, "\(summary["errors"] ?? [])")
        let began = Set(signals.all.filter { $0.member == "Began" }.map(\.id))
        let unfinished = began.filter { finalsByID[$0] == nil }.sorted()
        #expect(
            finalsByID.count == sent && finalsByID.values.allSatisfy { $0 == 1 },
            "messages without exactly one end; began but never ended: \(unfinished.map { signals.sequence(for: $0) }); status \(String(describing: status))\n\(daemon.log.suffix(3000))")
        // The speechd client registers a callback only once SPEAK has returned, so under this load it
        // can miss an end that comes first (Herald holds events 30 ms after the reply to soften this).
        #expect(summary["lost_count"] as? Int ?? 0 <= sent / 200, "callbacks missing: \(summary["lost"] ?? [])")
        #expect((summary["dropped"] as? [Any])?.isEmpty == true, "important not heard: \(summary["dropped"] ?? [])")
        let finals = summary["finals"] as? [String: Int] ?? [:]
        let importants = (finals["important:end"] ?? 0) + (dbusFinals["important:Ended"] ?? 0)
        messagesCanceled += finals["message:cancel"] ?? 0
        #expect(messagesCanceled <= importants, "\(messagesCanceled) messages canceled with only \(importants) importants")
        #expect((summary["sent"] as? Int ?? 0) > Int(Self.seconds * 50))
        #expect(dbusLost == 0 && dbusDropped == 0, "\(dbusFinals)")
        #expect((summary["p99_ms"] as? Double ?? .infinity) < 1000 && p99 < .seconds(1).timingScaled, "replies stay prompt")
        if TimingScale.memoryBoundsHold { #expect(rssAfter - rssBefore < 64 * 1024, "memory stays bounded") }
        #expect(exit == 0)
    }

}
