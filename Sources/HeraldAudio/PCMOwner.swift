internal import CALSA
internal import Glibc
internal import HeraldCore
internal import HeraldSystem
internal import Logging

/// The loop of `AlsaSink`'s owner thread: the only code that touches the PCM.
///
/// Each turn it clears the eventfd, looks at the shared state (stops, new
/// requests, shutdown), advances the request in flight as far as it can without
/// blocking, and then sleeps in `poll()`: on the PCM's descriptors plus the
/// eventfd while waiting for room in the buffer, on the eventfd with a
/// one-period timeout while waiting for the buffer to play out, and on the
/// eventfd alone when there is nothing to do: with the idle timeout while the
/// device is open (then it is closed), without one once it is closed.
final class PCMOwner {
    /// How long a device may make no progress before the request fails instead of
    /// hanging (a frozen sound server). Longer than the 1–2 s a PulseAudio sink
    /// may take to start a stream.
    static let stallTimeout: Duration = .seconds(5)

    private let core: SinkCore
    private let deviceName: String
    private let closeWhenIdle: Duration
    private let logger: Logger
    private var pcm: PCMDevice?
    private var handledGeneration: UInt64 = 0
    private var current: InFlight?
    /// The problem last logged at error level, so that a device that stays
    /// broken is reported once, not on every play.
    private var reportedProblem: Problem?

    private enum Problem {
        /// Cleared by the next successful open.
        case openFailed
        /// Cleared by the next play that completes.
        case writeFailed
    }

    private struct InFlight {
        let request: Request
        var framesWritten = 0
        var lastProgress: ContinuousClock.Instant = .now
        /// Made at the first look at the delay once everything is written.
        var playout: PlayoutTracker?
        var recoveries = 0
    }

    private enum Step {
        case finished(Result<PlaybackOutcome, AudioError>)
        /// The buffer is full: poll the PCM for room, and the eventfd.
        case waitForRoom
        /// Audio is playing out: poll the eventfd with this timeout.
        case wait(milliseconds: Int32)
    }

    init(_ context: PCMOwnerContext) {
        core = context.core
        deviceName = context.device
        closeWhenIdle = context.closeWhenIdle
        logger = context.logger
    }

    func run() {
        ALSAErrorCapture.installOnThisThread()
        logger.trace("Audio thread started")
        while true {
            core.wakeup.reset()
            let wantsNext = current == nil
            let (generation, stoppedAt, isShutDown, stale, next, stillQueued) = core.state.withLock { state in
                let generation = state.stopGeneration
                var stale: [Request] = []
                if state.queue.contains(where: { $0.generation != generation }) {
                    stale = state.queue.filter { $0.generation != generation }
                    state.queue.removeAll { $0.generation != generation }
                }
                let next = wantsNext && !state.queue.isEmpty ? state.queue.removeFirst() : nil
                return (generation, state.stopRequestedAt, state.isShutDown, stale, next, !state.queue.isEmpty)
            }
            if generation != handledGeneration {
                handleStop(generation: generation, requestedAt: stoppedAt)
            }
            for request in stale {
                request.finish(.success(.stopped(framesAccepted: 0)))
            }
            if let next {
                current = InFlight(request: next)
            }
            guard var work = current else {
                // A stop may have just ended the request in flight while newer
                // requests wait (their wake-up was consumed above): take them now.
                if stillQueued { continue }
                if isShutDown { break }
                guard pcm != nil else {
                    waitForWakeup(timeout: -1)
                    continue
                }
                // Idle with the device open: close it if nothing comes for a while.
                if !waitForWakeup(timeout: closeWhenIdle.pollMilliseconds) {
                    pcm = nil
                    logger.debug("Closed the idle audio device")
                }
                continue
            }
            let step: Step
            switch work.request.kind {
            case .play(let chunk): step = play(chunk, &work)
            case .drain: step = drain(&work)
            }
            switch step {
            case .finished(let result):
                work.request.finish(result)
                current = nil
            case .waitForRoom:
                current = work
                waitForRoom(since: work.lastProgress)
            case .wait(let milliseconds):
                current = work
                waitForWakeup(timeout: milliseconds)
            }
        }
        pcm = nil
        ALSAErrorCapture.removeThisThread()
        logger.trace("Audio thread ended")
    }

    // MARK: Stop

