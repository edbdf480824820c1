import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaLM

/// Glossa's logits against transformers' (float64 reference) on tiny random models of every
/// supported family: max |Δ| ≤ 1e-4 · max |logit|, on the full sequence and token by token
/// through the KV cache. Fixtures: scripts/make_lm_fixtures.py.
final class ConformanceTests: XCTestCase {
    private func check(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = fixturePath(family)
        let model = try ModelLoader.load(folder: folder)
        let expected = try SafetensorsFile(path: folder + "/expected.safetensors")
        let ids = try expected.int64s("input_ids").map(Int32.init)
        let reference = try expected.tensor("logits")
        let tolerance = 1e-4 * Swift.max(reference.max(), -reference.array.min()!)

        let full = model.forward(batch: ids, batch: 1)
        XCTAssertEqual(full.shape, reference.shape, file: file, line: line)
        XCTAssertLessThanOrEqual(full.maxAbsDifference(reference), tolerance, "\(family) full sequence", file: file, line: line)

        var state = model.makeState()
        for (t, id) in ids.enumerated() {
            let step = model.forward([id], state: &state, allLogits: false)
            let diff = step.maxAbsDifference(reference.rows(t..<(t + 1)))
            XCTAssertLessThanOrEqual(diff, tolerance, "\(family) cached step \(t)", file: file, line: line)
        }
        XCTAssertEqual(state.length, ids.count)

        // Prefill a prefix, then continue in a chunk: the cache handles both.
        var chunked = model.makeState()
        _ = model.forward(Array(ids[0..<4]), state: &chunked)
        let rest = model.forward(Array(ids[4...]), state: &chunked)
        XCTAssertLessThanOrEqual(rest.maxAbsDifference(reference.rows(4..<ids.count)), tolerance, "\(family) chunked", file: file, line: line)
    }

    func testGPT2() throws { try check("gpt2") }
    func testLlamaShardedWithGroupedQueryAttention() throws { try check("llama") }
    func testMixtralGroupedQueryMoE() throws { try check("mixtral") }
    func testDeepseekV3LatentAttentionGroupedSigmoidRouting() throws { try check("deepseek_v3") }

    func testFixtureConfigsCoverTheRequiredFeatures() throws {
        let ds = try ModelLoader.config(folder: fixturePath("deepseek_v3"))
        guard case let .mixture(moe) = ds.feedForward.last!, case let .sigmoidGrouped(groups, topKGroups, _, _) = moe.routing else {
            return XCTFail("DeepSeek fixture has no grouped MoE layer")
        }
        XCTAssertGreaterThan(groups, 1)
        XCTAssertLessThan(topKGroups, groups)
        XCTAssertNotNil(ds.latentAttention?.queryRank)
        XCTAssertEqual(ds.positions, .rotary(theta: 10_000, interleaved: true))
        XCTAssertEqual(ds.feedForward.first, .dense(intermediateSize: 48))
        let mx = try ModelLoader.config(folder: fixturePath("mixtral"))
        XCTAssertLessThan(mx.keyValueHeads, mx.heads)
    }
}
