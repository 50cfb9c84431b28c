public import HeraldCore

/// Places a chunk's index marks in audio that carries no word timings.
///
/// Cloud voices say nothing about where words fall, so each mark goes at the
/// audio position proportional to its character offset in the text: good
/// enough for a say-all caret, and documented as an estimate.
public enum MarkPlacement {
    /// `audio` cut at the marks' estimated positions, with the marks between.
    public static func interleave(
        _ audio: [AudioChunk], marks: [(name: String, offset: Int)], textLength: Int
    ) -> [SynthesisOutput] {
        let totalFrames = audio.reduce(0) { $0 + $1.frameCount }
        let targets = marks.map { mark in
            (name: mark.name, frame: textLength > 0 ? totalFrames * min(max(mark.offset, 0), textLength) / textLength : 0)
        }
        var outputs: [SynthesisOutput] = []
        var nextMark = 0
        var position = 0
        for chunk in audio {
            let channels = chunk.format.channels
            var start = 0
            while nextMark < targets.count, targets[nextMark].frame <= position + chunk.frameCount {
                let cut = targets[nextMark].frame - position
                if cut > start {
                    outputs.append(.audio(AudioChunk(format: chunk.format, samples: Array(chunk.samples[start * channels..<cut * channels]))))
                    start = cut
                }
                // A mark at the very end of this chunk still belongs before the next chunk.
                outputs.append(.mark(targets[nextMark].name))
                nextMark += 1
            }
            if start < chunk.frameCount {
                outputs.append(.audio(AudioChunk(format: chunk.format, samples: Array(chunk.samples[(start * channels)...]))))
            }
            position += chunk.frameCount
        }
        while nextMark < targets.count {
            outputs.append(.mark(targets[nextMark].name))
            nextMark += 1
        }
        return outputs
    }
}