    private func handleStop(generation: UInt64, requestedAt: ContinuousClock.Instant?) {
        handledGeneration = generation
        if let pcm {
            switch pcm.state {
            case SND_PCM_STATE_RUNNING, SND_PCM_STATE_PREPARED, SND_PCM_STATE_XRUN,
                SND_PCM_STATE_DRAINING, SND_PCM_STATE_PAUSED:
                pcm.drop()
            default:
                break
            }
        }
        if let requestedAt {
            let latency = ContinuousClock.now - requestedAt
            core.state.withLock { $0.lastStopToDrop = latency }
            logger.debug("Stopped audio", metadata: ["herald.audio.stop_latency": "\(latency)"])
        }
        if let work = current, work.request.generation != generation {
            work.request.finish(.success(.stopped(framesAccepted: work.framesWritten)))
            current = nil
        }
    }

    // MARK: Play

    private func play(_ chunk: AudioChunk, _ work: inout InFlight) -> Step {
        if let open = pcm, open.format != chunk.format {
            // Closing drops what is still buffered, so let the old format's last
            // ≤40 ms be heard first; the caller need not drain between formats.
            if work.framesWritten == 0, let step = playOut(open, &work) {
                return step
            }
            logger.debug("Reopening for a new format", metadata: ["herald.audio.format": "\(chunk.format)"])
            pcm = nil
            work.lastProgress = .now
        }
        let device: PCMDevice
        if let open = pcm {
            device = open
        } else {
            switch openDevice(for: chunk.format) {
            case .success(let opened):
                pcm = opened
                device = opened
            case .failure(let error):
                return .finished(.failure(error))
            }
        }
        let frames = chunk.frameCount
        return chunk.samples.withUnsafeBufferPointer { samples -> Step in
            while work.framesWritten < frames {
                if device.state == SND_PCM_STATE_SETUP {
                    // After a drop (stop, or the end of a drain) the PCM must be prepared again.
                    let prepared = device.prepare()
                    if prepared < 0 { return fail(prepared, while: "preparing") }
                }
                let written = device.write(samples, fromFrame: work.framesWritten, frames: frames - work.framesWritten)
                if written > 0 {
                    work.framesWritten += written
                    work.lastProgress = .now
                    work.recoveries = 0
                    continue
                }
                let error = Int32(written)
                if error == 0 || error == -EAGAIN {
                    if ContinuousClock.now - work.lastProgress > Self.stallTimeout {
                        return fail(-ETIMEDOUT, while: "playing (no progress)")
                    }
                    return .waitForRoom
                }
                work.recoveries += 1
                if work.recoveries > 3 {
                    return fail(error, while: "playing")
                }
                if error == -ESTRPIPE {
                    // Suspended (system sleep). snd_pcm_recover would sleep in a loop
                    // here, deaf to stop(); retry the resume from the poll loop instead.
                    let resumed = device.resume()
                    if resumed == -EAGAIN {
                        work.recoveries -= 1
                        return .wait(milliseconds: 100)
                    }
                    if resumed < 0, device.prepare() < 0 { return fail(error, while: "resuming") }
                    continue
                }
                if error == -EPIPE {
                    logger.trace("Underrun")
                }
                if device.recover(error) < 0 {
                    return fail(error, while: "playing")
                }
            }
            if reportedProblem == .writeFailed {
                reportedProblem = nil
                logger.info("Audio device works again")
            }
            return .finished(.success(.completed))
        }
    }

    private func openDevice(for format: AudioFormat) -> Result<PCMDevice, AudioError> {
        do {
            let device = try PCMDevice(name: deviceName, format: format)
            if reportedProblem == .openFailed {
                reportedProblem = nil
                logger.info("Audio device is available again")
            }
            logger.debug(
                "Opened audio device",
                metadata: [
                    "herald.audio.format": "\(format)",
                    "herald.audio.buffer_frames": "\(device.bufferFrames)",
                    "herald.audio.period_frames": "\(device.periodFrames)",
                ])
            return .success(device)
        } catch {
            let message = Self.openFailureMessage(device: deviceName, format: format, error: error)
            if reportedProblem == nil {
                reportedProblem = .openFailed
                logger.error("\(message)")
            }
            return .failure(AudioError(.deviceUnavailable, message))
        }
    }

