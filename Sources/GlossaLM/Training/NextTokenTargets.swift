/// Targets for next-token prediction on a [batch · length] block of ids: position t of each
/// row predicts id t+1 of that row; the last position of a row has no target (`ignore`).
public func nextTokenTargets(_ ids: [Int32], batch: Int, ignore: Int32 = -100) -> [Int32] {
    let length = ids.count / batch
    var targets = [Int32](repeating: ignore, count: ids.count)
    for b in 0..<batch {
        for t in 0..<(length - 1) { targets[b * length + t] = ids[b * length + t + 1] }
    }
    return targets
}
