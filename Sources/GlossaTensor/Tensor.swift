#if canImport(CMalloc)
import CMalloc
#endif

/// Owns (or borrows, for memory-mapped files) one contiguous run of Float32.
///
/// Invariant that makes `@unchecked Sendable` sound: the storage never reallocates, and
/// kernels that write into it from several threads write disjoint ranges (parallelFor
/// hands out disjoint chunks).
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int
    /// Keeps a borrowed region (for example an mmap) alive; nil when this storage owns `base`.
    private let owner: AnyObject?

    /// Allocates `count` floats, zero-filled unless `zeroed` is false (for outputs that a kernel
    /// overwrites entirely, where zeroing would be a wasted pass over memory).
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative element count")
        _ = Self.allocatorTuned
        self.count = count
        self.base = .allocate(capacity: max(count, 1))
        if zeroed { self.base.initialize(repeating: 0, count: max(count, 1)) }
        self.owner = nil
    }

    /// Keeps large freed blocks in the heap instead of returning them to the kernel, so the
    /// per-step activations of a model reuse memory rather than page-faulting fresh zero
    /// pages on every allocation (glibc otherwise mmaps every block above 32 MB at most).
    private static let allocatorTuned: Bool = {
        #if canImport(CMalloc)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
        return true
    }()

    /// Wraps memory that `owner` keeps alive (read-only use is the caller's promise).
    public init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { base.deallocate() }
    }
}

/// A dense, row-major Float32 tensor.
///
/// Tensors have reference semantics over their storage, as in PyTorch: a view (`row`,
/// `rows`, `reshaped`) shares memory with its parent, and writes through either are
/// visible in both. `copy()` makes an independent tensor.
public struct Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    /// Element offset of this tensor's first value inside `storage`.
    public let offset: Int

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    /// Pointer to the first element. Valid while this tensor (or its storage) is alive.
    public var data: UnsafeMutablePointer<Float> { storage.base + offset }
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }

    /// Size of the last axis: the "row" length that row-wise kernels work on.
    public var lastDim: Int { shape.last ?? 1 }
    /// Number of rows when the tensor is seen as a matrix [count / lastDim, lastDim].
    public var rowCount: Int { lastDim == 0 ? 0 : count / lastDim }

    public init(storage: TensorStorage, offset: Int = 0, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(offset + shape.reduce(1, *) <= storage.count || shape.reduce(1, *) == 0,
                     "view of shape \(shape) at offset \(offset) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(storage: TensorStorage(count: shape.reduce(1, *)), shape: shape)
    }

    /// A tensor whose values are unspecified: only for outputs a kernel fully overwrites.
    public init(uninitialized shape: [Int]) {
        self.init(storage: TensorStorage(count: shape.reduce(1, *), zeroed: false), shape: shape)
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(zeros: shape)
        data.update(repeating: value, count: count)
    }

    /// Copies `values` into a new tensor of `shape`.
    public init(_ values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *),
                     "\(values.count) values do not fill shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    public var array: [Float] { Array(buffer) }

    public subscript(flat i: Int) -> Float {
        get { data[i] }
        nonmutating set { data[i] = newValue }
    }

    public subscript(_ i: Int, _ j: Int) -> Float {
        get { data[i * lastDim + j] }
        nonmutating set { data[i * lastDim + j] = newValue }
    }

    /// The i-th slice along the first axis, as a view.
    public func row(_ i: Int) -> Tensor {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "row \(i) out of range for shape \(shape)")
        let inner = Array(shape.dropFirst())
        let size = inner.reduce(1, *)
        return Tensor(storage: storage, offset: offset + i * size, shape: inner)
    }

    /// Slices `range` along the first axis, as a view.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) out of range for shape \(shape)")
        let size = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(storage: storage, offset: offset + range.lowerBound * size, shape: newShape)
    }

    /// A new [indices.count, …] tensor holding the listed rows (first axis), in that order.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        let size = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = indices.count
        let out = Tensor(uninitialized: newShape)
        for (k, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[0], "row \(i) out of range for shape \(shape)")
            (out.data + k * size).update(from: data + i * size, count: size)
        }
        return out
    }

    /// The inverse of `gatheringRows`: a zero [rowCount, …] tensor with row k of this tensor
    /// placed at row indices[k].
    public func scatteringRows(_ indices: [Int], rowCount: Int) -> Tensor {
        precondition(indices.count == shape[0], "scatteringRows: \(indices.count) indices for shape \(shape)")
        let size = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = rowCount
        let out = Tensor(zeros: newShape)
        for (k, i) in indices.enumerated() {
            precondition(i >= 0 && i < rowCount, "row \(i) out of range for \(rowCount) rows")
            (out.data + i * size).update(from: data + k * size, count: size)
        }
        return out
    }

    /// Same data, new shape (one dimension may be -1 and is inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let free = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != free }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[free] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: resolved)
    }

    /// An independent copy.
    public func copy() -> Tensor {
        let out = Tensor(uninitialized: shape)
        out.data.update(from: data, count: count)
        return out
    }

    /// Copies `other`'s values into this tensor (shapes must hold the same count).
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    public func fill(_ value: Float) {
        data.update(repeating: value, count: count)
    }

    /// The transpose of a matrix, as a new tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transpose needs a matrix, got \(shape)")
        let (r, c) = (shape[0], shape[1])
        let t = Tensor(uninitialized: [c, r])
        for i in 0..<r { for j in 0..<c { t.data[j * r + i] = data[i * c + j] } }
        return t
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = buffer.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
