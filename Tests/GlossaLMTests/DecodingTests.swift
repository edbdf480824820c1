import XCTest
import Foundation
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaLM

final class DecodingTests: XCTestCase {
    func model(_ family: String = "llama") throws -> TransformerLM {
        try ModelLoader.load(folder: fixturePath(family))
    }

    func testForkedBeamsThatDivergeDoNotAffectEachOther() throws {
        let m = try model("mixtral")
        // A prefix longer than one KV page, so forks share full pages and a partial one.
        let prefix = (0..<70).map { Int32(($0 * 37) % 320) }
        var root = m.makeState()
        _ = m.forward(prefix, state: &root)
        var beamA = root, beamB = root
        XCTAssertEqual(beamA.caches[0].sharedPages(with: root.caches[0]), 2)
        let a1 = m.forward([5], state: &beamA, allLogits: false)
        let b1 = m.forward([9], state: &beamB, allLogits: false)
        let a2 = m.forward([11], state: &beamA, allLogits: false)
        // Forking copied only the partial page: the full first page is still shared.
        XCTAssertEqual(beamA.caches[0].sharedPages(with: beamB.caches[0]), 1)
        XCTAssertEqual(root.length, 70)
        XCTAssertEqual(beamA.length, 72)
        XCTAssertEqual(beamB.length, 71)

        // Each beam equals a fresh, unshared run of the same tokens.
        let referenceA = m.forward(batch: prefix + [5, 11], batch: 1)
        let referenceB = m.forward(batch: prefix + [9], batch: 1)
        XCTAssertLessThan(a1.maxAbsDifference(referenceA.rows(70..<71)), 1e-4)
        XCTAssertLessThan(a2.maxAbsDifference(referenceA.rows(71..<72)), 1e-4)
        XCTAssertLessThan(b1.maxAbsDifference(referenceB.rows(70..<71)), 1e-4)
        // And the root is untouched: continuing it matches too.
        var rootCopy = root
        let again = m.forward([9], state: &rootCopy, allLogits: false)
        XCTAssertLessThan(again.maxAbsDifference(b1), 1e-5)
    }

    /// One query's attention read page by page from the cache equals the attention over the
    /// gathered keys and values, across page boundaries, with grouped-query heads, and on a
    /// fork whose last page is private.
    func testAttendOneReadsThePagesAsTheGatheredCache() {
        var rng = RandomGenerator(seed: 6)
        let core = ScaledDotProductAttention(queryHeads: 4, keyValueHeads: 2, headDim: 8, valueHeadDim: 16, causal: true)
        var cache = LayerKVCache(keyWidth: 16, valueWidth: 32)
        for rows in [1, KVBlock.capacity - 1, 1, KVBlock.capacity + 5] {
            cache.append(keys: Tensor.randomNormal([rows, 16], rng: &rng), values: Tensor.randomNormal([rows, 32], rng: &rng))
            var fork = cache
            fork.append(keys: Tensor.randomNormal([1, 16], rng: &rng), values: Tensor.randomNormal([1, 32], rng: &rng))
            for c in [cache, fork] {
                let q = Tensor.randomNormal([1, 32], rng: &rng)
                let (k, v) = c.contiguous()
                let out = Tensor(zeros: [1, 64])
                c.attendOne(query: q.data, core: core, into: out.data)
                XCTAssertLessThan(out.maxAbsDifference(core.forward(q: q, k: k, v: v, batch: 1)), 1e-5, "\(c.count) rows")
            }
        }
    }

    func testScoringAgreesWithCachedStepsAndContinuations() throws {
        let m = try model("deepseek_v3")
        let ids: [Int32] = [3, 100, 7, 250, 18, 42, 99]
        let lps = m.tokenLogProbs(ids)
        var state = m.makeState()
        var stepwise = 0.0
        for i in 0..<(ids.count - 1) {
            let logits = m.forward([ids[i]], state: &state, allLogits: false).logSoftmax()
            stepwise += Double(logits.data[Int(ids[i + 1])])
        }
        XCTAssertEqual(lps.reduce(0) { $0 + Double($1) }, stepwise, accuracy: 1e-3)
        let scored = m.score(ids)
        XCTAssertEqual(scored.tokenCount, ids.count - 1)
        XCTAssertEqual(scored.totalLogProb, stepwise, accuracy: 1e-3)
        // Small windows (strided) still score every token exactly once.
        XCTAssertEqual(m.score(ids, window: 4).tokenCount, ids.count - 1)

        let batched = m.scoreContinuations(context: Array(ids[0..<3]), continuations: [Array(ids[3...]), [1, 2], [7]])
        XCTAssertEqual(batched[0], lps[2...].reduce(0) { $0 + Double($1) }, accuracy: 1e-3)
        let full12 = m.tokenLogProbs(Array(ids[0..<3]) + [1, 2])
        XCTAssertEqual(batched[1], Double(full12[2] + full12[3]), accuracy: 1e-3)
    }

    func testSamplerIsSeededAndRespectsTopKAndTopP() {
        let logits: [Float] = [0, 3, 1, 2.5, -1]
        var s1 = Sampler(SamplingOptions(temperature: 1, seed: 7)), s2 = Sampler(SamplingOptions(temperature: 1, seed: 7))
        let draws1 = (0..<200).map { _ in s1.next(logits, 5) }
        XCTAssertEqual(draws1, (0..<200).map { _ in s2.next(logits, 5) })
        XCTAssertGreaterThan(Set(draws1).count, 2)
        var top2 = Sampler(SamplingOptions(temperature: 1, topK: 2, seed: 1))
        XCTAssertTrue((0..<200).allSatisfy { _ in [1, 3].contains(top2.next(logits, 5)) })
        var nucleus = Sampler(SamplingOptions(temperature: 1, topP: 0.5, seed: 1))
        XCTAssertTrue((0..<200).allSatisfy { _ in nucleus.next(logits, 5) == 1 })
        var greedy = Sampler(.greedy)
        XCTAssertEqual(greedy.next(logits, 5), 1)
    }

    func testUTF8StreamingHoldsBackSplitCharacters() {
        XCTAssertEqual(LanguageModel.completeUTF8Prefix(Array("añ".utf8)), 3)
        XCTAssertEqual(LanguageModel.completeUTF8Prefix(Array("a".utf8) + [0xC3]), 1)
        XCTAssertEqual(LanguageModel.completeUTF8Prefix(Array("a".utf8) + [0xF0, 0x9F, 0x91]), 1)
        XCTAssertEqual(LanguageModel.completeUTF8Prefix(Array("👍".utf8)), 4)
    }
}
