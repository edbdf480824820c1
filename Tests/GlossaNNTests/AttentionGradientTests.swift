import XCTest
import Foundation
import GlossaTensor
import GlossaTestSupport
@testable import GlossaNN

final class AttentionGradientTests: XCTestCase {
    func testRoPEHalfSplitAndInterleaved() {
        for interleaved in [false, true] {
            var rng = RandomGenerator(seed: 30)
            let rope = RotaryEmbedding(headDim: 8, interleaved: interleaved)
            let x = Tensor.randomNormal([5, 16], rng: &rng)
            let positions = [0, 3, 1, 7, 100]
            assertGradientsMatch(inputs: [("x", x)], parameters: [],
                                 forward: { rope.forward(x, positions: positions) },
                                 backward: { [rope.backward($0)] })
        }
    }

    func testRoPERotatesTheDocumentedPairs() {
        // Head dim 4, position 1: θ = [1, 1/100]. Half-split rotates (0,2) and (1,3);
        // interleaved rotates (0,1) and (2,3).
        let x = Tensor([1, 0, 0, 0], shape: [1, 4])
        let half = RotaryEmbedding(headDim: 4).forward(x, positions: [1])
        assertClose(half.array, [Float(cos(1.0)), 0, Float(sin(1.0)), 0], tolerance: 1e-6)
        let inter = RotaryEmbedding(headDim: 4, interleaved: true).forward(x, positions: [1])
        assertClose(inter.array, [Float(cos(1.0)), Float(sin(1.0)), 0, 0], tolerance: 1e-6)
    }

    func testRoPEPreservesRelativeDotProducts() {
        var rng = RandomGenerator(seed: 31)
        let rope = RotaryEmbedding(headDim: 8)
        let q = Tensor.randomNormal([1, 8], rng: &rng), k = Tensor.randomNormal([1, 8], rng: &rng)
        func score(_ i: Int, _ j: Int) -> Float {
            let a = rope.forward(q, positions: [i]), b = rope.forward(k, positions: [j])
            return Vec.dot(a.data, b.data, 8)
        }
        XCTAssertEqual(score(5, 2), score(13, 10), accuracy: 1e-4)
    }

    func testCausalGroupedQueryAttention() {
        var rng = RandomGenerator(seed: 32)
        let attn = ScaledDotProductAttention(queryHeads: 4, keyValueHeads: 2, headDim: 3, causal: true)
        let (b, t) = (2, 5)
        let q = Tensor.randomNormal([b * t, 12], rng: &rng)
        let k = Tensor.randomNormal([b * t, 6], rng: &rng)
        let v = Tensor.randomNormal([b * t, 6], rng: &rng)
        assertGradientsMatch(inputs: [("q", q), ("k", k), ("v", v)], parameters: [],
                             forward: { attn.forward(q: q, k: k, v: v, batch: b) },
                             backward: { let g = attn.backward($0); return [g.q, g.k, g.v] })
    }

    func testCrossAttentionWithDifferentLengthsAndValueDim() {
        var rng = RandomGenerator(seed: 33)
        let attn = ScaledDotProductAttention(queryHeads: 2, keyValueHeads: 1, headDim: 4, valueHeadDim: 3, causal: false)
        let q = Tensor.randomNormal([3, 8], rng: &rng)
        let k = Tensor.randomNormal([6, 4], rng: &rng)
        let v = Tensor.randomNormal([6, 3], rng: &rng)
        assertGradientsMatch(inputs: [("q", q), ("k", k), ("v", v)], parameters: [],
                             forward: { attn.forward(q: q, k: k, v: v, batch: 1) },
                             backward: { let g = attn.backward($0); return [g.q, g.k, g.v] })
    }

    func testCausalityFutureTokensDoNotChangeThePast() {
        var rng = RandomGenerator(seed: 34)
        let attn = ScaledDotProductAttention(queryHeads: 2, keyValueHeads: 2, headDim: 4, causal: true)
        let q = Tensor.randomNormal([4, 8], rng: &rng), k = Tensor.randomNormal([4, 8], rng: &rng)
        let v = Tensor.randomNormal([4, 8], rng: &rng)
        let before = attn.forward(q: q, k: k, v: v, batch: 1)
        k.row(3).fill(9); v.row(3).fill(-9)
        let after = attn.forward(q: q, k: k, v: v, batch: 1)
        assertClose(after.rows(0..<3).array, before.rows(0..<3).array, tolerance: 0)
    }

    /// Query i of a suffix (cached decoding) sees exactly the keys a full pass would show it.
    func testSuffixQueriesMatchFullCausalPass() {
        var rng = RandomGenerator(seed: 35)
        let attn = ScaledDotProductAttention(queryHeads: 2, keyValueHeads: 1, headDim: 4, causal: true)
        let q = Tensor.randomNormal([5, 8], rng: &rng), k = Tensor.randomNormal([5, 4], rng: &rng)
        let v = Tensor.randomNormal([5, 4], rng: &rng)
        let full = attn.forward(q: q, k: k, v: v, batch: 1)
        let last = attn.forward(q: q.rows(3..<5), k: k, v: v, batch: 1)
        assertClose(last.array, full.rows(3..<5).array, tolerance: 1e-6)
    }

    /// The inference path (blocked queries, per-thread scratch, heads in parallel) computes the
    /// same outputs as the training path, causal or not, across several query blocks.
    func testBlockedInferencePathMatchesTheTrainingPath() {
        var rng = RandomGenerator(seed: 37)
        for causal in [false, true] {
            let train = ScaledDotProductAttention(queryHeads: 4, keyValueHeads: 2, headDim: 8, causal: causal)
            let infer = ScaledDotProductAttention(queryHeads: 4, keyValueHeads: 2, headDim: 8, causal: causal)
            infer.keepsProbabilitiesForBackward = false
            let q = Tensor.randomNormal([300, 32], rng: &rng), k = Tensor.randomNormal([1000, 16], rng: &rng)
            let v = Tensor.randomNormal([1000, 16], rng: &rng)
            let a = train.forward(q: q, k: k, v: v, batch: 1), b = infer.forward(q: q, k: k, v: v, batch: 1)
            XCTAssertLessThan(a.maxAbsDifference(b), 1e-5, "causal \(causal)")
        }
    }

    func testMultiHeadAttentionWithRoPEAndGQA() {
        var rng = RandomGenerator(seed: 36)
        let mha = MultiHeadAttention(dim: 8, heads: 4, kvHeads: 2, bias: true,
                                     rope: RotaryEmbedding(headDim: 2), rng: &rng)
        let x = Tensor.randomNormal([6, 8], rng: &rng)
        let positions = [0, 1, 2, 0, 1, 2]
        assertGradientsMatch(inputs: [("x", x)], parameters: mha.parameters,
                             forward: { mha.forward(x, batch: 2, positions: positions) },
                             backward: { [mha.backward($0)] })
    }
}
