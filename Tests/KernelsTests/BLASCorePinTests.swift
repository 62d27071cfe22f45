// The OpenBLAS kernel-set choice: default pin, native, named sets, refusals, the user's override.

import Kernels
import XCTest

final class BLASCorePinTests: XCTestCase {
  let avx2 = CPUFeatures(avx2FMA: true, avx512: false, avx512BF16: false)
  let avx512 = CPUFeatures(avx2FMA: true, avx512: true, avx512BF16: false)
  let sse = CPUFeatures(avx2FMA: false, avx512: false, avx512BF16: false)

  func decide(_ setting: String?, user: String? = nil, loaded: String, _ cpu: CPUFeatures) -> BLASCorePin.Decision {
    BLASCorePin.decide(setting: setting, userCoreType: user, loadedCore: loaded, cpu: cpu)
  }

  func testDefaultPinsHaswellOnEveryAVX2CPU() {
    XCTAssertEqual(decide(nil, loaded: "Prescott", avx512), .pin("Haswell"))
    XCTAssertEqual(decide("reproducible", loaded: "SkylakeX", avx512), .pin("Haswell"))
    XCTAssertEqual(decide("", loaded: "Zen", avx2), .pin("Haswell"))
    XCTAssertEqual(decide(nil, loaded: "Haswell", avx2), .keep, "already the wanted set: no restart")
    XCTAssertEqual(decide(nil, loaded: "HASWELL", avx2), .keep, "names compare without case")
    XCTAssertEqual(decide(nil, loaded: "Prescott", sse), .keep, "without AVX2 OpenBLAS's choice stands")
  }

  func testNativeKeepsOpenBLASChoice() {
    XCTAssertEqual(decide("native", loaded: "Prescott", avx512), .keep)
    XCTAssertEqual(decide("NATIVE", loaded: "SkylakeX", avx512), .keep)
  }

  func testNamedSetIsPinnedWhenTheCPURunsIt() {
    XCTAssertEqual(decide("skylakex", loaded: "Prescott", avx512), .pin("SkylakeX"))
    XCTAssertEqual(decide("Prescott", loaded: "Haswell", avx2), .pin("Prescott"))
    XCTAssertEqual(decide("SkylakeX", loaded: "SkylakeX", avx512), .keep)
  }

  func testUnknownOrUnsupportedSetIsRefusedWithOneLine() {
    guard case .refuse(let unknown) = decide("Skylake", loaded: "Haswell", avx512) else {
      return XCTFail("an unknown name must be refused")
    }
    XCTAssertTrue(unknown.hasPrefix("MINILLM_BLAS_CORE=Skylake: unknown"), unknown)
    XCTAssertTrue(unknown.contains("SkylakeX") && unknown.contains("native"), "lists the valid names: \(unknown)")
    guard case .refuse(let missing) = decide("SkylakeX", loaded: "Haswell", avx2) else {
      return XCTFail("a set this CPU cannot run must be refused")
    }
    XCTAssertTrue(missing.contains("lacks the instructions"), missing)
    guard case .refuse = decide("Cooperlake", loaded: "Haswell", avx512) else {
      return XCTFail("Cooperlake needs AVX-512 BF16")
    }
    guard case .refuse = decide("Haswell", loaded: "Prescott", sse) else {
      return XCTFail("Haswell needs AVX2+FMA")
    }
    for refusal in [unknown, missing] { XCTAssertFalse(refusal.contains("\n")) }
  }

  func testUserCoreTypeWins() {
    XCTAssertEqual(decide(nil, user: "SkylakeX", loaded: "SkylakeX", avx512), .keep)
    XCTAssertEqual(decide("Haswell", user: "Prescott", loaded: "Prescott", avx512), .keep, "no restart loop")
    XCTAssertEqual(decide(nil, user: "", loaded: "Prescott", avx512), .pin("Haswell"), "an empty value is unset")
  }
}
