import XCTest
@testable import GlossaSpeech

final class ErrorRateTests: XCTestCase {
    func testNormalizerFoldsCaseWidthPunctuationAndSpace() {
        XCTAssertEqual(TranscriptNormalizer.normalize("He was NOT an ill-disposed  young man."), "he was not an ill disposed young man")
        XCTAssertEqual(TranscriptNormalizer.normalize("Ｆｕｌｌ ｗｉｄｔｈ, ¿qué tal? l'été"), "full width qué tal l été")
        XCTAssertEqual(TranscriptNormalizer.normalize("e\u{301}cole"), "école")
    }

    func testWordAndCharacterErrors() {
        let c = ErrorRate.counts(reference: "the cat sat on the mat", hypothesis: "The cat sat on a mat!")
        XCTAssertEqual(c.wordErrors, 1)
        XCTAssertEqual(c.words, 6)
        XCTAssertEqual(ErrorRate.editDistance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(ErrorRate.editDistance([String](), ["a", "b"]), 2)
        XCTAssertEqual(ErrorRate.counts(reference: "a b c", hypothesis: "").wordErrors, 3)
    }
}
