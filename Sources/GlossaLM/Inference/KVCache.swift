import GlossaNN
import GlossaTensor

/// A fixed-size page of cached keys and values for one layer.
final class KVBlock {
    static let capacity = 64
    let keys: Tensor
    let values: Tensor

    /// Uninitialised: rows are read only once written (`LayerKVCache.count`).
    init(keyWidth: Int, valueWidth: Int) {
        keys = Tensor(uninitialized: [Self.capacity, keyWidth])
        values = Tensor(uninitialized: [Self.capacity, valueWidth])
    }

    /// A private copy of the first `rows` rows, for copy-on-write.
    func copy(rows: Int) -> KVBlock {
        let b = KVBlock(keyWidth: keys.lastDim, valueWidth: values.lastDim)
        b.keys.data.update(from: keys.data, count: rows * keys.lastDim)
        b.values.data.update(from: values.data, count: rows * values.lastDim)
        return b
    }
}

/// One layer's key/value cache as a list of shared pages.
///
/// Forking a decoding state copies only this struct (an array of page references). Full
/// pages are immutable from then on and stay shared by every beam; appending to a shared,
/// partly filled last page copies that one page first (copy-on-write). So a beam step costs
/// O(one page) per layer, never a copy of the whole cache.
public struct LayerKVCache {
    public let keyWidth: Int
    public let valueWidth: Int
    private var blocks: [KVBlock] = []
    public private(set) var count = 0

    public init(keyWidth: Int, valueWidth: Int) {
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
    }

    /// Appends rows of keys [n, keyWidth] and values [n, valueWidth].
    public mutating func append(keys: Tensor, values: Tensor) {
        precondition(keys.lastDim == keyWidth && values.lastDim == valueWidth && keys.rowCount == values.rowCount,
                     "KV cache append: keys \(keys.shape) / values \(values.shape) vs widths \(keyWidth)/\(valueWidth)")
        let cap = KVBlock.capacity
        for r in 0..<keys.rowCount {
            let slot = count % cap
            if slot == 0 {
                blocks.append(KVBlock(keyWidth: keyWidth, valueWidth: valueWidth))
            } else if !isKnownUniquelyReferenced(&blocks[blocks.count - 1]) {
                blocks[blocks.count - 1] = blocks[blocks.count - 1].copy(rows: slot)
            }
            let block = blocks[blocks.count - 1]
            (block.keys.data + slot * keyWidth).update(from: keys.data + r * keyWidth, count: keyWidth)
            (block.values.data + slot * valueWidth).update(from: values.data + r * valueWidth, count: valueWidth)
            count += 1
        }
    }

    /// Forgets every row from `length` on (a rejected speculative draft). Pages past it are
    /// dropped; a shared partial page is copied on the next append, as usual.
    public mutating func truncate(to length: Int) {
        precondition((0...count).contains(length), "cannot truncate a cache of \(count) rows to \(length)")
        blocks.removeLast(blocks.count - (length + KVBlock.capacity - 1) / KVBlock.capacity)
        count = length
    }

    /// All cached keys and values as contiguous [count, width] tensors. With one page these
    /// are views (no copy); otherwise the pages are gathered.
    public func contiguous() -> (keys: Tensor, values: Tensor) {
        if blocks.count == 1 {
            return (blocks[0].keys.rows(0..<count), blocks[0].values.rows(0..<count))
        }
        let k = Tensor(uninitialized: [count, keyWidth]), v = Tensor(uninitialized: [count, valueWidth])
        var row = 0
        for block in blocks {
            let n = min(KVBlock.capacity, count - row)
            (k.data + row * keyWidth).update(from: block.keys.data, count: n * keyWidth)
            (v.data + row * valueWidth).update(from: block.values.data, count: n * valueWidth)
            row += n
        }
        return (k, v)
    }

    /// `core`'s attention for one query row (a decoding step's, the newest position, which
    /// sees every cached row) over the cached keys and values, read page by page where they
    /// lie: `contiguous()` would copy the whole cache on every step once it spans two pages.
    /// Per head: scores s_j = scale · q·k_j, p = softmax(s), out = Σ_j p_j·v_j, summed in
    /// position order, so the result does not depend on the page size.
    public func attendOne(query: UnsafePointer<Float>, core: ScaledDotProductAttention, into out: UnsafeMutablePointer<Float>) {
        precondition(keyWidth == core.keyValueHeads * core.headDim && valueWidth == core.keyValueHeads * core.valueHeadDim && count > 0,
                     "attention over a cache of widths \(keyWidth)/\(valueWidth) with \(count) rows does not fit the heads")
        let (headDim, valueHeadDim, group) = (core.headDim, core.valueHeadDim, core.queryHeads / core.keyValueHeads)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { scores.deallocate() }
        let pages = blocks.map { (keys: $0.keys.data, values: $0.values.data) }
        let width = Vec.width, body = valueHeadDim - valueHeadDim % width
        for h in 0..<core.queryHeads {
            let (q, g) = (query + h * headDim, h / group)
            for (p, page) in pages.enumerated() {
                let first = p * KVBlock.capacity
                for r in 0..<min(KVBlock.capacity, count - first) {
                    scores[first + r] = core.scale * Vec.dot(q, page.keys + r * keyWidth + g * headDim, headDim)
                }
            }
            RowMath.softmax(scores, scores, rows: 1, cols: count)
            let o = out + h * valueHeadDim
            o.update(repeating: 0, count: valueHeadDim)
            for (p, page) in pages.enumerated() {
                let first = p * KVBlock.capacity
                for r in 0..<min(KVBlock.capacity, count - first) {
                    let (weight, v) = (scores[first + r], page.values + r * valueWidth + g * valueHeadDim)
                    var d = 0
                    while d < body {
                        Vec.store(Vec.load(o + d) + weight * Vec.load(v + d), o + d)
                        d += width
                    }
                    while d < valueHeadDim { o[d] += weight * v[d]; d += 1 }
                }
            }
        }
    }

    /// The keys and values attention should read: the new ones alone without a cache (training,
    /// full-sequence scoring), or the whole cached prefix after appending them (batch 1).
    static func attendable(keys: Tensor, values: Tensor, cache: inout LayerKVCache?, batch: Int) -> (keys: Tensor, values: Tensor) {
        guard cache != nil else { return (keys, values) }
        precondition(batch == 1, "cached attention runs one sequence at a time")
        cache!.append(keys: keys, values: values)
        return cache!.contiguous()
    }

    /// Number of pages this cache shares with `other` (for tests of copy-on-write).
    func sharedPages(with other: LayerKVCache) -> Int {
        zip(blocks, other.blocks).filter { $0.0 === $0.1 }.count
    }
}

/// Everything a model needs to continue a sequence: one KV cache per layer and the length.
/// A value type: `let beam2 = beam1` forks cheaply (see LayerKVCache).
public struct DecodingState {
    public internal(set) var caches: [LayerKVCache]
    public var length: Int { caches.first?.count ?? 0 }

    init(caches: [LayerKVCache]) { self.caches = caches }

    /// Forgets the tokens from position `length` on, in every layer.
    public mutating func truncate(to length: Int) {
        for i in caches.indices { caches[i].truncate(to: length) }
    }
}
