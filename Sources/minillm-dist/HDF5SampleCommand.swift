// `minillm-dist hdf5-sample write|verify PATH`: the sample file exchanged with h5py in tests.

import ArgumentParser
import SelfTest

struct HDF5SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hdf5-sample",
    abstract: "Write or verify the HDF5 sample file used for the h5py parity test.",
    shouldDisplay: false)

  @Argument(help: "write or verify") var action: String
  @Argument(help: "The HDF5 file.") var path: String

  func run() throws {
    switch action {
    case "write":
      try HDF5Checks.writeSampleFile(path)
      print("wrote \(path)")
    case "verify":
      if let problem = try HDF5Checks.verifySampleFile(path) {
        print("MISMATCH in \(path): \(problem)")
        throw ExitCode(1)
      }
      print("verified \(path)")
    default:
      throw ValidationError("action must be 'write' or 'verify', got '\(action)'")
    }
  }
}
