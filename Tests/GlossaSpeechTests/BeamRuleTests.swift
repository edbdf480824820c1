import XCTest
@testable import GlossaSpeech

/// CTranslate2's beam rule (src/decoding.cc, BeamSearch::search), on candidate lists sorted
/// best first; E is end-of-text.
final class BeamRuleTests: XCTestCase {
    let e: Int32 = 99

    func testEndedCandidatesInTheBeamBecomeHypothesesAndTheSecondHalfRefillsTheirSlots() {
        // beam 3, ranks: A E B | E C D → E (rank 1) ends; its slot goes to C (rank 4), skipping the E at rank 3.
        let r = WhisperWindowDecoder.selectBeams([1, e, 2, e, 3, 4], beamSize: 3, endOfText: e, lastStep: false)
        XCTAssertEqual(r.ending, [1], "an ended candidate ranked below the beam (rank 3) is not kept, unlike openai's rule")
        XCTAssertEqual(r.continuing, [0, 4, 2])
    }

    func testNoCandidateEndsWhenNoneIsEndOfText() {
        let r = WhisperWindowDecoder.selectBeams([5, 6, 7, 8], beamSize: 2, endOfText: e, lastStep: false)
        XCTAssertEqual(r.ending, [])
        XCTAssertEqual(r.continuing, [0, 1])
    }

    func testOnTheLastStepTheWholeBeamEnds() {
        let r = WhisperWindowDecoder.selectBeams([1, e, 2, 3, 4, 5], beamSize: 3, endOfText: e, lastStep: true)
        XCTAssertEqual(r.ending, [0, 1, 2])
        XCTAssertEqual(r.continuing, [])
    }

    func testFewerBeamsContinueWhenTheSecondHalfIsAllEndOfText() {
        let r = WhisperWindowDecoder.selectBeams([e, 1, e, e], beamSize: 2, endOfText: e, lastStep: false)
        XCTAssertEqual(r.ending, [0])
        XCTAssertEqual(r.continuing, [1])
    }
}
