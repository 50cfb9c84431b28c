import HeraldSystem
import HeraldTesting
import Testing

/// `Sleep`, heraldd's replacement for `Task.sleep` on its own timer thread:
/// it must wake no earlier than asked, soon after, and at once when cancelled,
/// because the engine watchdog, the SSIP grace period and the cloud's rate
/// limits all wait on it.
struct SleepTests {
    @Test func wakesNoEarlierThanAskedAndSoonAfter() async throws {
        for milliseconds in [0, 5, 50, 120] {
            let start = ContinuousClock.now
            try await Sleep.for(.milliseconds(milliseconds))
            let took = ContinuousClock.now - start
            print("Sleep.for(\(milliseconds) ms) took \(took)")
            #expect(took >= .milliseconds(milliseconds))
            #expect(took < .milliseconds(milliseconds) + .milliseconds(200).timingScaled)
        }
        let deadline = ContinuousClock.now + .milliseconds(30)
        try await Sleep.until(deadline)
        #expect(ContinuousClock.now >= deadline)
    }

    @Test func cancellingASleepingTaskThrowsAtOnce() async {
        let sleeper = Task { () -> (threw: Bool, took: Duration) in
            let start = ContinuousClock.now
            let threw: Bool
            do { try await Sleep.for(.seconds(30)); threw = false } catch { threw = true }
            return (threw, ContinuousClock.now - start)
        }
        try? await Task.sleep(for: .milliseconds(50))
        sleeper.cancel()
        let (threw, slept) = await sleeper.value
        print("cancelled after \(slept)")
        #expect(threw, "a cancelled sleep returned instead of throwing CancellationError")
        #expect(slept < .seconds(2).timingScaled)
    }

    @Test func aTaskCancelledBeforeItSleepsDoesNotSleep() async {
        let task = Task { () -> (threw: Bool, took: Duration) in
            withUnsafeCurrentTask { $0?.cancel() }
            let start = ContinuousClock.now
            let threw: Bool
            do { try await Sleep.for(.seconds(30)); threw = false } catch { threw = true }
            return (threw, ContinuousClock.now - start)
        }
        let (threw, took) = await task.value
        #expect(threw)
        #expect(took < .seconds(1).timingScaled)
    }

    /// Many sleepers at once, some cancelled: each wakes exactly once, the
    /// uncancelled ones after their own deadline.
    @Test func manySleepersEachWakeOnceInTime() async {
        let outcomes = await withTaskGroup(of: (Int, Bool, Duration).self) { group in
            for index in 0..<200 {
                group.addTask {
                    let asked = Duration.milliseconds(index % 40)
                    let start = ContinuousClock.now
                    let task = Task { try await Sleep.for(asked) }
                    if index % 5 == 0 { task.cancel() }
                    let woke = (try? await task.value) != nil
                    let took = ContinuousClock.now - start
                    return (index, woke, woke && took < asked ? asked - took : .zero)  // how early it woke
                }
            }
            var all: [(Int, Bool, Duration)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 200)
        let early = outcomes.filter { $0.2 > .zero }
        #expect(early.isEmpty, "woke before the deadline: \(early)")
        let uncancelled = outcomes.filter { $0.0 % 5 != 0 }
        #expect(uncancelled.allSatisfy { $0.1 }, "an uncancelled sleep threw")
    }
}