    static func openFailureMessage(device: String, format: AudioFormat, error: PCMError) -> String {
        let lookUp = "Check `device` under [audio] in the Herald config; `aplay -L` lists the ALSA device names."
        if let server = error.soundServerDown {
            return "ALSA device \"\(device)\" cannot be opened: \(server.problem) (\(error.detail)); \(server.fix)."
        }
        switch error.code {
        case -EBUSY:
            return "ALSA device \"\(device)\" is busy: another program holds it (\(error.detail)). "
                + "Close that program, or set `device` under [audio] in the Herald config to a shared device such as \"default\"."
        case -ENOENT, -ENODEV, -ENXIO:
            return "ALSA device \"\(device)\" does not exist or is not connected (\(error.detail)). " + lookUp
        default:
            return "ALSA device \"\(device)\" cannot be opened for \(format) (\(error.detail)). " + lookUp
        }
    }

    /// Closes the device after an error recovery could not fix; the next play reopens it.
    private func fail(_ error: Int32, while doing: String) -> Step {
        let detail = String(cString: snd_strerror(error))
        let message = "ALSA device \"\(deviceName)\" failed while \(doing) (\(detail)); "
            + "Herald closed it and will reopen it for the next audio."
        if reportedProblem == nil {
            reportedProblem = .writeFailed
            logger.error("\(message)")
        }
        pcm = nil
        return .finished(.failure(AudioError(.deviceFailed, message)))
    }

    // MARK: Drain

    private func drain(_ work: inout InFlight) -> Step {
        guard let device = pcm else { return .finished(.success(.completed)) }
        if let step = playOut(device, &work) {
            return step
        }
        // Everything was heard. The PCM stays open (reopening the pulse plugin
        // costs about 1.3 ms here, snd_pcm_prepare about 0.4 ms), but is dropped
        // rather than left in underrun: measured on the pulse PCM, both idle at
        // ~0.3 ms CPU/s in this process (the owner thread does not poll the PCM
        // when idle, so an xrun'd descriptor cannot make it spin), but only the
        // dropped one is corked in PulseAudio, which lets the sink suspend.
        device.drop()
        return .finished(.success(.completed))
    }

    /// nil once the device has played everything written to it; otherwise the
    /// step to take while waiting (or a failure if the device stopped moving).
    private func playOut(_ device: PCMDevice, _ work: inout InFlight) -> Step? {
        let state = device.state
        guard state == SND_PCM_STATE_RUNNING || state == SND_PCM_STATE_PREPARED || state == SND_PCM_STATE_DRAINING
        else { return nil }
        let delay = device.delay()
        guard delay > 0 else { return nil }
        if state == SND_PCM_STATE_PREPARED {
            // Playback starts by itself only once the buffer is full; a shorter
            // tail has to be started by hand.
            if device.start() < 0 { return nil }
        }
        var playout = work.playout
            ?? PlayoutTracker(sampleRate: device.format.sampleRate, bufferFrames: device.bufferFrames, stallTimeout: Self.stallTimeout)
        let verdict = playout.observe(delay: delay, at: .now)
        work.playout = playout
        switch verdict {
        case .playedOut:
            return nil
        case .stalled:
            return fail(-ETIMEDOUT, while: "draining (no progress)")
        case .playing(let checkAgainIn):
            return .wait(milliseconds: max(1, min(device.periodMilliseconds, checkAgainIn.pollMilliseconds)))
        }
    }

    // MARK: Waiting

    /// Sleeps until woken or `milliseconds` pass (-1: no limit); false when the time ran out.
    @discardableResult
    private func waitForWakeup(timeout milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: core.wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, milliseconds) != 0
    }

    private func waitForRoom(since lastProgress: ContinuousClock.Instant) {
        guard let device = pcm else { return }
        let pcmFDs = device.pollDescriptors()
        var fds = [pollfd(fd: core.wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0)] + pcmFDs
        let left = Self.stallTimeout - (ContinuousClock.now - lastProgress)
        let timeout = max(1, left.pollMilliseconds)
        let ready = poll(&fds, nfds_t(fds.count), timeout)
        if ready > 0, !pcmFDs.isEmpty {
            // Required by alsa-lib: lets plugins (pulse) consume their wake-up
            // so the descriptor does not stay readable and make poll spin.
            fds.withUnsafeMutableBufferPointer { all in
                _ = device.revents(UnsafeMutableBufferPointer(rebasing: all[1...]))
            }
        }
    }
}
