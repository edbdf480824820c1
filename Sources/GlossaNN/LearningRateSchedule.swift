import Foundation

/// Linear warmup from 0 to `peak` over `warmupSteps`, then cosine decay to `floor` at
/// `totalSteps` (and `floor` after it).
public struct WarmupCosineSchedule: Sendable {
    public let peak: Float, floor: Float
    public let warmupSteps: Int, totalSteps: Int

    public init(peak: Float, floor: Float = 0, warmupSteps: Int, totalSteps: Int) {
        precondition(totalSteps >= warmupSteps && warmupSteps >= 0, "need 0 ≤ warmup ≤ total steps")
        self.peak = peak
        self.floor = floor
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// Learning rate for 0-based `step`.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        if step >= totalSteps { return floor }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return floor + (peak - floor) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
    }
}
